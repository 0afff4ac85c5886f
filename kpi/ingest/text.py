"""Text decoding: strict decodes in a fixed order (BOM, UTF-16 by its NUL pattern, UTF-8, cp932), never a
silent guess; a few damaged bytes kept as visible marks (their rows are rejected); NUL bytes dropped and
counted; the decoded head of a cp932 file, so its body can be parsed from the raw bytes."""
from __future__ import annotations

import codecs
import re

import numpy as np

from .errors import LoadError


def decode_text(data: bytes) -> tuple[str, str]:
    """Strict decodes in a fixed order; returns (text, encoding). Never guesses silently."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: ASCII characters leave a NUL in every other byte.
        even_nuls, odd_nuls = head[0::2].count(0), head[1::2].count(0)
        for enc in ("utf-16-le", "utf-16-be") if odd_nuls >= even_nuls else ("utf-16-be", "utf-16-le"):
            if _looks_binary(head[: len(head) // 2 * 2].decode(enc, errors="replace")):
                continue  # NUL runs (both byte positions zero) are not UTF-16 text: judged on the head, before any full decode
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                continue
        raise LoadError("not_text")
    if b"\x00" in head:
        raise LoadError("not_text")
    for enc in ("utf-8", "cp932"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            if enc == "utf-8" and _damaged_utf8(data):
                raise _DamagedUtf8() from None  # never re-read as cp932 (SPEC 7): decode_text_repairing marks the bytes
            continue
        if _looks_binary(text):
            raise LoadError("not_text")
        return text, enc
    raise LoadError("unknown_encoding")


class _DamagedUtf8(LoadError):
    """UTF-8 apart from a few damaged bytes (``_damaged_utf8``): to a plain caller, an unknown encoding."""

    def __init__(self):
        super().__init__("unknown_encoding")


def _damaged_utf8(data: bytes) -> bool:
    """True when ``data`` (not valid UTF-8) is UTF-8 apart from a few damaged bytes: at most MAX_INVALID_BYTES
    invalid sequences, and at least 3 valid multi-byte characters for each. Decided by the whole file, not its
    first error: cp932 text fails UTF-8 at nearly every character (its kana lead bytes 0x82/0x83 are UTF-8
    continuation bytes), while a damaged UTF-8 export fails at one or two places among thousands of characters."""
    bad = data.decode("utf-8", errors="replace").count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if not 0 < bad <= MAX_INVALID_BYTES:
        return False
    leads = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) >= 0xC2))  # UTF-8 lead bytes (and what fails)
    return leads - bad >= 3 * bad


RAW_BYTE_BASE = 0xF700  # a byte that is not text becomes chr(RAW_BYTE_BASE + byte): a private-use mark, shown as \xNN
_RAW_BYTE = re.compile("[\uf700-\uf7ff]")


def _mark_raw_bytes(exc: UnicodeDecodeError):
    return "".join(chr(RAW_BYTE_BASE + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("kpi.raw_bytes", _mark_raw_bytes)


def show_raw_bytes(text: str) -> str:
    """A cell as shown in a message or the rejected-rows download: each damaged byte as ``\\xNN``."""
    return _RAW_BYTE.sub(lambda m: f"\\x{ord(m.group()) - RAW_BYTE_BASE:02x}", text) if isinstance(text, str) else text


def _decode_marking(data: bytes, enc: str) -> tuple[str, int]:
    text = data.decode(enc, errors="kpi.raw_bytes")
    return text, len(_RAW_BYTE.findall(text)) - len(_RAW_BYTE.findall(data.decode(enc, errors="ignore"))) if _RAW_BYTE.search(text) else 0


MAX_INVALID_BYTES = 100  # a few damaged bytes reject their rows; more mean the encoding is something else


def decode_text_repairing(data: bytes) -> tuple[str, str, int]:
    """``decode_text``, or, when a UTF-8 / cp932 file holds a few bytes that are not valid in it (a damaged
    export), that encoding with each bad byte replaced by U+FFFD: (text, encoding, number of bad bytes).
    The rows holding them are rejected and listed, so nothing is guessed silently and the rest loads."""
    try:
        text, enc = decode_text(data)
        return text, enc, 0
    except _DamagedUtf8:
        text, bad = _decode_marking(data, "utf-8")
        if _looks_binary(text):
            raise LoadError("not_text") from None
        return text, "utf-8", bad
    except LoadError as exc:
        if exc.code != "unknown_encoding" or data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            raise
    best = None
    for enc in ("utf-8", "cp932"):
        text, bad = _decode_marking(data, enc)
        if best is None or bad < best[2]:
            best = (text, enc, bad)
    text, enc, bad = best
    if bad > MAX_INVALID_BYTES or _looks_binary(text):
        raise LoadError("unknown_encoding")
    return text, enc, bad


def _strict(data: bytes, enc: str) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError:
        raise LoadError("unknown_encoding") from None


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > max(8, len(sample) // 100)


def _drop_nuls(data: bytes) -> tuple[bytes, int]:
    """(data without its NUL bytes, how many there were) for a file whose first 4 KB hold none (a NUL there is
    decided by ``decode_text``: UTF-16, or not text). A run of NULs (a file padded or cut short by a crash) is
    neither text nor rows (SPEC 7): dropped before parsing, so it costs no memory per cell; a warning counts them.
    A NUL never ends a line, so row numbers are unchanged."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data.find(b"\x00", 4096) == -1 or b"\x00" in data[:4096]:
        return data, 0
    return data.replace(b"\x00", b""), data.count(b"\x00")


HEAD_SIZE = 256 * 1024  # bytes of a file, characters of its text: the header search reads no further


def _cp932_head(data: bytes) -> str | None:
    """The first lines of a cp932 file, decoded (whole lines, up to HEAD_SIZE), or None when the file is
    not plainly cp932 from its start: a BOM, UTF-16, text that reads as UTF-8 (the order of decode_text), or a
    first part that does not decode."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    cut = data.rfind(b"\n", 0, HEAD_SIZE) + 1  # a line break is never the second byte of a cp932 character
    if cut <= 0 or cut == len(data):
        return None  # a small (or single-line) file: the whole decode costs nothing
    try:
        data[:cut].decode("utf-8")
        return None  # UTF-8 (or plain ASCII) so far: decode_text decides
    except UnicodeDecodeError:
        if _damaged_utf8(data[:cut]):
            return None  # UTF-8 with a few damaged bytes: never read as cp932 (SPEC 7)
    try:
        text = data[:cut].decode("cp932")
    except UnicodeDecodeError:
        return None
    return None if _looks_binary(text) else text
