"""Dialplan variable substitution (${VAR}, ${VAR:o:l}, functions) and $[ ] expressions."""
from __future__ import annotations

import re
from collections.abc import Callable

Lookup = Callable[[str], str | None]
Function = Callable[[str, str], str | None]


def _find_close(text: str, start: int, open_ch: str, close_ch: str) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_ch:
            depth += 1
        elif text[i] == close_ch:
            depth -= 1
            if depth == 0:
                return i
    return -1


def substitute(text: str, resolve: Callable[[str], str]) -> str:
    """Expand `${…}` and `$[…]` (innermost first, like pbx_substitute_variables)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            end = _find_close(text, i + 1, "{", "}")
            if end < 0:
                out.append(text[i:])
                break
            inner = substitute(text[i + 2 : end], resolve)
            out.append(resolve(inner))
            i = end + 1
        elif text.startswith("$[", i):
            end = _find_close(text, i + 1, "[", "]")
            if end < 0:
                out.append(text[i:])
                break
            inner = substitute(text[i + 2 : end], resolve)
            out.append(evaluate(inner))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_SUBSTR = re.compile(r"^(.*?):(-?\d+)(?::(-?\d+))?$")


def apply_substring(value: str, offset: int, length: int | None) -> str:
    if offset < 0:
        offset = max(0, len(value) + offset)
    value = value[offset:]
    if length is None:
        return value
    if length < 0:
        return value[: max(0, len(value) + length)]
    return value[:length]


def split_name(expr: str) -> tuple[str, int | None, int | None]:
    """`EXTEN:1` → ("EXTEN", 1, None); functions keep their parentheses."""
    if expr.endswith(")") or ":" not in expr:
        return expr, None, None
    m = _SUBSTR.match(expr)
    if not m:
        return expr, None, None
    return m.group(1), int(m.group(2)), int(m.group(3)) if m.group(3) is not None else None


_TOKEN = re.compile(r'\s*(?:(\d+(?:\.\d+)?)|("(?:[^"\\]|\\.)*")|(!=|<=|>=|=~|[=<>&|+\-*/%()!:?])|([^\s=<>&|+\-*/%()!:?]+))')


def _tokens(expr: str) -> list[str]:
    pos, out = 0, []
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            break
        tok = m.group(0).strip()
        if tok:
            out.append(tok)
        pos = m.end()
    return out


def _num(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def _fmt(v: float | str) -> str:
    if isinstance(v, float):
        return str(int(v)) if v == int(v) else str(v)
    return v


class _Expr:
    """Precedence: | < & < comparisons < + - < * / % < unary; ternary `? :` lowest."""

    def __init__(self, toks: list[str]) -> None:
        self.t = toks
        self.i = 0

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self) -> str:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def ternary(self) -> str:
        cond = self.orr()
        if self.peek() == "?":
            self.take()
            a = self.orr()
            b = ""
            if self.peek() == ":" or self.peek() == "::":
                self.take()
                b = self.orr()
            return a if _truthy(cond) else b
        return cond

    def orr(self) -> str:
        left = self.andd()
        while self.peek() == "|":
            self.take()
            right = self.andd()
            left = left if _truthy(left) else right
        return left

    def andd(self) -> str:
        left = self.cmp()
        while self.peek() == "&":
            self.take()
            right = self.cmp()
            left = left if (_truthy(left) and _truthy(right)) else "0"
        return left

    def cmp(self) -> str:
        left = self.add()
        while self.peek() in ("=", "!=", "<", ">", "<=", ">="):
            op = self.take()
            right = self.add()
            a, b = _num(left), _num(right)
            x, y = (a, b) if a is not None and b is not None else (left, right)
            res = {
                "=": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y,
            }[op]
            left = "1" if res else "0"
        return left

    def add(self) -> str:
        left = self.mul()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.mul()
            a, b = _num(left) or 0.0, _num(right) or 0.0
            left = _fmt(a + b if op == "+" else a - b)
        return left

    def mul(self) -> str:
        left = self.unary()
        while self.peek() in ("*", "/", "%"):
            op = self.take()
            right = self.unary()
            a, b = _num(left) or 0.0, _num(right) or 0.0
            if op == "*":
                left = _fmt(a * b)
            elif b == 0:
                left = "0"
            else:
                left = _fmt(float(int(a / b)) if op == "/" else float(int(a) % int(b)))
        return left

    def unary(self) -> str:
        tok = self.peek()
        if tok == "!":
            self.take()
            return "0" if _truthy(self.unary()) else "1"
        if tok == "-":
            self.take()
            return _fmt(-(_num(self.unary()) or 0.0))
        if tok == "(":
            self.take()
            val = self.ternary()
            if self.peek() == ")":
                self.take()
            return val
        if tok is None:
            return ""
        self.take()
        if tok.startswith('"') and tok.endswith('"'):
            return tok[1:-1]
        return tok


def _truthy(v: str) -> bool:
    n = _num(v)
    if n is not None:
        return n != 0
    return v != ""


def evaluate(expr: str) -> str:
    """Evaluate a `$[ ]` expression body the way ast_expr2 does for common cases."""
    toks = _tokens(expr)
    if not toks:
        return ""
    return _Expr(toks).ternary()


def is_true(value: str) -> bool:
    """GotoIf truthiness: empty and 0 are false."""
    return _truthy(value.strip())
