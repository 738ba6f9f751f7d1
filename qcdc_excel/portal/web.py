"""The web desk: a Flask app over :class:`~qcdc_excel.portal.service.Portal`, wired from blueprints.

Thin by design: the pages (:mod:`.views_unit`, :mod:`.views_desk`) and the JSON API
(:mod:`.views_api`) call Portal methods and render; who is asking and what they may do is
:mod:`.access`; how things are shown (dates, links, the chase message) is :mod:`.present`. This
module makes the app (its settings, error pages and headers) and serves it with waitress. Nothing
but the static files may be cached.
"""
from __future__ import annotations

import datetime as dt
import errno
import socket
import threading
from pathlib import Path

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..i18n import QcdcError
from . import views_api, views_desk, views_unit
from .access import (ARCHIVE_LIMIT, BODY_LIMIT, LOGIN_FREE, LoginLimiter, api_error, api_error_text, install, lang,
                     local_target, say, wants_json, wants_script)
from .checker import Busy
from .present import next_periods, template_globals
from .service import Portal
from .storage import MAX_UPLOAD_BYTES

HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'")

__all__ = ["ARCHIVE_LIMIT", "BODY_LIMIT", "LOGIN_FREE", "LoginLimiter", "bind_error", "create_app",
           "local_target", "next_periods", "serve"]


def create_app(data_dir: str | Path | Portal, *, runner=None, base_url: str | None = None) -> Flask:
    """The desk's app over the data folder ``data_dir`` (its checks run by ``runner``, by default a
    pool of worker processes), or over a :class:`Portal` already open. ``base_url``: the address the
    units' links start with (default: the one the folder was made with). What a crash left
    unchecked is not recovered here: :func:`serve` does it in the background."""
    desk = data_dir if isinstance(data_dir, Portal) else Portal(data_dir, runner=runner, recover=False)
    app = Flask("qcdc_excel.portal", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    base = (base_url or desk.meta("base_url") or "").rstrip("/")
    app.config.update(
        SECRET_KEY=desk.secret_key,
        SESSION_COOKIE_NAME="qcdc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=base.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=7),
        MAX_CONTENT_LENGTH=BODY_LIMIT,
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session: an officer may leave the page open all day
        WTF_CSRF_SSL_STRICT=False,  # the Referer check breaks behind some proxies; the token is enough
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by access.gate, once the caller and its role are known
        JSON_AS_ASCII=False,
        QCDC_BASE_URL=base,
    )
    app.json.ensure_ascii = False
    install(app, desk)
    for blueprint in (views_unit.bp, views_desk.bp, views_api.bp):
        app.register_blueprint(blueprint)
    app.context_processor(template_globals)
    register_errors(app)
    app.after_request(headers)
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))
    app.add_url_rule("/healthz", "healthz", lambda: jsonify(desk.health()))
    return app


def register_errors(app: Flask) -> None:
    """Every error a page or the API can meet answered in words, never a traceback."""

    @app.errorhandler(CSRFError)
    def _csrf(e):
        if wants_json():
            return api_error_text(400, "csrf", "session-expired")
        return render_template("message.html", message=say("session-expired")), 400

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e):
        limit = (ARCHIVE_LIMIT if (request.max_content_length or 0) >= ARCHIVE_LIMIT
                 else MAX_UPLOAD_BYTES) // (1024 * 1024)
        if wants_script():
            return api_error_text(413, "upload-too-large", "too-large", limit=limit)
        return render_template("message.html", message=say("too-large", limit=limit)), 413

    @app.errorhandler(Busy)
    def _busy(e):  # too many checks waiting: nothing was stored; come back after Retry-After seconds
        if wants_script():
            resp = api_error(429, e.key, e.render("vi"), e.render("en"))
        else:
            resp = render_template("message.html", message=e.render(lang())), 429
        resp = app.make_response(resp)
        resp.headers["Retry-After"] = str(e.retry_after)
        return resp

    @app.errorhandler(HTTPException)
    def _http(e):
        key = {403: "forbidden", 404: "not-found"}.get(e.code)
        if key is None:
            return e
        if wants_json():
            return api_error_text(e.code, key)
        return render_template("message.html", message=say(key)), e.code

    @app.errorhandler(Exception)
    def _crash(e):  # the last guard: a message, never a traceback
        app.logger.exception("request failed")
        if wants_json():
            return api_error_text(500, "server-error")
        return render_template("message.html", message=say("server-error")), 500


def headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")  # a personal link never leaks onwards
    resp.headers.setdefault("Content-Security-Policy", CSP)
    if request.endpoint not in ("static", "favicon"):  # pages, downloads, the API: shared office PCs
        resp.headers["Cache-Control"] = "no-store"
    return resp


FREE_THREADS = 8  # server threads never given to requests waiting for a check: pages and /healthz


def bind_error(exc: Exception, host: str, port: int) -> QcdcError:
    """What to tell the person who started the desk when the address cannot be listened on."""
    code = getattr(exc, "errno", None)

    def any_of(*names: str) -> bool:
        return code is not None and code in {getattr(errno, n) for n in names if hasattr(errno, n)}

    if any_of("EADDRINUSE", "WSAEADDRINUSE"):
        return QcdcError("portal-port-in-use", host=host, port=port, other=port + 1 if port < 65535 else 8750)
    if any_of("EACCES", "EPERM", "WSAEACCES"):
        return QcdcError("portal-port-denied", host=host, port=port)
    # waitress raises ValueError for a host name that resolves to nothing
    if isinstance(exc, (ValueError, socket.gaierror)) or any_of("EADDRNOTAVAIL", "WSAEADDRNOTAVAIL"):
        return QcdcError("portal-address-unavailable", host=host, port=port)
    return QcdcError("portal-bind-failed", host=host, port=port, reason=getattr(exc, "strerror", None) or str(exc))


def serve(data: str | Path, host: str = "127.0.0.1", port: int = 8750, base_url: str | None = None,
          threads: int = 32, workers: int | None = None, behind_proxy: bool = False,
          announce=None) -> None:  # pragma: no cover - runs until stopped
    """Run the desk with waitress (a production WSGI server that runs on Windows too).

    It listens first (an address it cannot listen on raises the :class:`QcdcError` of
    :func:`bind_error`), then calls ``announce()``, then checks what a crash left unchecked in the
    background while it already answers (``/healthz`` says ``recovering`` until that is done).

    ``behind_proxy``: an HTTPS reverse proxy on this machine (nginx, Caddy, IIS) forwards to it;
    waitress then takes the client's address and scheme from that proxy's X-Forwarded-* headers
    (from 127.0.0.1 only), so failed logins are counted per real client.
    """
    import logging

    from .checker import CheckPool
    from .httpserver import make_server

    logging.basicConfig()  # waitress's warnings (a full task queue, a client gone) reach the console

    app = create_app(data, runner=CheckPool(workers, max_held=max(1, threads - FREE_THREADS)), base_url=base_url)
    portal = app.extensions["qcdc_portal"]
    proxy = dict(trusted_proxy="127.0.0.1", trusted_proxy_count=1,
                 trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}) if behind_proxy else {}
    try:
        # a body over the sender's own limit (one form; the secretariat's .zip) is refused before it is read
        server = make_server(app, app.extensions["qcdc_body_limit"], BODY_LIMIT, host=host, port=port, threads=threads,
                             max_request_body_size=ARCHIVE_LIMIT + 1024 * 1024, ident="qcdc-excel",
                             clear_untrusted_proxy_headers=True, **proxy)
    except (OSError, ValueError) as exc:
        portal.close()
        raise bind_error(exc, host, port) from None
    try:
        if announce is not None:
            announce()
        threading.Thread(target=portal.runner.warm, name="qcdc-warm-pool", daemon=True).start()
        # then the first look at the desk should not pay for reading every recorded check
        portal.start_recovery(then=portal.consolidation)
        server.run()
    finally:
        portal.close()
