"""Who is asking the desk, and what they may do: sessions, access codes, the login limiter, the
body-size limits and the pages' "needs the office / a unit" (:func:`need`).

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure behind HTTPS) that also carry
the holder's session stamp, so signing out, a new code and the office's "sign everyone out" end
them on the server; every form and every cookie-authenticated upload is protected by Flask-WTF's
CSRF tokens; scripts use ``Authorization: Bearer <access code>`` instead.
"""
from __future__ import annotations

import math
import threading
import time
import unicodedata
from functools import wraps
from urllib.parse import urlsplit, urlunsplit

from flask import (Blueprint, Flask, abort, current_app, flash, g, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import parse_cookie
from werkzeug.routing import RoutingException

from .service import Portal
from .storage import MAX_UPLOAD_BYTES
from .texts import duration, text

ARCHIVE_LIMIT = 512 * 1024 * 1024  # a desk upload may be a .zip of a whole province's files
BODY_LIMIT = MAX_UPLOAD_BYTES + 256 * 1024  # what anyone else may send: one form and the form's fields
LOGIN_FREE = 10  # wrong codes from one address before it must wait
LOGIN_FIRST_WAIT, LOGIN_MAX_WAIT = 1, 600  # seconds: the first wait, doubling up to 10 minutes
LOGIN_FORGET = 3600  # an address's wrong codes are forgotten after an hour without one
ARCHIVE_ENDPOINTS = ("desk.upload", "api.submissions")  # where the secretariat may send a whole round's .zip

bp = Blueprint("access", __name__)


class LoginLimiter:
    """Wrong access codes per client address (in memory: one process serves).

    The code is always checked first, so a right code gets in whatever came before from the same
    address (an office behind one NAT is never shut out). After ``free`` wrong codes each further
    one makes the address wait, ``first`` second(s) doubling up to ``cap``; a wrong code during a
    wait is answered with what is left of it and not counted. A code is 128 random bits: these
    waits only make a script back off, guessing is hopeless anyway.
    """

    def __init__(self, free: int = LOGIN_FREE, first: float = LOGIN_FIRST_WAIT, cap: float = LOGIN_MAX_WAIT,
                 forget: float = LOGIN_FORGET, clock=time.monotonic) -> None:
        self.free, self.first, self.cap, self.forget, self.clock = free, first, cap, forget, clock
        self._state: dict[str, list[float]] = {}  # address -> [wrong codes, waits until, last wrong]
        self._lock = threading.Lock()

    def failed(self, key: str) -> int:
        """Count a wrong code from ``key``; the seconds it must now wait (0: none)."""
        with self._lock:
            now = self.clock()
            state = self._state.get(key)
            if state is None or now - state[2] > self.forget:
                state = self._state[key] = [0, 0.0, now]
            if state[1] > now:
                return math.ceil(state[1] - now)
            state[0] += 1
            state[2] = now
            if state[0] >= self.free:
                state[1] = now + min(self.first * 2 ** (state[0] - self.free), self.cap)
            if len(self._state) > 100_000:  # never grow without bound
                self._state = {k: v for k, v in self._state.items() if now - v[2] <= self.forget}
            return math.ceil(state[1] - now) if state[1] > now else 0


# --- the request's context ------------------------------------------------------------------------------
def portal() -> Portal:
    return current_app.extensions["qcdc_portal"]


def lang() -> str:
    return session.get("lang", "vi") if session.get("lang") in ("vi", "en") else "vi"


def say(key: str, **params) -> str:
    """A text of the desk in the page's language."""
    return text(key, lang(), **params)


def who() -> str | None:
    return g.get("who")


def role() -> str | None:
    return g.get("role")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def wants_script() -> bool:
    """The page's script (``X-Requested-With``) or a JSON client: answered in JSON, not a page."""
    return bool(request.headers.get("X-Requested-With")) or wants_json()


def api_error(status: int, code: str, vi: str, en: str):
    return jsonify({"error": code, "message": en if lang() == "en" else vi, "message_vi": vi,
                    "message_en": en}), status


def api_error_text(status: int, code: str, key: str | None = None, **params):
    """:func:`api_error` with the desk's text ``key`` (default: ``code``) in both languages."""
    key = key or code
    return api_error(status, code, text(key, "vi", **params), text(key, "en", **params))


def forbidden():
    if wants_json():
        return api_error_text(403, "forbidden")
    abort(403)


def need(needed: str | None = None):
    """A view for someone signed in (with ``needed``: of that role, "admin" or "unit")."""
    def deco(view):
        @wraps(view)
        def wrapper(*a, **kw):
            if who() is None:
                if wants_json():
                    return api_error_text(401, "unauthorised", "sign-in-first")
                return redirect(url_for("access.login"))
            if needed and g.role != needed:
                return forbidden()
            return view(*a, **kw)
        wrapper.qcdc_role = needed or ""
        return wrapper
    return deco


def limited_text(wait: int, language: str) -> str:
    return text("login-limited", language, wait=duration(wait, language))


def local_target(app: Flask, value: str | None, default: str = "/") -> str:
    """``value`` when it is a page of this desk, else ``default``: where a ``next`` may send a browser.

    Browsers drop tabs and line breaks from an address and read ``\\`` as ``/``, so control
    characters are removed and backslashes turned into slashes first. What is left must have no
    scheme and no host (``//host``), and its path must be one of the app's own pages (its GET
    routes, matched by the app's URL map), not a personal link.
    """
    cleaned = "".join(ch for ch in str(value or "") if unicodedata.category(ch) != "Cc").replace("\\", "/").strip()
    parts = urlsplit(cleaned)
    if cleaned.startswith("//") or parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return default
    try:
        endpoint, _ = app.url_map.bind("desk.invalid").match(parts.path, method="GET")
    except (HTTPException, RoutingException):
        return default
    if endpoint in ("access.link_login", "static", "access.set_lang"):
        return default
    return urlunsplit(("", "", parts.path, parts.query, ""))


# --- sessions -------------------------------------------------------------------------------------------
def session_role(data, desk: Portal) -> str | None:
    """The role of a session whose holder's stamp still matches (None: signed out or ended)."""
    holder = data.get("who")
    if holder and data.get("stamp") is not None and data.get("stamp") == desk.session_stamp(holder):
        return data.get("role")
    return None


def clear_session() -> None:
    """Forget who signed in; the chosen language stays."""
    keep = session.get("lang")
    session.clear()
    if keep:
        session["lang"] = keep


def body_limit_for(app: Flask, desk: Portal):
    """``limit(authorization, cookie)``: how many bytes the sender of these headers may send, the
    secretariat a whole round's .zip, anyone else one form. Read by the server before it reads a
    body (see httpserver)."""
    cookies = app.session_interface.get_signing_serializer(app)

    def limit(authorization: str, cookie: str) -> int:
        found_role = None
        if authorization.lower().startswith("bearer "):
            found = desk.login(authorization[7:].strip())
            found_role = found[0] if found else None
        elif (raw := parse_cookie(cookie).get(app.config["SESSION_COOKIE_NAME"])):
            try:
                data = cookies.loads(raw, max_age=int(app.permanent_session_lifetime.total_seconds()))
                found_role = session_role(data, desk)
            except BadSignature:
                found_role = None
        return ARCHIVE_LIMIT if found_role == "admin" else BODY_LIMIT

    return limit


def identify():
    """Before every request: who is asking (an access code in the header, else the session)."""
    g.who, g.role = None, None
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        found = portal().login(auth[7:].strip())  # the right code always gets in
        if found is None:
            wait = current_app.extensions["qcdc_limiter"].failed(request.remote_addr or "")
            if wait:
                resp = api_error(429, "rate-limited", limited_text(wait, "vi"), limited_text(wait, "en"))
                return resp[0], 429, {"Retry-After": str(wait)}
            return api_error_text(401, "unauthorised", "wrong-code")
        g.role, g.who = found
        g.bearer = True
        return None
    g.bearer = False
    if "who" in session:
        # signing out, a new code or "sign everyone out" changed the holder's stamp: this session ended
        found_role = session_role(session, portal())
        if found_role is None:
            clear_session()
        else:
            g.who, g.role = session["who"], found_role
    return None


def size_limit():
    # before anything reads the body: the secretariat may send a .zip of a whole round, anyone
    # else one form; a longer body is refused from its Content-Length, unread (a chunked one is
    # cut off while it is read, by Werkzeug's limit on the stream)
    big = g.role == "admin" and request.endpoint in ARCHIVE_ENDPOINTS
    request.max_content_length = ARCHIVE_LIMIT if big else BODY_LIMIT
    if (request.content_length or 0) > request.max_content_length:
        raise RequestEntityTooLarge()


def gate():
    # the page's role first (a unit posting to the desk is refused, not told its session
    # expired), then the CSRF token of every cookie-authenticated form or upload
    view = current_app.view_functions.get(request.endpoint)
    needed = getattr(view, "qcdc_role", None)
    if needed and who() is not None and g.role != needed:
        return forbidden()
    if needed is not None and who() is None and request.path.startswith("/api/"):
        return None  # the API answers 401 (a page posted by an expired session says so: CSRF below)
    if request.method == "POST" and not g.bearer and request.endpoint is not None:
        current_app.extensions["csrf"].protect()
    return None


def install(app: Flask, desk: Portal) -> None:
    """Wire access into ``app``: CSRF, the limiter, the body limit and the checks before each request."""
    CSRFProtect(app)
    app.extensions["qcdc_portal"] = desk
    app.extensions["qcdc_limiter"] = LoginLimiter()
    app.extensions["qcdc_body_limit"] = body_limit_for(app, desk)
    for hook in (identify, size_limit, gate):
        app.before_request(hook)
    app.register_blueprint(bp)


# --- signing in -----------------------------------------------------------------------------------------
def sign_in(code: str):
    found = portal().login(code)  # checked first: the right code always gets in
    if found is None:
        wait = current_app.extensions["qcdc_limiter"].failed(request.remote_addr or "")
        if wait:
            return render_template("login.html", error=limited_text(wait, lang())), 429, {"Retry-After": str(wait)}
        return render_template("login.html", error=say("login-failed")), 403
    found_role, holder = found
    clear_session()
    session.permanent = True
    session.update({"who": holder, "role": found_role, "stamp": portal().session_stamp(holder)})
    return redirect(url_for("desk.home" if found_role == "admin" else "unit.home"))


@bp.get("/")
def index():
    if who() is None:
        return render_template("login.html")
    return redirect(url_for("desk.home" if g.role == "admin" else "unit.home"))


@bp.get("/u/<code>")
def link_login(code: str):
    # the personal link: sign in, then redirect so the code leaves the address bar and history
    return sign_in(code)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        return sign_in(request.form.get("code", "").strip())
    return render_template("login.html")


@bp.post("/logout")
def logout():
    if who() is not None and not g.bearer:
        portal().end_sessions(who())  # the cookie stops working on the server, not only in this browser
    clear_session()
    flash(say("signed-out"))
    return redirect(url_for("access.login"))


@bp.get("/lang/<code>")
def set_lang(code: str):
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(local_target(current_app, request.args.get("next")))
