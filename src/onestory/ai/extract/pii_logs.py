"""Logs without personal data or credentials, and with client addresses that can still be traced.

`PiiLogFilter` rewrites each record before any handler writes it:

* URL-encoded text is decoded first, so ``q=a%40b.example`` or ``q=%2B44+7700+906006`` is seen
  as the email or phone it is, then redacted like any other text;
* the values of credential-like query parameters (``api_key=``, ``token=``, ``password=``, ...),
  bearer tokens and OneStory API keys (``os_...``) are masked;
* tracebacks and exception text are scrubbed the same way (database engines are built with
  ``hide_parameters=True`` too, so SQL errors never carry their bound values);
* IP addresses are *not* masked: a server's bind address must stay readable. Client addresses in
  uvicorn's access lines are replaced by `ClientAddressFilter` with a keyed hash
  (``client=3f9a0c12d4e5``): the same client always gets the same tag, so a brute-force attempt
  can be followed across lines, but the address itself is not in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from urllib.parse import unquote, unquote_plus

from onestory.ai.extract.pii import _apply, detect_pii

__all__ = [
    "ClientAddressFilter",
    "PiiLogFilter",
    "install_pii_log_filter",
    "scrub_log_text",
]

MASK = "***"

# A query parameter anywhere in a line (an access log path, a URL in an error message).
_QUERY_PARAM = re.compile(
    r"(?P<sep>[?&;])(?P<key>[A-Za-z0-9_.\-\[\]]{1,64})=(?P<value>[^&\s\"'#;<>]*)"
)
_CREDENTIAL_KEYS = frozenset(
    """api_key apikey api-key key token access_token refresh_token id_token auth authorization
    password passwd pwd pass secret client_secret code signature sig hmac session sessionid
    otp magic csrf csrf_token user_hash""".split()
)
_CREDENTIAL_SUFFIXES = ("_key", "_token", "_secret", "_password", "_signature", "_code")
_BEARER = re.compile(r"(?i)\b(?P<scheme>bearer|basic|token)[ \t]+[A-Za-z0-9._~+/=\-]{8,}")
# OneStory API keys ("os_" + 43 url-safe characters) wherever they appear.
_API_KEY = re.compile(r"(?<![A-Za-z0-9_])os_[A-Za-z0-9_\-]{16,}")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _is_credential(key: str) -> bool:
    key = key.lower()
    return key in _CREDENTIAL_KEYS or key.endswith(_CREDENTIAL_SUFFIXES)


def _query_value(match: re.Match[str]) -> str:
    key = match["key"]
    if _is_credential(key):
        return f"{match['sep']}{key}={MASK}"
    return f"{match['sep']}{key}={unquote_plus(match['value'])}"


def scrub_log_text(text: str, *, default_region: str = "US") -> str:
    """``text`` with credentials masked and personal data redacted (IP addresses are kept)."""
    if "=" in text:
        text = _QUERY_PARAM.sub(_query_value, text)
    if "%" in text and _PERCENT.search(text):
        # A decoded "%0A" must not forge a new log line.
        text = _CONTROL.sub("?", unquote(text))
    if "os_" in text:
        text = _API_KEY.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m['scheme']} {MASK}", text)
    spans = [
        s
        for s in detect_pii(text, default_region=default_region, min_confidence=0.5)
        if s.kind != "ip"
    ]
    return _apply(text, spans)[0] if spans else text


class PiiLogFilter(logging.Filter):
    """A logging filter that removes personal data and credentials from each record (message,
    exception text and stack), so log files never hold them. Attach it to handlers
    (``handler.addFilter(PiiLogFilter())``) so records from every logger pass through it. It
    never drops a record."""

    def __init__(self, name: str = "", *, default_region: str = "US") -> None:
        super().__init__(name)
        self.default_region = default_region

    def _scrub(self, text: str) -> str:
        return scrub_log_text(text, default_region=self.default_region)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's problem to report
            return True
        clean = self._scrub(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now so the exception message is scrubbed too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        return True


# uvicorn's access and WebSocket lines: '%s - "GET /path HTTP/1.1" 200' with "host:port" first.
_CLIENT_ADDRESS = re.compile(r"\[?[0-9A-Fa-f.:]+\]?:\d{1,5}")


class ClientAddressFilter(logging.Filter):
    """Replaces the client address of uvicorn's access/WebSocket lines by ``client=<hash>``: an
    HMAC-SHA256 of the address (without the port) under the instance secret, 12 hex digits.
    ``key`` is a callable so the secret is only read once a line needs it."""

    def __init__(self, key: Callable[[], bytes]) -> None:
        super().__init__()
        self._key_source = key
        self._key: bytes | None = None

    def tag(self, address: str) -> str:
        """The stable tag of a client address ("203.0.113.9:51234" and "203.0.113.9" agree)."""
        if self._key is None:
            self._key = hmac.new(self._key_source(), b"log-client-address", "sha256").digest()
        # uvicorn writes "host:port" (IPv6 without brackets): the port is after the last colon.
        host = address.rsplit(":", 1)[0].strip("[]")
        return hmac.new(self._key, host.encode(), hashlib.sha256).hexdigest()[:12]

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.name.startswith("uvicorn")
            and isinstance(record.msg, str)
            and record.msg.startswith("%s - ")
            and isinstance(args, tuple)
            and args
            and isinstance(args[0], str)
            and _CLIENT_ADDRESS.fullmatch(args[0])
        ):
            try:
                record.args = (f"client={self.tag(args[0])}", *args[1:])
            except Exception:  # no secret readable: drop the address rather than log it
                record.args = ("client=?", *args[1:])
        return True


def install_pii_log_filter(
    logger: logging.Logger | None = None,
    *,
    default_region: str = "US",
    client_key: Callable[[], bytes] | None = None,
) -> PiiLogFilter:
    """Attach one `PiiLogFilter` (and, given ``client_key``, a `ClientAddressFilter` before it)
    to every handler of ``logger`` (the root logger by default), so records from all loggers are
    scrubbed before any handler writes them. Call it after the handlers are configured; handlers
    added later need ``handler.addFilter(returned_filter)``.
    """
    target = logger or logging.getLogger()
    pii_filter = PiiLogFilter(default_region=default_region)
    clients = ClientAddressFilter(client_key) if client_key is not None else None
    for handler in target.handlers:
        if clients is not None and not any(
            isinstance(f, ClientAddressFilter) for f in handler.filters
        ):
            handler.addFilter(clients)
        if not any(isinstance(f, PiiLogFilter) for f in handler.filters):
            handler.addFilter(pii_filter)
    return pii_filter
