"""Files of the kinds people attach to tools, made here (not by the library that
reads them back): a real one-sheet XLSX workbook and a real SQLite database."""
from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import Sequence

Cell = str | int | float


def minimal_xlsx(rows: Sequence[Sequence[Cell]], sheet: str = "Budget") -> dict[str, str]:
    """The parts of a real one-sheet workbook with inline strings, as a spreadsheet writes it."""
    def cell(ref: str, value: Cell) -> str:
        if isinstance(value, (int, float)):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    body = "".join(f'<row r="{r + 1}">' + "".join(cell(f"{chr(65 + c)}{r + 1}", v)
                                                 for c, v in enumerate(row)) + "</row>"
                   for r, row in enumerate(rows))
    head = '<?xml version="1.0"?>'
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    doc_rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": (
            f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{office}.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            f'{head}<Relationships xmlns="{rels}"><Relationship Id="rId1" '
            f'Type="{doc_rels}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{head}<workbook xmlns="{main}" xmlns:r="{doc_rels}"><sheets>'
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'{head}<Relationships xmlns="{rels}"><Relationship Id="rId1" '
            f'Type="{doc_rels}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'{head}<worksheet xmlns="{main}"><sheetData>{body}</sheetData></worksheet>'),
    }
    return files


def zip_bytes(parts: dict[str, str]) -> bytes:
    """The parts as a deflated ZIP archive (an XLSX file is one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, text in parts.items():
            archive.writestr(part, text)
    return out.getvalue()


def xlsx_bytes(rows: Sequence[Sequence[Cell]], sheet: str = "Budget") -> bytes:
    """A one-sheet XLSX file of these rows."""
    return zip_bytes(minimal_xlsx(rows, sheet))


def sqlite_bytes(script: str) -> bytes:
    """The file of an SQLite database that the SQL script made."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(script)
        return db.serialize()
    finally:
        db.close()
