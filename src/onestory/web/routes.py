"""The web UI (pages, static assets, sessions), mounted at the root, not under /v1.

Pages are thin shells: the browser reads the same JSON API under /v1 with its session cookie
and listens on /v1/live, so every screen shows new activity without a reload.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from onestory import __version__
from onestory.app_state import Runtime
from onestory.kit.http import problem_response
from onestory.kit.ratelimit import TooManyRequests, client_address
from onestory.users import service
from onestory.users.service import SignedIn
from onestory.web.dashboard import router as dashboard_router
from onestory.web.sessions import LOGIN_CSRF_COOKIE, Sessions, same_origin

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

STATIC = (HERE / "static").resolve()
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

# Which pages each role may open; the first one is where sign-in lands.
ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "agent": ("desktop", "customer", "search", "tasks"),
    "technician": ("tasks", "customer", "search"),
    "backoffice": ("tasks", "customer", "search"),
    "supervisor": ("supervisor", "desktop", "customer", "search", "tasks"),
    "admin": ("supervisor", "desktop", "customer", "search", "tasks"),
}
# Roles that work conversation queues (users.queues refuses the others).
QUEUE_ROLES = ("agent", "supervisor", "admin")
HOME = {"desktop": "/desktop", "tasks": "/tasks", "supervisor": "/supervisor"}
NAV = (
    ("desktop", "/desktop", "Inbox"),
    ("tasks", "/tasks", "Tasks"),
    ("search", "/search", "Search"),
    ("supervisor", "/supervisor", "Dashboard"),
)


def _home(who: SignedIn) -> str:
    return HOME[ROLE_PAGES[who.role][0]]


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never redirect a fresh sign-in to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def _page(
    sessions: Sessions, request: Request, page: str, template: str, **context: Any
) -> Response:
    who = await run_in_threadpool(sessions.signed_in, request)
    if who is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if page not in ROLE_PAGES.get(who.role, ()):
        return _no_store(
            templates.TemplateResponse(
                request,
                "forbidden.html",
                _context(who, page, title="Not for your role"),
                status_code=403,
            )
        )
    return _no_store(templates.TemplateResponse(request, template, _context(who, page, **context)))


def _context(who: SignedIn, page: str, **more: Any) -> dict[str, Any]:
    runtime_pages = ROLE_PAGES.get(who.role, ())
    nav = [(key, href, label) for key, href, label in NAV if key in runtime_pages]
    return {"user": who, "page": page, "nav": nav, "version": __version__, **more}


def _set_login_csrf(sessions: Sessions, request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=sessions.secure,
        path="/login",
    )


def _throttled(sessions: Sessions, request: Request, wait: int, next: str) -> Response:
    """429 with Retry-After: the sign-in page for a browser, a problem for anything else."""
    err = TooManyRequests(f"too many failed sign-ins; try again in {wait} s", retry_after=wait)
    if "text/html" not in request.headers.get("accept", ""):
        return problem_response(err, request)
    response = _login_error(
        sessions, request, f"Too many failed sign-ins. Try again in {wait} seconds.", next, 429
    )
    response.headers.update(err.headers)
    return response


def _login_error(
    sessions: Sessions, request: Request, message: str, next: str, status: int
) -> Response:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"csrf": token, "next": _safe_next(next) or "", "error": message, "version": __version__},
        status_code=status,
    )
    _set_login_csrf(sessions, request, response, token)
    return _no_store(response)


def build_router(sessions: Sessions) -> APIRouter:
    """The web UI's pages, bound to this application's browser sessions."""
    router = APIRouter(include_in_schema=False)
    router.include_router(dashboard_router)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        """The UI's own CSS and JS modules (no CDN, no build step)."""
        path = (STATIC / name).resolve()
        kind = STATIC_TYPES.get(path.suffix)
        if kind is None or path.parent != STATIC or not path.is_file():
            return Response("not found", status_code=404, media_type="text/plain")
        return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-cache"})

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str | None = None) -> Response:
        token = secrets.token_urlsafe(24)
        response = templates.TemplateResponse(
            request,
            "login.html",
            {"csrf": token, "next": _safe_next(next) or "", "error": None, "version": __version__},
        )
        _set_login_csrf(sessions, request, response, token)
        return _no_store(response)

    @router.post("/login", response_class=HTMLResponse)
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=1000)],
        csrf_token: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        runtime: Runtime = request.app.state.runtime
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not same_origin(request) or not service.csrf_matches(expected, csrf_token):
            return _login_error(
                sessions, request, "Your sign-in form expired. Please try again.", next, 403
            )

        limiter, limits = runtime.guard.limiter, runtime.settings.limits
        account = ("login-account", username.strip().lower())
        client = ("login-client", client_address(request, limits.trusted_proxies))
        # A locked account stays locked for the right password too: otherwise guessing goes on
        # and the lock only hides which guess was right.
        wait = limiter.blocked(limits.login, *account) or limiter.blocked(
            limits.login_client, *client
        )
        if wait is not None:
            return _throttled(sessions, request, wait, next)

        outcome = await run_in_threadpool(sessions.sign_in, username, password)
        if outcome is None:
            limiter.hit(limits.login, *account)
            limiter.hit(limits.login_client, *client)
            return _login_error(sessions, request, "Wrong username or password.", next, 401)
        # The account's own failures are forgiven; the address's failures on other accounts
        # are not, so one good password cannot launder a spray across accounts.
        limiter.clear(limits.login, *account)
        token, role = outcome
        target = _safe_next(next) or HOME[ROLE_PAGES[role][0]]
        response = RedirectResponse(target, status_code=303)
        sessions.set_cookie(response, token)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @router.post("/logout")
    async def logout(
        request: Request, csrf_token: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        who = await run_in_threadpool(sessions.signed_in, request)
        if who is not None:
            if not service.csrf_matches(who.csrf_token, csrf_token):
                return Response("CSRF token missing or wrong", status_code=403)

            await run_in_threadpool(sessions.sign_out, who.session_id)
        response = RedirectResponse("/login", status_code=303)
        sessions.clear_cookie(response)
        return response

    @router.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        who = await run_in_threadpool(sessions.signed_in, request)
        return RedirectResponse(_home(who) if who else "/login", status_code=303)

    @router.get("/desktop", response_class=HTMLResponse)
    async def desktop(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        return await _page(
            sessions,
            request,
            "desktop",
            "desktop.html",
            title="Inbox",
            sla_minutes=runtime.settings.web.sla_wait_minutes,
        )

    @router.get("/customers/{customer_id}", response_class=HTMLResponse)
    async def customer(
        request: Request, customer_id: str, conversation: str | None = None
    ) -> Response:
        return await _page(
            sessions,
            request,
            "customer",
            "customer.html",
            title="Customer",
            customer_id=customer_id[:40],
            conversation_id=(conversation or "")[:40],
        )

    @router.get("/search", response_class=HTMLResponse)
    async def search(request: Request, q: str = "") -> Response:
        return await _page(sessions, request, "search", "search.html", title="Search", q=q[:320])

    @router.get("/tasks", response_class=HTMLResponse)
    async def tasks(request: Request) -> Response:
        return await _page(sessions, request, "tasks", "tasks.html", title="Tasks")

    @router.get("/supervisor", response_class=HTMLResponse)
    async def supervisor(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        conv = runtime.settings.conversations

        def people() -> list[tuple[str, str, str]]:
            # Who can be put in a queue: users who work conversations (not disabled).
            return runtime.work.run_sync(
                lambda uow: service.active_people(uow.session, QUEUE_ROLES), write=False
            )[0]

        # Queues the routing sends conversations to, even before anyone works them.
        routed = sorted({conv.default_queue, *(r.queue for r in conv.routing_rules())})
        return await _page(
            sessions,
            request,
            "supervisor",
            "supervisor.html",
            title="Dashboard",
            refresh=runtime.settings.web.dashboard_refresh_seconds,
            sla=runtime.settings.web.sla_wait_minutes,
            people=await run_in_threadpool(people),
            routed_queues=routed,
        )

    @router.get("/demo/widget", response_class=HTMLResponse)
    async def demo_widget(request: Request, email: str = "", name: str = "") -> Response:
        """The customer's side: a page embedding the chat widget (no sign-in needed)."""
        return templates.TemplateResponse(
            request,
            "widget_demo.html",
            {"version": __version__, "email": email[:320], "name": name[:200]},
        )

    return router
