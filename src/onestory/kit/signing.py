"""One signing scheme for every webhook OneStory verifies or sends under its own secret.

The signed string is ``<timestamp>.<METHOD> <path>.<body>``: the Unix time in seconds, the
upper-case HTTP method, the request path (with its query string, if any) as the sender
addressed it, and the raw body bytes. The MAC is HMAC-SHA256 under the shared secret, sent as::

    X-OneStory-Timestamp: 1764064800
    X-OneStory-Signature: v1=<hex>

Binding method and path stops a body signed for one route being replayed at another; the
timestamp bounds how long a captured request stays usable (the receiver's window, 300 s by
default). Within the window a replay is still possible, which is why every webhook also carries
an idempotency key: the event is recorded once and the replay answers ``duplicate``.

Several ``v1=`` values separated by commas may be sent (a sender rotating its secret); one
match is enough.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from onestory.kit.errors import Unauthorized, field_error

TIMESTAMP_HEADER = "X-OneStory-Timestamp"
SIGNATURE_HEADER = "X-OneStory-Signature"
VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def signed_string(timestamp: int, method: str, path: str, body: bytes) -> bytes:
    """The exact bytes the MAC covers."""
    return f"{timestamp}.{method.upper()} {path}.".encode() + body


def signature(secret: str, timestamp: int, method: str, path: str, body: bytes) -> str:
    """The ``X-OneStory-Signature`` value: ``v1=<hex HMAC-SHA256>``."""
    mac = hmac.new(secret.encode(), signed_string(timestamp, method, path, body), hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def target(url: str) -> str:
    """The path (and query) of ``url`` as it is signed: ``/v1/x?a=1`` for ``https://h/v1/x?a=1``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def sign_headers(secret: str, method: str, url: str, body: bytes, now: datetime) -> dict[str, str]:
    """The two headers a sender adds to a request to ``url`` (absolute or a bare path)."""
    ts = int(now.timestamp())
    return {
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: signature(secret, ts, method, target(url), body),
    }


def _refuse(detail: str, header: str, reason: str) -> Unauthorized:
    return Unauthorized(detail, errors=[field_error(header, reason)])


def verify(
    secret: str,
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Accept the request or raise a 401 problem that says why (missing, stale, bad).

    ``headers`` is looked up case-insensitively by the caller's mapping (Starlette's
    ``Headers`` is); ``path`` is the path and query the sender addressed.
    """
    given = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
    raw_ts = headers.get(TIMESTAMP_HEADER) or headers.get(TIMESTAMP_HEADER.lower())
    if not given:
        raise _refuse(
            f"the {SIGNATURE_HEADER} header is missing",
            SIGNATURE_HEADER,
            f"{VERSION}=<hex HMAC-SHA256 of '<timestamp>.<METHOD> <path>.<body>'>",
        )
    if not raw_ts:
        raise _refuse(
            f"the {TIMESTAMP_HEADER} header is missing",
            TIMESTAMP_HEADER,
            "Unix time in seconds when the request was signed",
        )
    try:
        ts = int(raw_ts.strip())
    except ValueError:
        raise _refuse(
            f"the {TIMESTAMP_HEADER} header is not a Unix time",
            TIMESTAMP_HEADER,
            "an integer number of seconds since 1970-01-01T00:00:00Z",
        ) from None
    age = int(now.timestamp()) - ts
    if abs(age) > tolerance_seconds:
        when = f"{age} s ago" if age > 0 else f"{-age} s in the future"
        raise _refuse(
            f"the signature is stale: signed {when}, outside the {tolerance_seconds} s window",
            TIMESTAMP_HEADER,
            f"must be within {tolerance_seconds} s of the server's clock",
        )
    expected = signature(secret, ts, method, path, body)
    candidates = [c.strip() for c in given.split(",")]
    if not any(hmac.compare_digest(expected, c) for c in candidates if c):
        raise _refuse(
            f"the {SIGNATURE_HEADER} does not match this request",
            SIGNATURE_HEADER,
            f"{VERSION}=<hex HMAC-SHA256 of '<timestamp>.{method.upper()} {path}.<body>'>",
        )
