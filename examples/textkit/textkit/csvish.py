"""Split one record of a CSV-like format: a separator, double quotes, "" for a literal quote."""

from __future__ import annotations


class RecordError(ValueError):
    """The record is malformed (an unterminated quote, or text after a closing quote)."""


def split_record(line: str, sep: str = ",") -> list[str]:
    """Fields of `line`. Unquoted fields are stripped; quoted fields are kept verbatim."""
    fields: list[str] = []
    i = 0
    while True:
        field, i = _read_field(line, i, sep)
        fields.append(field)
        if i >= len(line):
            return fields
        i += len(sep)


def _read_field(line: str, i: int, sep: str) -> tuple[str, int]:
    while i < len(line) and line[i] == " ":
        i += 1
    if i < len(line) and line[i] == '"':
        return _read_quoted(line, i + 1, sep)
    end = line.find(sep, i)
    end = len(line) if end == -1 else end
    return line[i:end].strip(), end


def _read_quoted(line: str, i: int, sep: str) -> tuple[str, int]:
    chunks: list[str] = []
    while True:
        close = line.find('"', i)
        if close == -1:
            raise RecordError(f"unterminated quote in {line!r}")
        chunks.append(line[i:close])
        if line.startswith('""', close):
            chunks.append('"')
            i = close + 2
            continue
        rest = close + 1
        while rest < len(line) and line[rest] == " ":
            rest += 1
        if rest < len(line) and not line.startswith(sep, rest):
            raise RecordError(f"text after closing quote at column {rest + 1} in {line!r}")
        return "".join(chunks), rest


def join_record(fields: list[str], sep: str = ",") -> str:
    """The inverse of split_record: quote a field when it needs it."""
    return sep.join(_quote(f, sep) for f in fields)


def _quote(field: str, sep: str) -> str:
    if sep in field or '"' in field or field != field.strip():
        return '"' + field.replace('"', '""') + '"'
    return field
