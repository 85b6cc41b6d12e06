"""What the model is told about a file attached to a tool: its profile, never
the file. Name, kind and size; for tables the columns with inferred types, the
row count and a few sample rows; for JSON its shape and a sample; for SQLite
each table's columns, row count and sample rows; for text the length and the
opening. A profile is computed once per file (files are immutable, stored by
hash) and rendered for the model within a token cap.

Large files are read as streams: a CSV goes through the standard ``csv``
module one row at a time, so a 200 MB file needs no more memory than its
widest row and the samples. The formats and why:

* CSV/TSV: the standard ``csv`` module (streaming, quoted newlines, any
  delimiter), the encoding found by ``charset-normalizer`` on the first bytes
  (a BOM is honoured; latin-1 and friends are common in exports);
* JSON: the standard ``json`` (a document is parsed whole, so it has a size
  cap); NDJSON line by line;
* XLSX: ``python-calamine`` (Rust's calamine: reads a sheet's rows without
  building a workbook object model, and fails cleanly on what is not a zip);
* SQLite: the standard ``sqlite3``, read-only and immutable, so a profile never
  writes a journal or runs anything the file asks for;
* images: Pillow (already used by the smoke tester) for the dimensions.

A file that cannot be read as its kind raises :class:`FileUnreadable` with a
sentence for a person. Nothing here stores or serves files.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from itertools import islice
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifacts.errors import KilnError

# Sample rows shown for a table; bytes read to guess a text's encoding and a
# CSV's dialect; the opening of a text; the largest JSON document parsed whole.
SAMPLE_ROWS = 5
HEAD_BYTES = 64 * 1024
OPENING_CHARS = 1200
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # an XLSX's parts, all unpacked
DEFAULT_MAX_TOKENS = 2000
CELL_CHARS = 80  # a sample cell longer than this is cut for the model

KINDS = ("csv", "tsv", "json", "ndjson", "xlsx", "sqlite", "text", "markdown", "pdf", "image")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".ndjson": "ndjson",
    ".jsonl": "ndjson", ".xlsx": "xlsx", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite",
    ".txt": "text", ".text": "text", ".log": "text", ".md": "markdown", ".markdown": "markdown",
    ".pdf": "pdf", ".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image",
    ".webp": "image",
}
MAGIC = {"xlsx": b"PK\x03\x04", "sqlite": b"SQLite format 3\x00", "pdf": b"%PDF-"}


class FileUnreadable(KilnError):
    """The file is not what its name says, or is broken."""


@dataclass
class Profile:
    name: str
    kind: str
    size: int
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "size": self.size, **self.facts}

    def for_model(self, max_tokens: int = DEFAULT_MAX_TOKENS) -> str:
        """The profile as the model reads it, at most ``max_tokens`` (about four
        characters a token): samples are cut first, then columns, then the rest."""
        budget = max(200, max_tokens * 4)
        for rows, columns in ((SAMPLE_ROWS, None), (2, None), (0, 40), (0, 10)):
            text = _render(self, rows, columns)
            if len(text) <= budget:
                return text
        return text[: budget - 1] + "…"


def kind_of(name: str, head: bytes) -> str:
    """The kind of a file from its name, checked against its first bytes where
    the format has a signature."""
    kind = EXTENSIONS.get(Path(name).suffix.lower(), "")
    if kind in MAGIC and not head.startswith(MAGIC[kind]):
        raise FileUnreadable(f"{name} is not a {kind.upper()} file (its first bytes say otherwise)")
    if kind == "image" and _image_format(head) is None:
        raise FileUnreadable(f"{name} is not a PNG, JPEG, GIF or WebP image")
    if kind:
        return kind
    for magic_kind, magic in MAGIC.items():
        if head.startswith(magic):
            return magic_kind
    if _image_format(head):
        return "image"
    if b"\x00" in head:
        raise FileUnreadable(f"{name}: Kiln cannot tell what kind of file this is")
    return "text"


def profile(path: Path, name: str | None = None) -> Profile:
    """Profile the file at ``path`` (``name`` is what the person called it)."""
    name = name or path.name
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    kind = kind_of(name, head)
    reader = {
        "csv": _table, "tsv": _table, "json": _json, "ndjson": _ndjson, "xlsx": _xlsx,
        "sqlite": _sqlite, "text": _text, "markdown": _text, "pdf": _pdf, "image": _image,
    }[kind]
    return Profile(name, kind, size, reader(path, name, kind, head))


# -- text and tables -------------------------------------------------------------------------------
def encoding_of(head: bytes) -> str:
    """The encoding of a text from its first bytes: a BOM first, then UTF-8 if it
    decodes (a cut multi-byte character at the end is allowed), else what
    charset-normalizer finds most likely."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    return best.encoding if best is not None else "latin-1"


def _lines(path: Path, encoding: str) -> Iterator[str]:
    with path.open(encoding=encoding, errors="replace", newline="") as text:
        yield from text


def _table(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    encoding = encoding_of(head)
    sample = head.decode(encoding, errors="replace")
    delimiter = "\t" if kind == "tsv" else _delimiter(sample)
    rows = csv.reader(_lines(path, encoding), delimiter=delimiter)
    try:
        header = next(rows, None)
        if header is None:
            return {"encoding": encoding, "rows": 0, "columns": [], "note": "the file is empty"}
        columns = [_Column(h.strip() or f"column {i + 1}") for i, h in enumerate(header)]
        samples: list[list[str]] = []
        count = ragged = 0
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            ragged += len(row) != len(columns)
            if len(samples) < SAMPLE_ROWS:
                samples.append(row)
            for column, cell in zip(columns, row, strict=False):
                column.see(cell)
    except csv.Error as exc:
        raise FileUnreadable(f"{name} is not a readable {kind.upper()} file: {exc}") from None
    facts: dict[str, Any] = {
        "encoding": encoding, "delimiter": delimiter, "rows": count,
        "columns": [c.describe() for c in columns], "sample": samples}
    if ragged:
        facts["ragged_rows"] = ragged
    return facts


def _delimiter(sample: str) -> str:
    lines = "\n".join(sample.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(lines, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


INTEGER = re.compile(r"[+-]?\d+")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
BOOLEAN = {"true", "false", "yes", "no"}
# From the narrowest type to the widest: a column's type is the narrowest that
# holds every non-empty cell.
TYPES = ("integer", "number", "boolean", "date", "datetime", "text")


def type_of(cell: str) -> str:
    value = cell.strip()
    if INTEGER.fullmatch(value):
        return "integer"
    if NUMBER.fullmatch(value.replace(",", "")) and value.count(",") * 4 <= len(value):
        return "number"
    if value.lower() in BOOLEAN:
        return "boolean"
    if DATE.fullmatch(value):
        return "date"
    if DATETIME.fullmatch(value):
        return "datetime"
    return "text"


def _wider(a: str, b: str) -> str:
    if a == b or b == "":
        return a
    if a == "":
        return b
    if {a, b} == {"integer", "number"}:
        return "number"
    if {a, b} == {"date", "datetime"}:
        return "datetime"
    return "text"


class _Column:
    def __init__(self, name: str) -> None:
        self.name, self.type, self.empty = name, "", 0

    def see(self, cell: str) -> None:
        if not cell.strip():
            self.empty += 1
        elif self.type != "text":
            self.type = _wider(self.type, type_of(cell))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type or "empty", "empty": self.empty}


def _text(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    encoding = encoding_of(head)
    chars = lines = 0
    opening: list[str] = []
    for line in _lines(path, encoding):
        chars += len(line)
        lines += 1
        if sum(map(len, opening)) < OPENING_CHARS:
            opening.append(line)
    return {"encoding": encoding, "characters": chars, "lines": lines,
            "opening": "".join(opening)[:OPENING_CHARS]}


# -- JSON ---------------------------------------------------------------------------------------
def shape_of(value: Any, depth: int = 0) -> Any:
    """The shape of a JSON value: keys and their shapes, an array's length and
    the shape of its items (merged over the first 50), a scalar's type."""
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        return {key: shape_of(item, depth + 1) for key, item in list(value.items())[:40]}
    if isinstance(value, list):
        items = [shape_of(item, depth + 1) for item in value[:50]]
        merged = _merge(items)
        return {"array": len(value), "of": merged} if items else {"array": 0}
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else "string"


def _merge(shapes: list[Any]) -> Any:
    if all(isinstance(s, dict) and "array" not in s for s in shapes):
        merged: dict[str, Any] = {}
        for shape in shapes:
            for key, item in shape.items():
                merged[key] = item if key not in merged or merged[key] == item else _either(
                    merged[key], item)
        return merged
    distinct: list[Any] = []
    for shape in shapes:
        if shape not in distinct:
            distinct.append(shape)
    return distinct[0] if len(distinct) == 1 else _either(*distinct[:4])


def _either(*shapes: Any) -> Any:
    """One name for several shapes ("null | number"), unions flattened."""
    names = [name for s in shapes for name in (
        s.split(" | ") if isinstance(s, str) else ["object" if "array" not in s else "array"])]
    return " | ".join(dict.fromkeys(names))


def _json(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    if path.stat().st_size > MAX_JSON_BYTES:
        return {"note": f"larger than {MAX_JSON_BYTES // 2**20} MB: not profiled; it starts "
                        + repr(head[:OPENING_CHARS].decode("utf-8", errors="replace"))}
    try:
        value = json.loads(path.read_bytes().decode(encoding_of(head)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FileUnreadable(f"{name} is not valid JSON: {exc}") from None
    return {"shape": shape_of(value), "sample": _sample_json(value)}


def _sample_json(value: Any) -> str:
    """The value as JSON, with arrays cut to their first items, a few lines long."""
    def cut(item: Any, depth: int = 0) -> Any:
        if isinstance(item, list):
            return [cut(x, depth + 1) for x in item[:3]] + (["…"] if len(item) > 3 else [])
        if isinstance(item, dict):
            return {k: cut(v, depth + 1) for k, v in list(item.items())[:20]}
        if isinstance(item, str) and len(item) > CELL_CHARS:
            return item[:CELL_CHARS] + "…"
        return item
    return json.dumps(cut(value), ensure_ascii=False)[:OPENING_CHARS]


def _ndjson(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    records = bad = 0
    shapes: list[Any] = []
    sample: list[Any] = []
    for number, line in enumerate(_lines(path, encoding_of(head)), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            bad += 1
            if bad == 1 and number == 1:
                raise FileUnreadable(f"{name} is not NDJSON: line 1 is not JSON") from None
            continue
        records += 1
        if len(shapes) < 50:
            shapes.append(shape_of(value))
        if len(sample) < 3:
            sample.append(value)
    facts: dict[str, Any] = {"records": records, "shape": _merge(shapes) if shapes else None,
                             "sample": _sample_json(sample)}
    if bad:
        facts["lines_not_json"] = bad
    return facts


# -- binary formats ---------------------------------------------------------------------------------
def _unzipped_size(path: Path, name: str) -> int:
    """What an XLSX (a zip) says it holds once unpacked, read from its directory
    before anything is unpacked: a zip bomb is refused here."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileUnreadable(f"{name} is not a readable XLSX workbook: {exc}") from None


def _xlsx(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    import python_calamine

    unzipped = _unzipped_size(path, name)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise FileUnreadable(f"{name} unpacks to {unzipped:,} bytes, more than Kiln reads "
                             f"({MAX_UNZIPPED_BYTES:,}): is it a zip bomb?")
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = []
        for sheet_name in workbook.sheet_names[:20]:
            sheet = workbook.get_sheet_by_name(sheet_name)
            filled = ([_cell(v) for v in row] for row in sheet.iter_rows()
                      if any(str(v).strip() for v in row))
            rows = list(islice(filled, SAMPLE_ROWS + 1))
            header = rows[0] if rows else []
            columns = [_Column(h or f"column {i + 1}") for i, h in enumerate(header)]
            for row in rows[1:]:
                for column, cell in zip(columns, row, strict=False):
                    column.see(cell)
            sheets.append({"name": sheet_name, "rows": max(0, sheet.height - 1),
                           "columns": [c.describe() for c in columns], "sample": rows[1:]})
    except Exception as exc:  # noqa: BLE001 - calamine's errors (zip, XML, password) and OSError
        raise FileUnreadable(f"{name} is not a readable XLSX workbook: {exc}") from None
    return {"sheets": sheets}


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _sqlite(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    # Read-only and immutable: no journal, no locks, nothing written beside it.
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        with sqlite3.connect(uri, uri=True) as db:
            db.execute("PRAGMA trusted_schema = OFF")
            names = [row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 50")]
            tables = []
            for table in names:
                quoted = '"' + table.replace('"', '""') + '"'
                columns = [{"name": c[1], "type": c[2] or "any"}
                           for c in db.execute(f"PRAGMA table_info({quoted})")]
                count = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
                sample = [[_cell(v) for v in row] for row in db.execute(
                    f"SELECT * FROM {quoted} LIMIT {SAMPLE_ROWS}")]
                tables.append({"name": table, "rows": count, "columns": columns, "sample": sample})
    except sqlite3.Error as exc:
        raise FileUnreadable(f"{name} is not a readable SQLite database: {exc}") from None
    return {"tables": tables}


def _image(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return {"format": image.format, "width": image.width, "height": image.height}
    except (UnidentifiedImageError, OSError) as exc:
        raise FileUnreadable(f"{name} is not a readable image: {exc}") from None


def _pdf(path: Path, name: str, kind: str, head: bytes) -> dict[str, Any]:
    # Pages are counted from the file's page objects, without a PDF library: a
    # count, not a parse (the tool reads the PDF with pdf.js at run time).
    pages = 0
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            pages += len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", chunk))
    return {"pages": pages} if pages else {}


def _image_format(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


# -- for the model ------------------------------------------------------------------------------------
def _render(p: Profile, rows: int, columns: int | None) -> str:
    f = p.facts
    out = io.StringIO()
    out.write(f"- {p.name} ({p.kind}, {p.size:,} bytes)\n")

    def table(cols: list[dict[str, Any]], sample: list[list[str]], count: int, indent: str) -> None:
        shown = cols if columns is None else cols[:columns]
        out.write(f"{indent}{count:,} rows; columns: " + ", ".join(
            f"{c['name']} ({c['type']}" + (f", {c['empty']} empty" if c.get("empty") else "") + ")"
            for c in shown))
        if len(shown) < len(cols):
            out.write(f", and {len(cols) - len(shown)} more")
        out.write("\n")
        for row in sample[:rows]:
            cells = [c if len(c) <= CELL_CHARS else c[:CELL_CHARS] + "…" for c in row[:len(shown)]]
            out.write(f"{indent}  | " + " | ".join(cells) + "\n")

    if p.kind in ("csv", "tsv"):
        out.write(f"  encoding {f.get('encoding')}, delimiter {f.get('delimiter', ',')!r}"
                  + (f", {f['ragged_rows']} rows with another number of fields" if f.get(
                      "ragged_rows") else "") + "\n")
        table(f.get("columns", []), f.get("sample", []), f.get("rows", 0), "  ")
    elif p.kind == "xlsx":
        for sheet in f.get("sheets", []):
            out.write(f"  sheet {sheet['name']!r}: ")
            table(sheet["columns"], sheet["sample"], sheet["rows"], "")
    elif p.kind == "sqlite":
        for t in f.get("tables", []):
            out.write(f"  table {t['name']!r}: ")
            table(t["columns"], t["sample"], t["rows"], "")
    elif p.kind in ("json", "ndjson"):
        if "records" in f:
            out.write(f"  {f['records']:,} records\n")
        if "shape" in f:
            out.write(f"  shape: {json.dumps(f['shape'], ensure_ascii=False)}\n")
        if rows and f.get("sample"):
            out.write(f"  sample: {f['sample']}\n")
    elif p.kind in ("text", "markdown"):
        out.write(f"  {f.get('characters', 0):,} characters, {f.get('lines', 0):,} lines\n")
        if rows:
            out.write("  opening:\n" + "".join(f"    {line}\n"
                                              for line in f.get("opening", "").splitlines()))
    for key in ("pages", "width", "height", "note"):
        if key in f:
            out.write(f"  {key}: {f[key]}\n")
    return out.getvalue()
