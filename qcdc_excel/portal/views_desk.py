"""The secretariat's desk: the round at a glance, files received by mail, reviews, chasing the
units still owing a report, new rounds and the round's consolidated outputs."""
from __future__ import annotations

import datetime as dt
import io

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, send_file,
                   session, url_for)

from ..i18n import QcdcError
from .access import api_error, lang, local_target, need, portal, say, wants_json, wants_script, who
from .present import chase_message, decorate, next_periods, received_day
from .storage import ADMIN
from .views_unit import template_download, uploads

bp = Blueprint("desk", __name__, url_prefix="/desk")


def current_round():
    """The round the office is looking at (``?round=``, else the one it looked at last, else the newest)."""
    rid = request.args.get("round", type=int) or session.get("round")
    if rid is not None and g.role == "admin":
        try:
            return portal().round(rid)
        except KeyError:
            session.pop("round", None)
    return portal().round()


def output(kind: str):
    """A download of the round's consolidated outputs (``xlsx``, ``json``, ``docx``)."""
    try:
        paths = portal().outputs(current_round().id, lang())
    except QcdcError as exc:
        if wants_json():
            return api_error(409, exc.key, exc.render("vi"), exc.render("en"))
        flash(exc.render(lang()), "error")
        return redirect(url_for("desk.home"))
    return send_file(paths[kind], download_name=paths[kind].name, as_attachment=True)


@bp.get("")
@need("admin")
def home():
    desk = portal()
    rnd = current_round()
    session["round"] = rnd.id
    state, q = request.args.get("state", ""), request.args.get("q", "").strip()[:200]
    newest = desk.round()
    return render_template("desk.html", rnd=rnd, state=state, q=q, rounds=desk.rounds(), current=newest.id,
                           suggestions=next_periods(newest.period), **desk.board(rnd.id, state, q, lang()))


@bp.post("/upload")
@need("admin")
def upload():
    rnd = current_round()
    try:  # the day the office received mailed files; never after today (Vietnam time)
        received_on = received_day(request.form.get("received_on", ""))
    except ValueError:
        if wants_script():
            return jsonify({"error": say("received-on-invalid")}), 400
        return render_template("message.html", message=say("received-on-invalid")), 400
    results = portal().receive_files(uploads(), ADMIN, "desk", rnd.id, lang(), received_on)
    if wants_script():
        return jsonify({"submissions": [decorate(r) for r in results]}), 201 if results else 400
    return redirect(url_for("desk.home"))


@bp.get("/units/<code>")
@need("admin")
def unit(code: str):
    desk = portal()
    rnd = current_round()
    found = desk.unit(rnd, code)
    subs = desk.submissions(rnd.id, unit=code, lang=lang())
    if found is None and not subs:
        abort(404)
    return render_template("desk_unit.html", rnd=rnd, unit=found, code=code, subs=subs,
                           reviews={s["id"]: desk.review_history(s["id"]) for s in subs})


@bp.get("/units/<code>/template")
@need("admin")
def unit_template(code: str):
    return template_download(code, current_round().id)


@bp.get("/submissions")
@need("admin")
def submissions():
    rnd = current_round()
    status = request.args.get("status") or None
    code = request.args.get("unit") or None
    subs = portal().submissions(rnd.id, code, status, lang=lang())
    return render_template("desk_submissions.html", rnd=rnd, subs=subs, status=status, unit=code,
                           units=portal().roster(rnd).units)


@bp.post("/review")
@need("admin")
def review():
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    action = request.form.get("action", "")
    if action not in ("approve", "return", "clear"):
        abort(400)
    try:
        changed = portal().review(ids, action, ADMIN, request.form.get("comment", ""))
    except QcdcError as exc:
        flash(exc.render(lang()), "error")
    else:
        flash(say("reviewed", n=len(changed)) if changed else say("review-none"), "ok" if changed else "error")
    return redirect(local_target(current_app, request.form.get("next"), url_for("desk.home")))


@bp.post("/sign-out-all")
@need("admin")
def sign_out_all():
    portal().end_sessions()  # every unit's and every other office session, on every computer
    if not g.bearer:
        session["stamp"] = portal().session_stamp(who())  # this one goes on
    flash(say("signed-out-all"), "ok")
    return redirect(url_for("desk.home"))


@bp.get("/chase")
@need("admin")
def chase():
    rnd = current_round()
    rows = portal().chase(rnd.id)
    return render_template("chase.html", rnd=rnd, rows=rows, message=chase_message(rnd, rows, {}), links=None)


@bp.post("/chase")
@need("admin")
def chase_reissue():
    rnd = current_round()
    rows = portal().chase(rnd.id)
    issued = portal().reissue_chased(rnd.id, set(request.form.getlist("code")),
                                     current_app.config["QCDC_BASE_URL"] or None)
    links = {r["code"]: r["link"] for r in issued}
    return render_template("chase.html", rnd=rnd, rows=rows, message=chase_message(rnd, rows, links), links=links)


@bp.post("/rounds")
@need("admin")
def open_round():
    try:
        deadline = request.form.get("deadline") or None
        due = dt.date.fromisoformat(deadline) if deadline else None
        rnd = portal().open_round(request.form.get("period", ""), due, ADMIN)
    except ValueError:
        flash(say("deadline-invalid"), "error")
        return redirect(url_for("desk.home"))
    except QcdcError as exc:
        flash(exc.render(lang()), "error")
        return redirect(url_for("desk.home"))
    session["round"] = rnd.id
    flash(say("round-opened", period=rnd.period), "ok")
    return redirect(url_for("desk.home", round=rnd.id))


@bp.get("/consolidated.xlsx")
@need("admin")
def consolidated():
    return output("xlsx")


@bp.get("/report.json")
@need("admin")
def report_json():
    return output("json")


@bp.get("/report.docx")
@need("admin")
def report_docx():
    return output("docx")


@bp.get("/templates.zip")
@need("admin")
def templates():
    data, name = portal().templates_zip(current_round().id)
    return send_file(io.BytesIO(data), download_name=name, as_attachment=True, mimetype="application/zip")
