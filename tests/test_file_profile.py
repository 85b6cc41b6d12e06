"""Profiles of files attached to a tool: what the model is told about each kind,
within its token cap, on large files without reading them whole, and a clear
error for every file that is not what it says."""
from __future__ import annotations

import json
import sqlite3
import tracemalloc
import zipfile

import pytest

from artifacts import file_profile
from artifacts.file_profile import FileUnreadable, profile
from testkit.files import minimal_xlsx


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


SALES = ("date,region,units,price,paid,note\n"
         "2026-01-03,North,12,9.50,yes,first\n"
         "2026-01-04,South,,10,no,\"two\nlines\"\n"
         "2026-01-05,East,7,11.25,yes,\n"
         "2026-01-06,West,3,8,no,plain\n"
         "2026-01-07,North,5,9.5,yes,x\n"
         "2026-01-08,South,9,12,no,SIXTH-ROW\n")


def test_a_csv_gives_columns_types_row_count_and_a_sample(tmp_path):
    p = profile(write(tmp_path, "sales.csv", SALES))
    assert (p.kind, p.size, p.facts["rows"], p.facts["delimiter"]) == ("csv", len(SALES), 6, ",")
    types = {c["name"]: (c["type"], c["empty"]) for c in p.facts["columns"]}
    assert types == {"date": ("date", 0), "region": ("text", 0), "units": ("integer", 1),
                     "price": ("number", 0), "paid": ("boolean", 0), "note": ("text", 1)}
    assert p.facts["sample"][1][5] == "two\nlines"  # a quoted newline is one cell
    text = p.for_model()
    assert "sales.csv (csv, " in text and "6 rows" in text and "units (integer, 1 empty)" in text
    # The model sees the sample, never the rows beyond it.
    assert "North" in text and "SIXTH-ROW" not in text


@pytest.mark.parametrize("encoding,prefix", [("latin-1", b""), ("utf-8", b"\xef\xbb\xbf"),
                                             ("cp1252", b"")])
def test_encodings_and_a_bom(tmp_path, encoding, prefix):
    people = [("Cécile", "Orléans", "3,50"), ("José", "Mâcon", "4"), ("Zoë", "Nîmes", "5"),
              ("André", "Besançon", "6"), ("Hélène", "Périgueux", "7,25"), ("François", "Évreux", "8")]
    text = "nom;ville;prix\n" + "".join(f"{n};{v};{p}\n" for n, v, p in people * 3)
    data = prefix + text.encode(encoding)
    p = profile(write(tmp_path, "clients.csv", data))
    assert p.facts["delimiter"] == ";"
    assert [c["name"] for c in p.facts["columns"]] == ["nom", "ville", "prix"]  # no BOM in a name
    assert p.facts["sample"][0][:2] == ["Cécile", "Orléans"]
    assert p.facts["encoding"] == ("utf-8-sig" if prefix else p.facts["encoding"])


def test_ragged_rows_empty_files_and_tsv(tmp_path):
    ragged = profile(write(tmp_path, "r.csv", "a,b,c\n1,2\n1,2,3,4\n1,2,3\n"))
    assert (ragged.facts["rows"], ragged.facts["ragged_rows"]) == (3, 2)
    assert "2 rows with another number of fields" in ragged.for_model()
    empty = profile(write(tmp_path, "e.csv", ""))
    assert empty.facts["rows"] == 0 and "empty" in empty.facts["note"]
    tsv = profile(write(tmp_path, "t.tsv", "x\ty\n1\t2.5\n"))
    assert tsv.facts["delimiter"] == "\t" and tsv.facts["columns"][1]["type"] == "number"


def test_a_large_csv_is_profiled_without_reading_it_whole(tmp_path):
    path = tmp_path / "big.csv"
    row = "2026-01-01,some region name,12345,99.95,yes,a note that makes the row longer\n"
    with path.open("w") as out:
        out.write("date,region,units,price,paid,note\n")
        out.write(row * 150_000)  # about 12 MB
    tracemalloc.start()
    try:
        p = profile(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert p.facts["rows"] == 150_000
    assert peak < 2 * 2**20, f"peak {peak:,} bytes for a {path.stat().st_size:,}-byte file"


def test_json_gives_its_shape_and_a_sample(tmp_path):
    doc = {"users": [{"id": i, "name": f"u{i}", "tags": ["a"], "admin": i == 0} for i in range(40)],
           "total": 40, "next": None}
    p = profile(write(tmp_path, "users.json", json.dumps(doc)))
    assert p.facts["shape"] == {"users": {"array": 40, "of": {
        "id": "number", "name": "string", "tags": {"array": 1, "of": "string"}, "admin": "boolean"}},
        "total": "number", "next": "null"}
    assert '"u0"' in p.facts["sample"] and '"u39"' not in p.facts["sample"]


def test_ndjson_counts_records_and_merges_their_shapes(tmp_path):
    lines = "\n".join(json.dumps({"t": i, "v": i * 1.5} if i % 2 else {"t": i, "v": None})
                      for i in range(10))
    p = profile(write(tmp_path, "events.ndjson", lines + "\nnot json\n"))
    assert p.facts["records"] == 10 and p.facts["lines_not_json"] == 1
    assert p.facts["shape"] == {"t": "number", "v": "null | number"}


def test_sqlite_gives_each_tables_columns_count_and_sample(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL)")
        db.executemany("INSERT INTO items (name, price) VALUES (?, ?)",
                       [(f"item {i}", i / 2) for i in range(25)])
        db.execute('CREATE TABLE "odd ""name""" (x)')
    db.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    p = profile(path)
    tables = {t["name"]: t for t in p.facts["tables"]}
    assert tables["items"]["rows"] == 25 and len(tables["items"]["sample"]) == 5
    assert [c["name"] for c in tables["items"]["columns"]] == ["id", "name", "price"]
    assert tables['odd "name"']["rows"] == 0
    assert "table 'items': 25 rows; columns: id (INTEGER), name (TEXT), price (REAL)" in p.for_model()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # read-only: no journal left


def zipped(tmp_path, name, files):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, text in files.items():
            archive.writestr(part, text)
    return path


def test_xlsx_gives_each_sheets_columns_and_sample(tmp_path):
    rows = [["month", "spent", "budget"]] + [[f"m{i}", i * 10, 100] for i in range(1, 13)]
    p = profile(zipped(tmp_path, "budget.xlsx", minimal_xlsx(rows)))
    sheet, = p.facts["sheets"]
    assert (sheet["name"], sheet["rows"]) == ("Budget", 12)
    assert [(c["name"], c["type"]) for c in sheet["columns"]] == [
        ("month", "text"), ("spent", "number"), ("budget", "number")]
    assert len(sheet["sample"]) == 5 and "sheet 'Budget': 12 rows" in p.for_model()


def test_text_and_markdown_give_length_and_opening(tmp_path):
    p = profile(write(tmp_path, "notes.md", "# Title\n\n" + "word " * 2000))
    assert p.kind == "markdown" and p.facts["lines"] == 3 and p.facts["characters"] == 10_009
    assert p.facts["opening"].startswith("# Title") and len(p.facts["opening"]) <= 1200


def test_images_and_pdfs(tmp_path):
    from PIL import Image
    Image.new("RGB", (30, 20), "red").save(tmp_path / "dot.png")
    assert profile(tmp_path / "dot.png").facts == {"format": "PNG", "width": 30, "height": 20}
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n" \
          b"3 0 obj << /Type/Page >>\n%%EOF"
    assert profile(write(tmp_path, "two.pdf", pdf)).facts == {"pages": 2}


def test_the_token_cap_cuts_samples_then_columns(tmp_path):
    header = ",".join(f"column_with_a_long_name_{i}" for i in range(300))
    rows = "\n".join(",".join(str(i * j) for i in range(300)) for j in range(10))
    p = profile(write(tmp_path, "wide.csv", header + "\n" + rows + "\n"))
    full = p.for_model(100_000)
    short = p.for_model(300)
    assert len(short) <= 1200 < len(full)
    assert short.startswith("- wide.csv (csv, ") and "10 rows" in short


# -- bad input: a clear error, never a crash -------------------------------------------------------
@pytest.mark.parametrize("name,data,says", [
    ("data.json", "{'not': json}", "is not valid JSON"),
    ("data.json", b"\xff\xfe\x00garbage", "is not valid JSON"),
    ("log.ndjson", "oops\n{}\n", "line 1 is not JSON"),
    ("sheet.xlsx", "name,value\na,1\n", "is not a XLSX file"),
    ("sheet.xlsx", b"PK\x03\x04 truncated zip", "is not a readable XLSX workbook"),
    ("shop.db", b"\x8a\x13 random bytes as an encrypted database has" * 40, "is not a SQLITE file"),
    ("shop.sqlite", b"SQLite format 3\x00" + b"\x00\xff" * 300, "is not a readable SQLite database"),
    ("photo.png", b"not an image at all", "is not a PNG, JPEG, GIF or WebP image"),
    ("photo.png", b"\x89PNG\r\n\x1a\ncut short", "is not a readable image"),
    ("blob.bin", b"\x00\x01\x02\x03binary", "cannot tell what kind of file"),
])
def test_a_file_that_is_not_what_it_says_gets_a_clear_error(tmp_path, name, data, says):
    with pytest.raises(FileUnreadable) as refused:
        profile(write(tmp_path, name, data))
    assert says in str(refused.value) and name in str(refused.value)
    assert refused.value.status == 400


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(file_profile, "MAX_UNZIPPED_BYTES", 1_000_000)
    files = minimal_xlsx([["a"], [1]])
    files["xl/media/padding.bin"] = "\x00" * 2_000_000
    path = zipped(tmp_path, "bomb.xlsx", files)
    assert path.stat().st_size < 20_000
    with pytest.raises(FileUnreadable, match="is it a zip bomb"):
        profile(path)


def test_unknown_extensions_are_told_by_their_first_bytes(tmp_path):
    path = tmp_path / "export"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    assert profile(path).kind == "sqlite"
    assert profile(write(tmp_path, "README", "just text\n")).kind == "text"
