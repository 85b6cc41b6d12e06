"""kiln.files in the smoke tester (real Chromium): a version is tested with its
files, read through the same API a viewer's frame has (chunks, then the reply),
in the load and in every acceptance check; the same tool without its files fails
its checks; a missing name is the tool's error to handle, not a failure by itself."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from artifacts.checks import CheckSet
from artifacts.file_store import Upload
from artifacts.models import AttachedFile
from tester.smoke_run import FILE_CHUNK_BYTES
from testkit.pages import store_tool
from testkit.serving import serve_kiln

# Sums the second column of sales.csv (latin-1: "Café" must read as such), and
# shows what the rest of the API gives.
SUMS = """<!doctype html><html><head><meta charset="utf-8"><title>Sales total</title></head><body>
<h1>Sales</h1><p id="total">?</p><p id="first">?</p><p id="listed">?</p><p id="bytes">?</p>
<p id="json">?</p><p id="missing">?</p>
<script>
const $ = (id) => document.getElementById(id);
kiln.files.text('sales.csv').then((text) => {
  const rows = text.trim().split('\\n').slice(1).map((r) => r.split(','));
  $('total').textContent = String(rows.reduce((n, r) => n + Number(r[1]), 0));
  $('first').textContent = rows[0][0];
});
kiln.files.list().then((l) => { $('listed').textContent = l.map((f) => f.name + ':' + f.kind).join(' '); });
kiln.files.arrayBuffer('big.bin').then((b) => {
  const v = new Uint8Array(b);
  let sum = 0; for (let i = 0; i < v.length; i += 4096) sum = (sum + v[i]) % 65536;
  $('bytes').textContent = v.length + '/' + sum;
}, (e) => { $('bytes').textContent = 'none: ' + e.code; });
kiln.files.json('meta.json').then((m) => { $('json').textContent = m.region; },
  (e) => { $('json').textContent = 'none: ' + e.code; });
kiln.files.text('nope.csv').catch((e) => { $('missing').textContent = e.code + ': ' + e.message; });
</script></body></html>"""


def attach(path: Path, kind: str, mime: str, encoding: str | None = None) -> tuple[AttachedFile, Path]:
    data = path.read_bytes()
    return AttachedFile(name=path.name, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                        kind=kind, mime=mime, encoding=encoding), path


def checks(*steps: dict) -> CheckSet:
    return CheckSet.parse(json.dumps([{"name": "reads its files", "steps": list(steps)}]))


def sales_files(tmp_path: Path) -> list[tuple[AttachedFile, Path]]:
    sales = tmp_path / "sales.csv"
    sales.write_bytes("name,amount\nCafé,1000\nBrötchen,200\nTee,34\n".encode("latin-1"))
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"region": "Nord"}), "utf-8")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * ((FILE_CHUNK_BYTES * 3 + 12345) // 256))
    return [attach(sales, "csv", "text/csv", "iso-8859-1"), attach(meta, "json", "application/json"),
            attach(big, "text", "application/octet-stream")]


def expected_sum(path: Path) -> str:
    data = path.read_bytes()
    return f"{len(data)}/{sum(data[i] for i in range(0, len(data), 4096)) % 65536}"


def test_a_tool_is_tested_with_its_files(smoke_tester, tmp_path):
    files = sales_files(tmp_path)
    report = smoke_tester.run(SUMS, files=files, checks=checks(
        {"expect": "#total", "text": "1234"}, {"expect": "#first", "text_is": "Café"},
        {"expect": "#listed", "text_is": "sales.csv:csv meta.json:json big.bin:text"},
        {"expect": "#json", "text_is": "Nord"},
        {"expect": "#bytes", "text_is": expected_sum(files[2][1])},
        {"expect": "#missing", "text": 'not_found: No file named "nope.csv" is attached to this '
                                       "tool; it has: sales.csv, meta.json, big.bin."}))
    assert [o.line() for o in report.acceptance] == [
        {"name": "reads its files", "ok": True, "detail": "passed"}]
    assert report.ok, report.summary()
    assert "files (kiln.files)" in report.checks["sandbox"].detail


def test_the_same_tool_without_its_files_fails_its_check(smoke_tester):
    report = smoke_tester.run(SUMS, checks=checks({"expect": "#total", "text": "1234"}))
    assert not report.ok
    outcome = report.acceptance[0]
    assert not outcome.ok and 'expected text containing "1234", got "?"' in outcome.detail


def test_a_missing_file_handled_by_the_tool_is_no_failure(smoke_tester, tmp_path):
    page = """<!doctype html><title>Optional data</title><p id="out">?</p><script>
      kiln.files.json('settings.json').then((s) => { out.textContent = s.theme; },
        (e) => { out.textContent = 'defaults (' + e.code + ')'; });</script>"""
    report = smoke_tester.run(page, files=sales_files(tmp_path)[:1],
                              checks=checks({"expect": "#out", "text_is": "defaults (not_found)"}))
    assert report.ok, report.summary()


def test_a_missing_file_left_unhandled_is_the_tools_error(smoke_tester, tmp_path):
    page = """<!doctype html><title>Careless</title><p>x</p><script>
      kiln.files.text('gone.csv').then((t) => { document.body.append(t); });</script>"""
    report = smoke_tester.run(page, files=sales_files(tmp_path)[:1])
    assert not report.ok
    assert any('No file named "gone.csv"' in e.message for e in report.errors)


def test_a_file_that_is_not_json_rejects_readably(smoke_tester, tmp_path):
    page = """<!doctype html><title>JSON</title><p id="out">?</p><script>
      kiln.files.json('sales.csv').catch((e) => { out.textContent = e.code + ': ' + e.message; });
      </script>"""
    report = smoke_tester.run(page, files=sales_files(tmp_path)[:1], checks=checks(
        {"expect": "#out", "text": 'bad_json: The file "sales.csv" is not JSON'}))
    assert report.ok, report.summary()


@pytest.mark.browser
def test_a_tool_given_its_data_passes_the_checks_it_failed_without(tmp_path):
    """Kiln's own verdicts: v1 without the CSV fails its check; adding the file
    (a new version, tested at once) runs it with the file, and it passes."""
    with serve_kiln(tmp_path, smoke_on_save=True, smoke_concurrency=1) as live:
        kiln = live.kiln
        tool_id = store_tool(live, SUMS, owner="analyst")
        kiln.set_checks(tool_id, "analyst", [
            {"name": "totals the sales", "steps": [{"expect": "#total", "text": "1234"}]}])
        assert kiln.verdicts.wait(timeout=60)
        without = kiln.store.get_version(tool_id, 1).smoke
        assert without is not None and without.ok is False
        sales = sales_files(tmp_path)[0][1]
        added = kiln.files.change(tool_id, "analyst",
                                  uploads=[Upload("sales.csv", io.BytesIO(sales.read_bytes()))])
        assert kiln.verdicts.wait(timeout=60)
        given = kiln.store.get_version(tool_id, added.number)
        assert [f.name for f in given.files] == ["sales.csv"]
        assert given.smoke is not None and given.smoke.ok is True, given.smoke
        assert "files (kiln.files)" in given.smoke.checks["sandbox"]["detail"]
