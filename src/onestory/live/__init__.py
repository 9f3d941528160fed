"""Live fan-out (foundation): ``MemoryHub`` / ``RedisHub`` and every live message shape
(``messages``). Uses kit only; the WebSocket route and the notify stage are in ``notify``."""
