"""A file as text and back: its encoding (UTF-8 with or without BOM, Latin-1 when not UTF-8), its line
endings and whether it ends in a newline, kept; binary files refused."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dagent.errors import ApplyError, PathRefused

BINARY_PROBE = 8192  # bytes read to look for a NUL, as git does


_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")  # bytes no Latin-1 text file holds


@dataclass(frozen=True)
class TextFormat:
    """How a file is stored on disk, so that a rewrite keeps it."""

    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (with BOM) or "latin-1"
    crlf: bool = False
    final_newline: bool = True


@dataclass(frozen=True)
class TextFile:
    """A file's content in memory: LF line ends, always ending in "\\n" unless empty."""

    text: str
    fmt: TextFormat
    origin: str | None  # the repo path this content was read from (None: created by an op)
    mode: int | None = None  # permission bits on disk


def split_lines_kept(text: str) -> list[str]:
    """Whole lines of an LF text, each with its "\\n" (not splitlines: "\\r" or "\\f" are content here)."""
    return [part + "\n" for part in text.split("\n")[:-1]]


def decode(data: bytes, path: str) -> tuple[str, TextFormat]:
    """Bytes of a text file -> (text with LF line ends and a final "\\n", its format); binary is refused."""
    if b"\x00" in data[:BINARY_PROBE]:
        raise PathRefused(f"{path}: refused: binary file (NUL byte in the first {BINARY_PROBE} bytes)")
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        raw = data.decode(encoding)
    except UnicodeDecodeError:
        if _CONTROL.search(data):
            raise PathRefused(f"{path}: refused: binary file (not UTF-8 and holds control bytes)") from None
        encoding, raw = "latin-1", data.decode("latin-1")
    crlf = "\r\n" in raw and raw.count("\n") == raw.count("\r\n")
    text = raw.replace("\r\n", "\n") if crlf else raw
    final = text == "" or text.endswith("\n")
    return (text if final else text + "\n"), TextFormat(encoding, crlf, final)


def disk_text(text: str, fmt: TextFormat) -> str:
    """The in-memory text as it will stand on disk (final newline and line ends restored)."""
    if not fmt.final_newline and text.endswith("\n"):
        text = text[:-1]
    return text.replace("\n", "\r\n") if fmt.crlf else text


def encode_text(text: str, fmt: TextFormat, path: str) -> bytes:
    try:
        return disk_text(text, fmt).encode(fmt.encoding)
    except UnicodeEncodeError as err:
        bad = err.object[err.start : err.end]
        raise ApplyError(f"{path}: the new text holds {bad!r}, which the file's encoding ({fmt.encoding}) cannot store") from None
