"""Excel column letters <-> numbers (standard library only: the workbook guard runs before pandas is imported)."""
from __future__ import annotations


def _col_number(letters: str | bytes) -> int:
    n = 0
    for ch in letters.decode("ascii") if isinstance(letters, bytes) else letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out or "A"
