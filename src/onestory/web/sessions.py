"""Browser sessions: the signed cookie, CSRF checks, and the session principal the API accepts.

The cookie holds ``<token>.<mac>``: the MAC (HMAC-SHA256 with the app secret) lets a forged or
tampered cookie be refused without touching the store; the token's SHA-256 names the session
row, which is what sign-out and ``users disable`` revoke.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

from onestory.app_state import Runtime
from onestory.auth.service import Principal
from onestory.config import load_secret
from onestory.kit.errors import Forbidden
from onestory.pipeline.uow import UnitOfWork
from onestory.users import service
from onestory.users.service import SignedIn

SESSION_COOKIE = "onestory_session"
# Double-submit token for the sign-in form (there is no session yet to hold one).
LOGIN_CSRF_COOKIE = "onestory_login_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Sessions:
    """Signs cookies and resolves them to users; one per runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.secure = runtime.settings.base_url.startswith("https")
        self.lifetime = timedelta(hours=runtime.settings.web.session_hours)
        self._key = hmac.new(load_secret(runtime.settings), b"web-session", "sha256").digest()

    def _mac(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()[:32]

    def cookie_value(self, token: str) -> str:
        return f"{token}.{self._mac(token)}"

    def token_from(self, conn: HTTPConnection) -> str | None:
        raw = conn.cookies.get(SESSION_COOKIE)
        if not raw or "." not in raw or len(raw) > 200:
            return None
        token, mac = raw.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(token)):
            return None
        return token

    def signed_in(self, conn: HTTPConnection) -> SignedIn | None:
        token = self.token_from(conn)
        if token is None:
            return None
        with self.runtime.db.transaction() as session:
            return service.resolve_session(session, token, now=self.runtime.clock.now())

    def principal(self, conn: HTTPConnection) -> Principal | None:
        """The API principal of a signed-in browser, or None when there is no valid cookie.

        Unsafe HTTP methods must echo the session's CSRF token in ``X-CSRF-Token``; WebSocket
        handshakes must come from our own origin (browsers send cookies cross-site on them).
        """
        who = self.signed_in(conn)
        if who is None:
            return None
        if conn.scope["type"] == "websocket":
            if not same_origin(conn):
                raise Forbidden("the WebSocket was opened from another site")
        elif conn.scope.get("method", "GET") not in SAFE_METHODS and not service.csrf_matches(
            who.csrf_token, conn.headers.get(CSRF_HEADER)
        ):
            raise Forbidden("send the page's CSRF token in the X-CSRF-Token header")
        return who.principal

    def sign_in(self, username: str, password: str) -> tuple[str, str] | None:
        """A new session's token and the user's role, or None for a wrong password."""

        def work(uow: UnitOfWork) -> tuple[str, str] | None:
            user = service.verify_password(uow.session, username, password)
            if user is None:
                return None
            _row, token = service.start_session(
                uow.session, user, clock=self.runtime.clock, lifetime=self.lifetime
            )
            return token, user.role

        return self.runtime.work.run_sync(work)[0]

    def sign_out(self, session_id: str) -> None:
        def work(uow: UnitOfWork) -> None:
            service.end_session(uow.session, session_id, clock=self.runtime.clock)

        self.runtime.work.run_sync(work)

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.cookie_value(token),
            max_age=int(self.lifetime.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, httponly=True, samesite="lax", secure=self.secure, path="/"
        )


def same_origin(conn: HTTPConnection) -> bool:
    """True when the request has no Origin (not a browser) or its host is ours."""
    origin = conn.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == conn.headers.get("host", "")
