"""Scripted customer journeys, one module each, as mixins over ``demo.background``.

Each module may use ``demo.background``, ``demo.engine``, ``demo.people`` and ``demo.phrases``;
none imports another journey. ``demo.generator`` combines them.
"""
