"""CallerID string parsing: `"Name" <num>`, `Name <num>`, `num`."""
from __future__ import annotations


def parse_callerid(text: str) -> tuple[str | None, str | None]:
    """Return (name, number) like ast_callerid_parse (None when absent)."""
    text = text.strip()
    if "<" in text and text.endswith(">"):
        lt = text.rfind("<")
        num = text[lt + 1 : -1].strip() or None
        name = text[:lt].strip().strip('"').strip() or None
        return name, num
    if text and all(c.isdigit() or c in "+*#" for c in text):
        return None, text
    return (text.strip('"') or None), None
