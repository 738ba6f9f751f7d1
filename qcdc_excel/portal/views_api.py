"""The JSON API (``/api/v1``) for scripts (``Authorization: Bearer <access code>``) and the pages."""
from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request

from .access import api_error_text, lang, need, portal, who
from .present import shown_name, with_urls
from .views_desk import output
from .views_unit import submission_feedback, submission_file

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/submissions", methods=["GET", "POST"])
@need()
def submissions():
    if request.method == "POST":  # a browser session posting needs the token like any form (access.gate)
        return receive()
    try:
        rnd = portal().round(request.args.get("round", type=int))
    except KeyError:
        abort(404)
    if g.role == "admin":
        return jsonify([with_urls(s) for s in portal().submissions(
            rnd.id, request.args.get("unit") or None, request.args.get("status") or None, lang=lang())])
    return jsonify([with_urls(s) | {"file_name": shown_name(s)}
                    for s in portal().submissions(rnd.id, sender=who(), lang=lang())])


def receive():
    f = request.files.get("file")
    if f is None:
        return api_error_text(400, "no-file")
    name = f.filename or "tep"
    results = [with_urls(s) for s in portal().receive_files([(f.read(), name)], who(), "api", lang=lang())]
    if g.role == "admin" and name.lower().endswith(".zip"):
        return jsonify({"submissions": results}), 201
    return jsonify(results[0]), 201


@bp.get("/submissions/<int:sid>")
@need()
def submission(sid: int):
    if not portal().owns(sid, who()):
        return api_error_text(404, "not-found")
    s = portal().submission(sid, lang())
    return jsonify(with_urls(s) | {"file_name": shown_name(s)})


@bp.get("/submissions/<int:sid>/file")
@need()
def file(sid: int):
    return submission_file(sid)


@bp.get("/submissions/<int:sid>/feedback")
@need()
def feedback(sid: int):
    return submission_feedback(sid)


@bp.get("/status")
@need("admin")
def status():
    return jsonify(portal().status(request.args.get("round", type=int), lang()))


@bp.get("/consolidated.xlsx")
@need("admin")
def consolidated():
    return output("xlsx")
