"""The web desk: Flask pages and the JSON API over :class:`~qcdc_excel.portal.service.Portal`.

Thin by design: every action is a Portal method. Sessions are Flask's signed cookies (HttpOnly,
SameSite=Lax, Secure behind HTTPS) that also carry the holder's session stamp, so signing out,
a new code and the office's "sign everyone out" end them on the server; every form and every
cookie-authenticated upload is protected by Flask-WTF's CSRF tokens; scripts use
``Authorization: Bearer <access code>`` instead. Nothing but the static files may be cached.
"""
from __future__ import annotations

import datetime as dt
import errno
import io
import math
import socket
import threading
import time
import unicodedata
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import (Flask, Response, abort, flash, g, jsonify, redirect, render_template, request, send_file,
                   session, url_for)
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import BadSignature
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import parse_cookie
from werkzeug.routing import RoutingException

from ..i18n import QcdcError
from ..periods import VN_TIME, parse_period
from .checker import Busy
from .service import ADMIN, MAX_UPLOAD_BYTES, Portal
from .texts import duration, text

HERE = Path(__file__).parent
ARCHIVE_LIMIT = 512 * 1024 * 1024  # a desk upload may be a .zip of a whole province's files
BODY_LIMIT = MAX_UPLOAD_BYTES + 256 * 1024  # what anyone else may send: one form and the form's fields
LOGIN_FREE = 10  # wrong codes from one address before it must wait
LOGIN_FIRST_WAIT, LOGIN_MAX_WAIT = 1, 600  # seconds: the first wait, doubling up to 10 minutes
LOGIN_FORGET = 3600  # an address's wrong codes are forgotten after an hour without one


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
    if endpoint in ("link_login", "static", "set_lang"):
        return default
    return urlunsplit(("", "", parts.path, parts.query, ""))


def create_app(portal: Portal, base_url: str | None = None, testing: bool = False) -> Flask:
    app = Flask("qcdc_excel.portal", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    base = (base_url or portal.meta("base_url") or "").rstrip("/")
    app.config.update(
        SECRET_KEY=portal.secret_key,
        SESSION_COOKIE_NAME="qcdc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=base.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=7),
        MAX_CONTENT_LENGTH=BODY_LIMIT,
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session: an officer may leave the page open all day
        WTF_CSRF_SSL_STRICT=False,  # the Referer check breaks behind some proxies; the token is enough
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by _gate below, once the caller and its role are known
        TESTING=testing,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    csrf = CSRFProtect(app)
    limiter = LoginLimiter()
    cookies = app.session_interface.get_signing_serializer(app)
    app.extensions["qcdc_portal"] = portal
    app.extensions["qcdc_limiter"] = limiter

    def session_role(data) -> str | None:
        """The role of a session whose holder's stamp still matches (None: signed out or ended)."""
        holder = data.get("who")
        if holder and data.get("stamp") is not None and data.get("stamp") == portal.session_stamp(holder):
            return data.get("role")
        return None

    def body_limit(authorization: str, cookie: str) -> int:
        """How many bytes the sender of these headers may send: the secretariat a whole round's
        .zip, anyone else one form. Read by the server before it reads a body (see httpserver)."""
        role = None
        if authorization.lower().startswith("bearer "):
            found = portal.login(authorization[7:].strip())
            role = found[0] if found else None
        elif (raw := parse_cookie(cookie).get(app.config["SESSION_COOKIE_NAME"])):
            try:
                role = session_role(cookies.loads(raw, max_age=int(app.permanent_session_lifetime.total_seconds())))
            except BadSignature:
                role = None
        return ARCHIVE_LIMIT if role == "admin" else BODY_LIMIT

    app.extensions["qcdc_body_limit"] = body_limit

    # --- helpers ------------------------------------------------------------------------------------
    def lang() -> str:
        return session.get("lang", "vi") if session.get("lang") in ("vi", "en") else "vi"

    def _(key: str, **params) -> str:
        return text(key, lang(), **params)

    def who() -> str | None:
        return g.get("who")

    @app.before_request
    def _identify():
        g.who, g.role = None, None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            found = portal.login(auth[7:].strip())  # the right code always gets in
            if found is None:
                wait = limiter.failed(request.remote_addr or "")
                if wait:
                    resp = api_error(429, "rate-limited", limited_text(wait, "vi"), limited_text(wait, "en"))
                    return resp[0], 429, {"Retry-After": str(wait)}
                return api_error(401, "unauthorised", "Mã truy cập không đúng.", "Wrong access code.")
            g.role, g.who = found
            g.bearer = True
            return None
        g.bearer = False
        if "who" in session:
            # signing out, a new code or "sign everyone out" changed the holder's stamp: this session ended
            role = session_role(session)
            if role is None:
                keep = session.get("lang")
                session.clear()
                if keep:
                    session["lang"] = keep
            else:
                g.who, g.role = session["who"], role
        return None

    @app.before_request
    def _size_limit():
        # before anything reads the body: the secretariat may send a .zip of a whole round, anyone
        # else one form; a longer body is refused from its Content-Length, unread (a chunked one is
        # cut off while it is read, by Werkzeug's limit on the stream)
        big = g.role == "admin" and request.endpoint in ("desk_upload", "api_submissions")
        request.max_content_length = ARCHIVE_LIMIT if big else BODY_LIMIT
        if (request.content_length or 0) > request.max_content_length:
            raise RequestEntityTooLarge()

    @app.before_request
    def _gate():
        # the page's role first (a unit posting to the desk is refused, not told its session
        # expired), then the CSRF token of every cookie-authenticated form or upload
        view = app.view_functions.get(request.endpoint)
        role = getattr(view, "qcdc_role", None)
        if role and who() is not None and g.role != role:
            return forbidden()
        if role is not None and who() is None and request.path.startswith("/api/"):
            return None  # the API answers 401 (a page posted by an expired session says so: CSRF below)
        if request.method == "POST" and not g.bearer and request.endpoint is not None:
            csrf.protect()
        return None

    def limited_text(wait: int, language: str) -> str:
        return text("login-limited", language, wait=duration(wait, language))

    def api_error(status: int, code: str, vi: str, en: str):
        return jsonify({"error": code, "message": en if lang() == "en" else vi, "message_vi": vi,
                        "message_en": en}), status

    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    def forbidden():
        if wants_json():
            return api_error(403, "forbidden", text("forbidden", "vi"), text("forbidden", "en"))
        abort(403)

    def need(role: str | None = None):
        def deco(view):
            @wraps(view)
            def wrapper(*a, **kw):
                if who() is None:
                    if wants_json():
                        return api_error(401, "unauthorised", "Cần đăng nhập.", "Sign in first.")
                    return redirect(url_for("login"))
                if role and g.role != role:
                    return forbidden()
                return view(*a, **kw)
            wrapper.qcdc_role = role or ""
            return wrapper
        return deco

    def current_round():
        rid = request.args.get("round", type=int) or session.get("round")
        if rid is not None and g.role == "admin":
            try:
                return portal.round(rid)
            except KeyError:
                session.pop("round", None)
        return portal.round()

    def fmt_time(value: str | None) -> str:
        if not value:
            return ""
        t = dt.datetime.fromisoformat(value).astimezone()
        return t.strftime("%d/%m/%Y %H:%M")

    def fmt_date(value) -> str:
        if not value:
            return ""
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        return d.strftime("%d/%m/%Y")

    def period_label(code: str | None) -> str:
        if not code:
            return ""
        try:
            return parse_period(code).label(lang())
        except (QcdcError, ValueError, KeyError):
            return code  # a period read from a file that is not one: shown as written

    def shown_name(s: dict) -> str:
        """The file's name as a unit may see it: a file the office took in keeps only its last part
        (never the office's folders or archive paths)."""
        if g.get("role") == "admin" or s.get("sender") != ADMIN:
            return s["file_name"]
        return s["file_name"].replace("\\", "/").rstrip("/").rpartition("/")[2] or s["file_name"]

    def feedback_label(s: dict, short: bool = False) -> str:
        """What the link to a checked file's feedback says: a receipt for an accepted file."""
        key = {"accepted": "link-receipt", "accepted-with-warnings": "link-receipt-warnings",
               "unreadable": "link-note"}.get(s["status"], "link-feedback")
        return _(key + ("-short" if short and key == "link-feedback" else ""))

    @app.context_processor
    def _globals():
        return {"_": _, "lang": lang(), "who": who(), "role": g.get("role"), "fmt_time": fmt_time,
                "fmt_date": fmt_date, "period_label": period_label, "holder": portal.holder_name(who()) if who() else "",
                "upload_limit_mb": MAX_UPLOAD_BYTES // (1024 * 1024), "shown_name": shown_name,
                "feedback_label": feedback_label}

    def upload_name(f) -> str:
        return f.filename or "tep"

    # --- errors -------------------------------------------------------------------------------------
    @app.errorhandler(CSRFError)
    def _csrf(e):
        if wants_json():
            return api_error(400, "csrf", text("session-expired", "vi"), text("session-expired", "en"))
        return render_template("message.html", message=_("session-expired")), 400

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e):
        limit = (ARCHIVE_LIMIT if (request.max_content_length or 0) >= ARCHIVE_LIMIT
                 else MAX_UPLOAD_BYTES) // (1024 * 1024)
        if wants_json() or request.headers.get("X-Requested-With"):
            return api_error(413, "upload-too-large", text("too-large", "vi", limit=limit),
                             text("too-large", "en", limit=limit))
        return render_template("message.html", message=_("too-large", limit=limit)), 413

    @app.errorhandler(Busy)
    def _busy(e):  # too many checks waiting: nothing was stored; come back after Retry-After seconds
        if wants_json() or request.headers.get("X-Requested-With"):
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
            return api_error(e.code, key, text(key, "vi"), text(key, "en"))
        return render_template("message.html", message=_(key)), e.code

    @app.errorhandler(Exception)
    def _crash(e):  # the last guard: a message, never a traceback
        app.logger.exception("request failed")
        if wants_json():
            return api_error(500, "server-error", text("server-error", "vi"), text("server-error", "en"))
        return render_template("message.html", message=_("server-error")), 500

    # --- signing in ---------------------------------------------------------------------------------
    def sign_in(code: str):
        found = portal.login(code)  # checked first: the right code always gets in
        if found is None:
            wait = limiter.failed(request.remote_addr or "")
            if wait:
                return render_template("login.html", error=limited_text(wait, lang())), 429, {"Retry-After": str(wait)}
            return render_template("login.html", error=_("login-failed")), 403
        role, holder = found
        keep = session.get("lang")
        session.clear()
        session.permanent = True
        session.update({"who": holder, "role": role, "stamp": portal.session_stamp(holder)})
        if keep:
            session["lang"] = keep
        return redirect(url_for("desk" if role == "admin" else "unit_home"))

    @app.get("/")
    def index():
        if who() is None:
            return render_template("login.html")
        return redirect(url_for("desk" if g.role == "admin" else "unit_home"))

    @app.get("/u/<code>")
    def link_login(code: str):
        # the personal link: sign in, then redirect so the code leaves the address bar and history
        return sign_in(code)

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            return sign_in(request.form.get("code", "").strip())
        return render_template("login.html")

    @app.post("/logout")
    def logout():
        if who() is not None and not g.bearer:
            portal.end_sessions(who())  # the cookie stops working on the server, not only in this browser
        keep = session.get("lang")
        session.clear()
        if keep:
            session["lang"] = keep
        flash(_("signed-out"))
        return redirect(url_for("login"))

    @app.get("/lang/<code>")
    def set_lang(code: str):
        if code in ("vi", "en"):
            session["lang"] = code
        return redirect(local_target(app, request.args.get("next")))

    @app.get("/favicon.ico")
    def favicon():
        return app.send_static_file("favicon.svg")

    @app.get("/healthz")
    def healthz():
        # never waits for a worker: one database read and counters taken under a lock held for moments
        rnd = portal.round()
        recovery = dict(portal.recovery)
        checks = getattr(portal.runner, "stats", dict)()
        return jsonify({"ok": True, "status": "recovering" if recovery.pop("running") else "ready",
                        "recovery": recovery, "checks": checks, "round": rnd.id, "period": rnd.period})

    # --- the unit's page ------------------------------------------------------------------------------
    @app.get("/unit")
    @need("unit")
    def unit_home():
        rnd = portal.round()
        history = portal.unit_history(who(), lang())
        latest = history[0] if history and history[0]["round"] == rnd.id else None
        return render_template("unit.html", rnd=rnd, unit=portal.unit(rnd, who()), history=history, latest=latest,
                               standing=unit_standing(rnd, history))

    def unit_standing(rnd, history: list[dict]) -> dict | None:
        """The unit's standing in the current round, for the top of its page: its state on the desk
        (which says whether a report is still owed), the file that counts now and the office's latest word."""
        row = next((r for r in portal.completeness(rnd.id) if r["code"] == who()), None)
        if row is None:
            return None  # not expected in this round
        here = [s for s in history if s["round"] == rnd.id]
        counting = next((s for s in here if s["id"] == row["submission"]), None)
        word = max((s for s in here if s["review"]), key=lambda s: s["reviewed_at"] or "", default=None)
        return {"state": row["state"], "counting": counting, "word": word}

    def template_download(code: str, round_id: int | None = None):
        try:
            data, name = portal.template(code, round_id)
        except KeyError:
            abort(404)
        return send_file(io.BytesIO(data), download_name=name, as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @app.get("/unit/template")
    @need("unit")
    def unit_template():
        return template_download(who())

    @app.post("/unit/upload")
    @need("unit")
    def unit_upload():
        files = request.files.getlist("file")
        results = [portal.receive(f.read(), upload_name(f), who(), "web", lang=lang()) for f in files if f]
        if request.headers.get("X-Requested-With") or wants_json():
            return jsonify({"submissions": [decorate(r) for r in results]}), 201 if results else 400
        if len(results) == 1:
            return redirect(url_for("submission_page", sid=results[0]["id"]))
        return redirect(url_for("unit_home"))

    def decorate(r: dict) -> dict:
        """What the upload page's script shows for one file, in the page's language."""
        r = dict(r)
        r["status_text"] = _(f"status-{r['status']}")
        r["page_url"] = url_for("submission_page", sid=r["id"])
        r["feedback_link"] = url_for("submission_feedback", sid=r["id"]) if r["feedback_url"] else None
        r["feedback_text"] = feedback_label(r) if r["feedback_url"] else None
        r["period_text"] = period_label(r["period"])
        return r

    @app.get("/submissions/<int:sid>")
    @need()
    def submission_page(sid: int):
        if not portal.owns(sid, who()):
            abort(404)  # another unit's file: not even whether it exists
        s = portal.submission(sid, lang())
        return render_template("submission.html", s=s, reviews=portal.review_history(sid),
                               rnd=portal.round(s["round"]))

    @app.get("/submissions/<int:sid>/file")
    @need()
    def submission_file(sid: int):
        if not portal.owns(sid, who()):
            abort(404)
        path, name = portal.original(sid)
        return send_file(path, download_name=name, as_attachment=True, mimetype="application/octet-stream")

    @app.get("/submissions/<int:sid>/feedback")
    @need()
    def submission_feedback(sid: int):
        if not portal.owns(sid, who()):
            abort(404)
        # The feedback copy goes to the unit: in the language the unit chose on its own page, and
        # Vietnamese when the office downloads it, whatever the office's page language.
        try:
            path, name = portal.feedback(sid, lang() if who() != ADMIN else "vi")
        except KeyError:
            abort(404)
        return send_file(path, download_name=name, as_attachment=True)

    # --- the secretariat's desk ------------------------------------------------------------------------
    @app.get("/desk")
    @need("admin")
    def desk():
        rnd = current_round()
        session["round"] = rnd.id
        rows = portal.completeness(rnd.id)
        counts = {k: 0 for k in ("on-time", "late", "returned", "missing", "approved")}
        for r in rows:
            counts[r["state"]] += 1
        state, q = request.args.get("state", ""), request.args.get("q", "").strip()[:200]
        shown = [r for r in rows if (not state or r["state"] == state)
                 and (not q or fold(q) in fold(f"{r['code']} {r['name']}"))]
        # an unpacked .zip is not a stray file: its members are listed on their own
        others = [s for s in portal.others(rnd.id, lang()) if s["status"] != "archive"]
        return render_template("desk.html", rnd=rnd, rows=shown, total=len(rows), counts=counts, state=state, q=q,
                               others=others, rounds=portal.rounds(), own=portal.parent_own(rnd.id),
                               parent=portal.unit(rnd, rnd.parent),
                               current=portal.round().id, suggestions=next_periods(portal.round().period))

    @app.post("/desk/upload")
    @need("admin")
    def desk_upload():
        rnd = current_round()
        try:  # the day the office received mailed files; never after today (Vietnam time)
            day = request.form.get("received_on", "").strip()
            received_on = dt.date.fromisoformat(day) if day else None
            if received_on is not None and received_on > dt.datetime.now(VN_TIME).date():
                raise ValueError(day)
        except ValueError:
            if request.headers.get("X-Requested-With") or wants_json():
                return jsonify({"error": _("received-on-invalid")}), 400
            return render_template("message.html", message=_("received-on-invalid")), 400
        results = []
        for f in request.files.getlist("file"):
            if not f:
                continue
            data = f.read()
            if upload_name(f).lower().endswith(".zip"):
                results += portal.receive_archive(data, upload_name(f), ADMIN, "desk", rnd.id, lang=lang(),
                                                  received_on=received_on)
            else:
                results.append(portal.receive(data, upload_name(f), ADMIN, "desk", rnd.id, lang=lang(),
                                              received_on=received_on))
        if request.headers.get("X-Requested-With") or wants_json():
            return jsonify({"submissions": [decorate(r) for r in results]}), 201 if results else 400
        return redirect(url_for("desk"))

    @app.get("/desk/units/<code>")
    @need("admin")
    def desk_unit(code: str):
        rnd = current_round()
        unit = portal.unit(rnd, code)
        subs = portal.submissions(rnd.id, unit=code, lang=lang())
        if unit is None and not subs:
            abort(404)
        return render_template("desk_unit.html", rnd=rnd, unit=unit, code=code, subs=subs,
                               reviews={s["id"]: portal.review_history(s["id"]) for s in subs})

    @app.get("/desk/units/<code>/template")
    @need("admin")
    def desk_unit_template(code: str):
        return template_download(code, current_round().id)

    @app.get("/desk/submissions")
    @need("admin")
    def desk_submissions():
        rnd = current_round()
        status = request.args.get("status") or None
        unit = request.args.get("unit") or None
        return render_template("desk_submissions.html", rnd=rnd, subs=portal.submissions(rnd.id, unit, status,
                                                                                          lang=lang()),
                               status=status, unit=unit, units=portal.roster(rnd).units)

    @app.post("/desk/review")
    @need("admin")
    def desk_review():
        ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
        action = request.form.get("action", "")
        if action not in ("approve", "return", "clear"):
            abort(400)
        try:
            changed = portal.review(ids, action, ADMIN, request.form.get("comment", ""))
        except QcdcError as exc:
            flash(exc.render(lang()), "error")
        else:
            flash(_("reviewed", n=len(changed)) if changed else _("review-none"), "ok" if changed else "error")
        return redirect(local_target(app, request.form.get("next"), url_for("desk")))

    @app.post("/desk/sign-out-all")
    @need("admin")
    def desk_sign_out_all():
        portal.end_sessions()  # every unit's and every other office session, on every computer
        if not g.bearer:
            session["stamp"] = portal.session_stamp(who())  # this one goes on
        flash(_("signed-out-all"), "ok")
        return redirect(url_for("desk"))

    @app.get("/desk/chase")
    @need("admin")
    def desk_chase():
        rnd = current_round()
        rows = portal.chase(rnd.id)
        return render_template("chase.html", rnd=rnd, rows=rows, message=chase_message(rnd, rows, {}), links=None)

    @app.post("/desk/chase")
    @need("admin")
    def desk_chase_reissue():
        rnd = current_round()
        rows = portal.chase(rnd.id)
        wanted = set(request.form.getlist("code"))
        issued = portal.reissue([r["code"] for r in rows if r["code"] in wanted], base or None)
        links = {r["code"]: r["link"] for r in issued}
        return render_template("chase.html", rnd=rnd, rows=rows, message=chase_message(rnd, rows, links),
                               links=links)

    def comment(r: dict) -> str:
        return " ".join(str(r["comment"]).split()).rstrip(" .;,")

    def chase_message(rnd, rows, links: dict[str, str]) -> str:
        l = lang()
        label = parse_period(rnd.period).label(l)
        words = CHASE_WORDS[l]
        due = f" ({words['due']} {fmt_date(rnd.deadline)})" if rnd.deadline else ""
        out = []
        for r in rows:
            head = f"- {r['name']} ({r['code']}): "
            if r["state"] == "missing":
                line = head + words["missing"].format(period=label.lower() if l == "vi" else label, due=due)
            else:
                why = f" — {comment(r)}" if r.get("comment") else ""
                line = head + words["returned"].format(period=label.lower() if l == "vi" else label, why=why)
            link = links.get(r["code"])
            line += words["at"].format(link=link) if link else words["own-link"]
            out.append(line)
        return "\n".join(out)

    @app.post("/desk/rounds")
    @need("admin")
    def desk_open_round():
        try:
            deadline = request.form.get("deadline") or None
            due = dt.date.fromisoformat(deadline) if deadline else None
            rnd = portal.open_round(request.form.get("period", ""), due, ADMIN)
        except ValueError:
            flash("Ngày hạn nộp không hợp lệ (dùng dạng ngày/tháng/năm)." if lang() == "vi"
                  else "Invalid deadline (use a day/month/year date).", "error")
            return redirect(url_for("desk"))
        except QcdcError as exc:
            flash(exc.render(lang()), "error")
            return redirect(url_for("desk"))
        session["round"] = rnd.id
        flash(_("round-opened", period=rnd.period), "ok")
        return redirect(url_for("desk", round=rnd.id))

    def output(kind: str):
        rnd = current_round()
        try:
            paths = portal.outputs(rnd.id, lang())
        except QcdcError as exc:
            if wants_json():
                return api_error(409, exc.key, exc.render("vi"), exc.render("en"))
            flash(exc.render(lang()), "error")
            return redirect(url_for("desk"))
        return send_file(paths[kind], download_name=paths[kind].name, as_attachment=True)

    @app.get("/desk/consolidated.xlsx")
    @need("admin")
    def desk_consolidated():
        return output("xlsx")

    @app.get("/desk/report.json")
    @need("admin")
    def desk_report_json():
        return output("json")

    @app.get("/desk/report.docx")
    @need("admin")
    def desk_report_docx():
        return output("docx")

    @app.get("/desk/templates.zip")
    @need("admin")
    def desk_templates():
        data, name = portal.templates_zip(current_round().id)
        return send_file(io.BytesIO(data), download_name=name, as_attachment=True, mimetype="application/zip")

    # --- JSON API -------------------------------------------------------------------------------------
    @app.route("/api/v1/submissions", methods=["GET", "POST"])
    @need()
    def api_submissions():
        if request.method == "POST":  # a browser session posting needs the token like any form (_gate)
            f = request.files.get("file")
            if f is None:
                return api_error(400, "no-file", "Thiếu tệp (trường «file»).", "No file (field 'file').")
            data = f.read()
            if g.role == "admin" and upload_name(f).lower().endswith(".zip"):
                return jsonify({"submissions": portal.receive_archive(data, upload_name(f), ADMIN, "api",
                                                                      lang=lang())}), 201
            return jsonify(portal.receive(data, upload_name(f), who(), "api", lang=lang())), 201
        rid = request.args.get("round", type=int)
        try:
            rnd = portal.round(rid)
        except KeyError:
            abort(404)
        if g.role == "admin":
            return jsonify(portal.submissions(rnd.id, request.args.get("unit") or None,
                                              request.args.get("status") or None, lang=lang()))
        return jsonify([s | {"file_name": shown_name(s)} for s in portal.submissions(rnd.id, sender=who(), lang=lang())])

    @app.get("/api/v1/submissions/<int:sid>")
    @need()
    def api_submission(sid: int):
        if not portal.owns(sid, who()):
            return api_error(404, "not-found", text("not-found", "vi"), text("not-found", "en"))
        s = portal.submission(sid, lang())
        return jsonify(s | {"file_name": shown_name(s)})

    @app.get("/api/v1/submissions/<int:sid>/file")
    @need()
    def api_file(sid: int):
        return submission_file(sid)

    @app.get("/api/v1/submissions/<int:sid>/feedback")
    @need()
    def api_feedback(sid: int):
        return submission_feedback(sid)

    @app.get("/api/v1/status")
    @need("admin")
    def api_status():
        rid = request.args.get("round", type=int)
        return jsonify(portal.status(rid, lang()))

    @app.get("/api/v1/consolidated.xlsx")
    @need("admin")
    def api_consolidated():
        return output("xlsx")

    @app.after_request
    def _headers(resp: Response):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")  # a personal link never leaks onwards
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "frame-ancestors 'none'; form-action 'self'")
        if request.endpoint not in ("static", "favicon"):  # pages, downloads, the API: shared office PCs
            resp.headers["Cache-Control"] = "no-store"
        return resp

    return app


CHASE_WORDS = {
    "vi": {"due": "hạn", "missing": "chưa nộp phụ lục số liệu QCDC {period}{due}.",
           "returned": "báo cáo {period} bị trả lại{why}. Đề nghị sửa và gửi lại.",
           "at": " Nộp tại: {link}", "own-link": " Nộp qua đường link cá nhân đã được gửi."},
    "en": {"due": "due", "missing": "has not sent the QCDC data appendix for {period}{due}.",
           "returned": "the {period} report was returned{why}. Please fix and resend.",
           "at": " Send at: {link}", "own-link": " Send through your personal link."},
}


def fold(value: str) -> str:
    """A string as search compares it: no case, no diacritics ('Đăk' and 'dak', 'Kông' and 'kong')."""
    decomposed = unicodedata.normalize("NFD", value.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def next_periods(code: str) -> list[str]:
    """The periods a new round would usually be for: the next quarter, half-year and year."""
    p = parse_period(code)
    y = p.year
    out = []
    if p.kind == "Q":
        out.append(f"{y + 1}Q1" if p.number == 4 else f"{y}Q{p.number + 1}")
    else:
        q = {"S": 2 * p.number, "Y": 4}[p.kind]
        out.append(f"{y + 1}Q1" if q == 4 else f"{y}Q{q + 1}")
    half = (p.number + 1) // 2 if p.kind == "Q" else (p.number if p.kind == "S" else 2)
    out.append(f"{y}S2" if half == 1 else f"{y + 1}S1")
    out.append(str(y) if p.kind != "Y" else str(y + 1))
    return list(dict.fromkeys(c for c in out if c != code))


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

    portal = Portal(data, runner=CheckPool(workers, max_held=max(1, threads - FREE_THREADS)), recover=False)
    app = create_app(portal, base_url)
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
