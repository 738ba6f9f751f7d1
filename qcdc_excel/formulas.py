"""Excel formulas as tokens and trees: compare them by meaning, expand shared formulas.

Spreadsheet programs rewrite formulas when they save: Gnumeric writes ``--(x)`` as ``-(-(x))``,
programs differ in spacing, in the case of names, in redundant parentheses and in ``$`` anchors,
and Excel stores a run of filled-down formulas once, as a *shared formula* whose followers must be
re-derived from the master by moving its relative references. This module knows just enough of
the formula grammar (ECMA-376 Part 1, §18.17, as stored in the file: English function names,
comma separators) to do both:

* :func:`canonical` parses a formula into a tree and prints it back in one canonical form:
  grouping parentheses, spacing, unary plus, ``$`` anchors, ``_xlfn.`` prefixes and the case of
  names, references and booleans are dropped or normalised; numbers are compared by value;
  string literals stay exactly as typed. Two formulas with the same canonical form compute the
  same thing; any change of an operator, operand, argument, reference or literal changes it.
* :func:`translate` moves the relative parts of every reference by a number of rows and
  columns, as a spreadsheet does when a formula is copied (used to expand shared formulas).

Reading and checking only: nothing here writes a workbook.
"""
from __future__ import annotations

import functools
import re
from typing import NamedTuple

MAX_ROW, MAX_COL = 1_048_576, 16_384


class FormulaSyntaxError(ValueError):
    """The text is not a formula this grammar can read."""


class Token(NamedTuple):
    kind: str  # str num bool err ref func name op lparen rparen sep ws array
    text: str


# Order matters: the first alternative that matches at a position wins.
_SHEET = r"(?:'(?:[^']|'')+'|\[\d+\][^!'\"(),;{}\s]*|[A-Za-z_\\][\w.]*)!"
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]+"
_COLS = r"\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}"
_ROWS = r"\$?[0-9]+:\$?[0-9]+"
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      |(?P<str>"(?:[^"]|"")*")
      |(?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!))
      |(?P<ref>(?:%(sheet)s)?(?:%(cell)s(?::%(cell)s)?|%(cols)s|%(rows)s))(?![\w.(!])
      |(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
      |(?P<func>(?:_xlfn\.|_xlws\.)?[A-Za-z_\\][\w.]*(?=\())
      |(?P<name>(?:%(sheet)s)?[A-Za-z_\\][\w.]*)
      |(?P<op><>|<=|>=|[-+*/^&=<>%%:])
      |(?P<lparen>\()|(?P<rparen>\))|(?P<sep>[,;])
      |(?P<array>\{[^{}"]*(?:"(?:[^"]|"")*"[^{}"]*)*\})
    """ % {"sheet": _SHEET, "cell": _CELL, "cols": _COLS, "rows": _ROWS},
    re.VERBOSE)


@functools.lru_cache(maxsize=4096)
def tokenize(formula: str) -> tuple[Token, ...]:
    """Tokens of ``formula`` (with or without its leading ``=``); raises FormulaSyntaxError."""
    text = formula[1:] if formula.startswith("=") else formula
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FormulaSyntaxError(f"unexpected {text[pos:pos + 10]!r} at {pos}")
        kind = m.lastgroup
        tok = m.group()
        if kind == "name" and tok.upper() in ("TRUE", "FALSE") and "!" not in tok:
            kind = "bool"
        out.append(Token(kind, tok))
        pos = m.end()
    return tuple(out)


# --- references -------------------------------------------------------------------------------
_CELL_PARTS = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]+)")
_COL_PART = re.compile(r"(\$?)([A-Za-z]{1,3})")
_ROW_PART = re.compile(r"(\$?)([0-9]+)")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _split_sheet(ref: str) -> tuple[str, str]:
    if "!" not in ref:
        return "", ref
    sheet, _, rest = ref.rpartition("!")
    return sheet + "!", rest


def _shift_ref(ref: str, drow: int, dcol: int) -> str:
    """One reference token moved by (drow, dcol); parts anchored with $ stay. #REF! off the grid."""
    sheet, body = _split_sheet(ref)
    parts = body.split(":")
    out = []
    for part in parts:
        m = _CELL_PARTS.fullmatch(part)
        if m:
            c_abs, col, r_abs, row = m.groups()
            c = col_number(col) + (0 if c_abs else dcol)
            r = int(row) + (0 if r_abs else drow)
            if not (1 <= c <= MAX_COL and 1 <= r <= MAX_ROW):
                return "#REF!"
            out.append(f"{c_abs}{col_letters(c)}{r_abs}{r}")
        elif m := _COL_PART.fullmatch(part):
            c = col_number(m.group(2)) + (0 if m.group(1) else dcol)
            if not 1 <= c <= MAX_COL:
                return "#REF!"
            out.append(f"{m.group(1)}{col_letters(c)}")
        elif m := _ROW_PART.fullmatch(part):
            r = int(m.group(2)) + (0 if m.group(1) else drow)
            if not 1 <= r <= MAX_ROW:
                return "#REF!"
            out.append(f"{m.group(1)}{r}")
        else:
            raise FormulaSyntaxError(f"not a reference: {ref!r}")
    return sheet + ":".join(out)


def translate(formula: str, drow: int, dcol: int) -> str:
    """``formula`` as it reads when copied ``drow`` rows down and ``dcol`` columns right.

    This is how a shared formula's follower is derived from its master (ECMA-376 §18.3.1.40).
    Everything but the references is kept byte for byte.
    """
    if not drow and not dcol:
        return formula
    lead = "=" if formula.startswith("=") else ""
    return lead + "".join(_shift_ref(t.text, drow, dcol) if t.kind == "ref" else t.text
                          for t in tokenize(formula))


# --- the tree ---------------------------------------------------------------------------------
_COMPARE = ("=", "<>", "<", ">", "<=", ">=")


class _Parser:
    def __init__(self, tokens: tuple[Token, ...], own_sheet: str | None):
        self.toks = [t for t in tokens if t.kind != "ws"]
        self.i = 0
        self.own_sheet = own_sheet

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise FormulaSyntaxError("unexpected end")
        self.i += 1
        return tok

    def is_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in ops

    def parse(self):
        tree = self.binary(0)
        if self.peek() is not None:
            raise FormulaSyntaxError(f"unexpected {self.peek().text!r}")
        return tree

    _LEVELS = (_COMPARE, ("&",), ("+", "-"), ("*", "/"), ("^",))

    def binary(self, level: int):
        if level == len(self._LEVELS):
            return self.percent()
        left = self.binary(level + 1)
        while self.is_op(*self._LEVELS[level]):
            op = self.take().text
            left = ("op", op, left, self.binary(level + 1))
        return left

    def percent(self):
        node = self.unary()
        while self.is_op("%"):
            self.take()
            node = ("pct", node)
        return node

    def unary(self):
        if self.is_op("-"):
            self.take()
            return ("neg", self.unary())
        if self.is_op("+"):
            self.take()  # unary plus changes nothing, not even the type
            return self.unary()
        return self.ranged()

    def ranged(self):
        node = self.primary()
        while self.is_op(":"):
            self.take()
            node = ("range", node, self.primary())
        return node

    def primary(self):
        tok = self.take()
        kind = tok.kind
        if kind == "num":
            return ("num", float(tok.text))
        if kind == "str":
            return ("str", tok.text[1:-1].replace('""', '"'))
        if kind == "bool":
            return ("bool", tok.text.upper())
        if kind == "err":
            return ("err", tok.text.upper())
        if kind == "ref":
            return ("ref", self.reference(tok.text))
        if kind == "name":
            return ("name", tok.text.upper())
        if kind == "array":
            return ("array", tok.text.upper().replace(" ", ""))
        if kind == "func":
            name = tok.text.upper()
            for prefix in ("_XLFN.", "_XLWS."):
                if name.startswith(prefix):
                    name = name[len(prefix):]
            self.take()  # the "(" the pattern looked ahead at
            args = self.arguments()
            if name in ("TRUE", "FALSE") and args == ():
                return ("bool", name)  # TRUE() is the constant TRUE
            return ("call", name, args)
        if kind == "lparen":
            inner = self.binary(0)
            items = [inner]
            while self.peek() is not None and self.peek().kind == "sep":  # (A1,B1): a union
                self.take()
                items.append(self.binary(0))
            if self.take().kind != "rparen":
                raise FormulaSyntaxError("missing )")
            return inner if len(items) == 1 else ("union", tuple(items))
        raise FormulaSyntaxError(f"unexpected {tok.text!r}")

    def arguments(self) -> tuple:
        args = []
        if self.peek() is not None and self.peek().kind == "rparen":
            self.take()
            return ()
        while True:
            tok = self.peek()
            if tok is not None and tok.kind in ("sep", "rparen"):
                args.append(("missing",))
            else:
                args.append(self.binary(0))
            tok = self.take()
            if tok.kind == "rparen":
                return tuple(args)
            if tok.kind != "sep":
                raise FormulaSyntaxError(f"unexpected {tok.text!r} in arguments")

    def reference(self, text: str) -> str:
        sheet, body = _split_sheet(text)
        body = body.replace("$", "").upper()
        if sheet:
            name = sheet[:-1]
            if name.startswith("'"):
                name = name[1:-1].replace("''", "'")
            if self.own_sheet is not None and name.casefold() == self.own_sheet.casefold():
                return body  # Sheet!A1 on Sheet is A1
            return f"{name.casefold()}!{body}"
        return body


@functools.lru_cache(maxsize=8192)
def canonical(formula: str, own_sheet: str | None = None) -> tuple:
    """The formula's meaning as a tree; raises FormulaSyntaxError when it cannot be read."""
    return _Parser(tokenize(formula), own_sheet).parse()


def same_meaning(found: str | None, expected: str, own_sheet: str | None = None) -> bool:
    """Whether ``found`` computes what ``expected`` computes (see :func:`canonical`)."""
    if found == expected:
        return True
    if not found:
        return False
    try:
        return canonical(found, own_sheet) == canonical(expected, own_sheet)
    except FormulaSyntaxError:
        return False
