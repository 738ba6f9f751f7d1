"""How the desk shows what the service returns: dates, periods, file names, links and the words
of the chase message, in the page's language. The only place that builds a submission's URLs."""
from __future__ import annotations

import datetime as dt

from flask import url_for

from ..i18n import QcdcError
from ..numbers import format_number
from ..periods import VN_TIME, parse_period
from .access import lang, role, say, who, portal
from .storage import ADMIN, MAX_UPLOAD_BYTES

CHASE_WORDS = {
    "vi": {"due": "hạn", "missing": "chưa nộp phụ lục số liệu QCDC {period}{due}.",
           "returned": "báo cáo {period} bị trả lại{why}. Đề nghị sửa và gửi lại.",
           "at": " Nộp tại: {link}", "own-link": " Nộp qua đường link cá nhân đã được gửi."},
    "en": {"due": "due", "missing": "has not sent the QCDC data appendix for {period}{due}.",
           "returned": "the {period} report was returned{why}. Please fix and resend.",
           "at": " Send at: {link}", "own-link": " Send through your personal link."},
}


def fmt_time(value: str | None) -> str:
    """A recorded time as the office and the units read it: Vietnam's clock, whatever the server's
    zone (the receipts and the deadline use the same clock)."""
    if not value:
        return ""
    when = dt.datetime.fromisoformat(value)
    when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(VN_TIME).strftime("%d/%m/%Y %H:%M")


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


def beside(f: dict) -> dict | None:
    """A figure flagged against history with what it is compared with, in the page's language:
    ``value`` (as reported now), ``previous`` (the unit's earlier value, or the sum of its parts) and
    ``label`` (which period(s), in words); or the siblings' middle figure. None for other findings."""
    l = lang()
    if f.get("value") is None:
        return None
    if f.get("previous_value") is not None:
        periods = [period_label(c) for c in str(f.get("previous_period") or "").split("+") if c]
        label = say("beside-sum", periods=" + ".join(periods)) if len(periods) > 1 else \
            say("beside-previous", period=periods[0] if periods else "")
        return {"value": format_number(f["value"], l), "previous": format_number(f["previous_value"], l),
                "label": label}
    if f.get("siblings_median") is not None:
        return {"value": format_number(f["value"], l), "previous": format_number(f["siblings_median"], l),
                "label": say("beside-siblings", n=f.get("siblings", ""))}
    return None


def shown_name(s: dict) -> str:
    """The file's name as a unit may see it: a file the office took in keeps only its last part
    (never the office's folders or archive paths)."""
    if role() == "admin" or s.get("sender") != ADMIN:
        return s["file_name"]
    return s["file_name"].replace("\\", "/").rstrip("/").rpartition("/")[2] or s["file_name"]


def feedback_label(s: dict, short: bool = False) -> str:
    """What the link to a checked file's feedback says: a receipt for an accepted file."""
    key = {"accepted": "link-receipt", "accepted-with-warnings": "link-receipt-warnings",
           "unreadable": "link-note"}.get(s["status"], "link-feedback")
    return say(key + ("-short" if short and key == "link-feedback" else ""))


def template_globals() -> dict:
    """What every page's template may use."""
    return {"_": say, "lang": lang(), "who": who(), "role": role(), "fmt_time": fmt_time,
            "fmt_date": fmt_date, "period_label": period_label,
            "holder": portal().holder_name(who()) if who() else "",
            "upload_limit_mb": MAX_UPLOAD_BYTES // (1024 * 1024), "shown_name": shown_name,
            "feedback_label": feedback_label, "beside": beside}


def with_urls(s: dict) -> dict:
    """A submission as the API shows it: with where to download its file and its feedback."""
    checked = s["state"] == "checked"
    return s | {"file_url": url_for("api.file", sid=s["id"]),
                "feedback_url": url_for("api.feedback", sid=s["id"]) if checked else None}


def decorate(r: dict) -> dict:
    """What the upload page's script shows for one file, in the page's language."""
    r = with_urls(r)
    r["status_text"] = say(f"status-{r['status']}")
    r["page_url"] = url_for("unit.submission", sid=r["id"])
    r["feedback_link"] = url_for("unit.submission_feedback", sid=r["id"]) if r["feedback_url"] else None
    r["feedback_text"] = feedback_label(r) if r["feedback_url"] else None
    r["period_text"] = period_label(r["period"])
    return r


def received_day(value: str) -> dt.date | None:
    """The day the office received mailed files, as typed (ISO); never after today (Vietnam time).
    ValueError when it is not such a day."""
    day = value.strip()
    received_on = dt.date.fromisoformat(day) if day else None
    if received_on is not None and received_on > dt.datetime.now(VN_TIME).date():
        raise ValueError(day)
    return received_on


def _comment(r: dict) -> str:
    return " ".join(str(r["comment"]).split()).rstrip(" .;,")


def chase_message(rnd, rows: list[dict], links: dict[str, str]) -> str:
    """The message the office pastes into Zalo for the units still to chase."""
    l = lang()
    label = parse_period(rnd.period).label(l)
    period = label.lower() if l == "vi" else label
    words = CHASE_WORDS[l]
    due = f" ({words['due']} {fmt_date(rnd.deadline)})" if rnd.deadline else ""
    out = []
    for r in rows:
        head = f"- {r['name']} ({r['code']}): "
        if r["state"] == "missing":
            line = head + words["missing"].format(period=period, due=due)
        else:
            why = f" — {_comment(r)}" if r.get("comment") else ""
            line = head + words["returned"].format(period=period, why=why)
        link = links.get(r["code"])
        line += words["at"].format(link=link) if link else words["own-link"]
        out.append(line)
    return "\n".join(out)


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
