"""The unit's pages, and the page of one submission (a unit's own files; the office sees all)."""
from __future__ import annotations

import io
from collections.abc import Iterator

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for

from .access import lang, need, portal, wants_script, who
from .present import decorate
from .storage import ADMIN

bp = Blueprint("unit", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def uploads() -> Iterator[tuple[bytes, str]]:
    """The files of the request's ``file`` field, read one at a time: (content, the name as sent)."""
    return ((f.read(), f.filename or "tep") for f in request.files.getlist("file") if f)


def template_download(code: str, round_id: int | None = None):
    try:
        data, name = portal().template(code, round_id)
    except KeyError:
        abort(404)
    return send_file(io.BytesIO(data), download_name=name, as_attachment=True, mimetype=XLSX)


@bp.get("/unit")
@need("unit")
def home():
    desk = portal()
    rnd = desk.round()
    history = desk.unit_history(who(), lang())
    latest = history[0] if history and history[0]["round"] == rnd.id else None
    return render_template("unit.html", rnd=rnd, unit=desk.unit(rnd, who()), history=history, latest=latest,
                           standing=desk.standing(rnd, who(), history), prefilled=bool(desk.prefill(rnd, who())))


@bp.get("/unit/template")
@need("unit")
def template():
    return template_download(who())


@bp.post("/unit/upload")
@need("unit")
def upload():
    results = portal().receive_files(uploads(), who(), "web", lang=lang())
    if wants_script():
        return jsonify({"submissions": [decorate(r) for r in results]}), 201 if results else 400
    if len(results) == 1:
        return redirect(url_for("unit.submission", sid=results[0]["id"]))
    return redirect(url_for("unit.home"))


@bp.get("/submissions/<int:sid>")
@need()
def submission(sid: int):
    desk = portal()
    if not desk.owns(sid, who()):
        abort(404)  # another unit's file: not even whether it exists
    s = desk.submission(sid, lang())
    return render_template("submission.html", s=s, reviews=desk.review_history(sid), rnd=desk.round(s["round"]))


@bp.get("/submissions/<int:sid>/file")
@need()
def submission_file(sid: int):
    if not portal().owns(sid, who()):
        abort(404)
    path, name = portal().original(sid)
    return send_file(path, download_name=name, as_attachment=True, mimetype="application/octet-stream")


@bp.get("/submissions/<int:sid>/feedback")
@need()
def submission_feedback(sid: int):
    if not portal().owns(sid, who()):
        abort(404)
    # The feedback copy goes to the unit: in the language the unit chose on its own page, and
    # Vietnamese when the office downloads it, whatever the office's page language.
    try:
        path, name = portal().feedback(sid, lang() if who() != ADMIN else "vi")
    except KeyError:
        abort(404)
    return send_file(path, download_name=name, as_attachment=True)
