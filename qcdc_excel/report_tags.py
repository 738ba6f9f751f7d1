"""Which tag of a Word report template is wrong, and where, said in the user's words.

docxtpl joins the document's XML before jinja2 reads it, so jinja2's line numbers ("line 2") and
its English ("'unit_nam' is undefined", "Unexpected end of template") mean nothing to whoever edits
the .docx. These functions find the tag in the document's paragraphs and quote the paragraph.
"""
from __future__ import annotations

import difflib
import io
import re

from .i18n import QcdcError, both

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
# docxtpl's own prefixes: {%p …%} paragraph, {%tr …%} table row, {%tc …%} cell, {%r …%} run
_BLOCK = re.compile(r"^\{%-?\s*(?:(?:p|tr|tc|r)\s+)?(for|if|endfor|endif|else|elif)\b")
_PREFIX = re.compile(r"^\{%(-?)\s*(?:p|tr|tc|r)\s+")
QUOTE_MAX = 90


def paragraph_texts(data: bytes) -> list[str]:
    """The text of every non-empty paragraph of the .docx: body, tables (nested), headers, footers."""
    import docx

    document = docx.Document(io.BytesIO(data))
    out: list[str] = []

    def walk(container) -> None:
        out.extend(p.text for p in container.paragraphs)
        for table in getattr(container, "tables", []):
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(document)
    for section in document.sections:
        walk(section.header)
        walk(section.footer)
    return [t for t in out if t.strip()]


def _quote(text: str, around: int = 0) -> str:
    """``text`` cut to QUOTE_MAX characters kept around position ``around``."""
    text = " ".join(text.split())
    if len(text) <= QUOTE_MAX:
        return text
    start = max(0, min(around - QUOTE_MAX // 3, len(text) - QUOTE_MAX))
    return ("…" if start else "") + text[start:start + QUOTE_MAX].strip() + ("…" if start + QUOTE_MAX < len(text) else "")


def _where(paragraph: str | None, around: int = 0) -> dict[str, str] | str:
    if paragraph is None:
        return ""
    quoted = _quote(paragraph, around)
    return both(f" (ở đoạn “{quoted}”)", f" (in the paragraph '{quoted}')")


def unknown_tag(exc: Exception, data: bytes, path: str, context: dict) -> QcdcError:
    """``report-unknown-tag`` for jinja2's UndefinedError: the name, the tag and the paragraph it is in,
    the closest known name, and the names a template can use."""
    message = str(exc)
    found = re.search(r"'([^']+)' is undefined", message) or re.search(r"has no attribute '([^']+)'", message)
    name = found.group(1) if found else message
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)|\.{re.escape(name)}(?!\w)|\[['\"]{re.escape(name)}['\"]\]")
    tag, paragraph, at = "{{ " + name + " }}", None, 0
    for text in paragraph_texts(data):
        hit = next((m for m in _TAG.finditer(text) if word.search(m.group(0))), None)
        if hit is not None:
            tag, paragraph, at = hit.group(0), text, hit.start()
            break
    fields = {k for v in context.values() if isinstance(v, dict) for k in v} | {
        k for v in context.values() if isinstance(v, dict) for e in v.values() if isinstance(e, dict) for k in e}
    close = difflib.get_close_matches(name, [*context, *fields], n=1)
    hint = both(f" Có phải “{close[0]}”?", f" Did you mean '{close[0]}'?") if close else ""
    return QcdcError("report-unknown-tag", path=path, tag=tag, name=name, where=_where(paragraph, at), hint=hint,
                     known=", ".join(sorted(context)))


def syntax_error(exc: Exception, data: bytes, path: str) -> QcdcError:
    """``report-template-syntax`` for jinja2's TemplateSyntaxError: what is wrong with which tag, in
    which paragraph (jinja2's own message only when nothing better is found)."""
    paragraphs = paragraph_texts(data)
    problem, paragraph, at = (_unclosed(paragraphs) or _bad_expression(paragraphs) or _unbalanced_blocks(paragraphs)
                              or (None, None, 0))
    if problem is None:
        detail = getattr(exc, "message", None) or str(exc)
        problem = both("có thẻ {{ … }} hoặc {% … %} viết sai", f"a malformed tag ({detail})")
    return QcdcError("report-template-syntax", path=path, problem=problem, where=_where(paragraph, at))


def _unclosed(paragraphs: list[str]):
    """A ``{{`` or ``{%`` that its paragraph never closes."""
    for text in paragraphs:
        for opener, closer in (("{{", "}}"), ("{%", "%}")):
            start = 0
            while (k := text.find(opener, start)) >= 0:
                end = text.find(closer, k + 2)
                nxt = text.find(opener, k + 2)
                if end < 0 or (0 <= nxt < end):
                    fragment = _quote(text[k:k + 40])
                    return (both(f"thẻ “{fragment}” chưa đóng (thiếu “{closer}”)",
                                 f"the tag '{fragment}' is not closed ('{closer}' missing)"), text, k)
                start = end + 2
    return None


def _bad_expression(paragraphs: list[str]):
    """A whole tag that jinja2 cannot read on its own (a stray ``|``, an unclosed bracket…)."""
    import jinja2

    env = jinja2.Environment()
    for text in paragraphs:
        for m in _TAG.finditer(text):
            tag = _PREFIX.sub(r"{%\1 ", m.group(0))
            block = _BLOCK.match(m.group(0))
            if block and block.group(1) not in ("for", "if"):
                continue  # else/elif/end…: judged with their block
            source = tag + ("{% end" + block.group(1) + " %}" if block else "")
            try:
                env.parse(source)
            except jinja2.TemplateSyntaxError:
                return (both(f"thẻ “{m.group(0)}” viết sai", f"the tag '{m.group(0)}' is malformed"), text, m.start())
    return None


def _unbalanced_blocks(paragraphs: list[str]):
    """A ``{% for %}``/``{% if %}`` never closed, or an end tag with nothing to close."""
    stack: list[tuple[str, str, str, int]] = []  # (word, tag, paragraph, position)
    for text in paragraphs:
        for m in _TAG.finditer(text):
            block = _BLOCK.match(m.group(0))
            if not block:
                continue
            word = block.group(1)
            if word in ("for", "if"):
                stack.append((word, m.group(0), text, m.start()))
            elif word.startswith("end"):
                if not stack or stack[-1][0] != word[3:]:
                    opener = "{% " + word[3:] + " … %}"
                    return (both(f"thẻ “{m.group(0)}” không có thẻ “{opener}” mở đầu",
                                 f"the tag '{m.group(0)}' closes no '{opener}'"), text, m.start())
                stack.pop()
    if stack:
        word, tag, text, at = stack[-1]
        closer = "{% end" + word + " %}"
        return (both(f"thẻ “{tag}” chưa có thẻ “{closer}” đi kèm", f"the tag '{tag}' has no matching '{closer}'"),
                text, at)
    return None
