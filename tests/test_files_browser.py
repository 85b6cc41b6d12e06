"""kiln.files in real Chromium, inside Kiln's real pages over real HTTP: a tool
reads its attached files as text (a latin-1 CSV read right), JSON, bytes and a
Blob, in its owner's workspace and on the page anyone with the link sees; a name
it lacks rejects readably; opened on its own it is told why nothing works; a big
file arrives whole, in chunks; a reload mid-read starts clean."""
from __future__ import annotations

import io
import json

import pytest
from playwright.sync_api import expect

from artifacts.file_store import Upload
from testkit.pages import open_tool

SALES = "region,amount\nMünchen,1000\nKöln,200\nBrühl,34\n".encode("latin-1")
META = json.dumps({"currency": "EUR", "months": [1, 2, 3]}).encode()
# A 1x1 PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5d0a1a80000000049454e44ae426082")
FILES = {"sales.csv": SALES, "meta.json": META, "dot.png": PIXEL}

READER = """<!doctype html><html><head><meta charset="utf-8"><title>Reader</title></head><body>
<p id="listed">?</p><p id="total">?</p><p id="first">?</p><p id="json">?</p><p id="bytes">?</p>
<p id="blob">?</p><p id="missing">?</p><p id="bad">?</p><p id="same">?</p>
<img id="img" alt="dot">
<script>
const $ = (id) => document.getElementById(id);
const said = (id) => (e) => { $(id).textContent = e.name + '/' + e.code + ': ' + e.message; };
kiln.files.list().then((l) => { $('listed').textContent = JSON.stringify(l); }, said('listed'));
kiln.files.text('sales.csv').then((t) => {
  const rows = t.trim().split('\\n').slice(1).map((r) => r.split(','));
  $('total').textContent = String(rows.reduce((n, r) => n + Number(r[1]), 0));
  $('first').textContent = rows.map((r) => r[0]).join(' ');
}, said('total'));
kiln.files.json('meta.json').then((m) => { $('json').textContent = m.currency + m.months.length; },
  said('json'));
kiln.files.arrayBuffer('dot.png').then((b) => {
  $('bytes').textContent = b.constructor.name + ' ' + b.byteLength + ' ' + new Uint8Array(b)[1];
}, said('bytes'));
kiln.files.blob('dot.png').then((b) => {
  $('blob').textContent = (b instanceof Blob) + ' ' + b.type + ' ' + b.size;
  $('img').src = URL.createObjectURL(b);
}, said('blob'));
kiln.files.text('nope.csv').then(() => { $('missing').textContent = 'read?!'; }, said('missing'));
kiln.files.json('sales.csv').then(() => { $('bad').textContent = 'parsed?!'; }, said('bad'));
Promise.all([kiln.files.text('sales.csv'), kiln.files.text('sales.csv')])
  .then(([a, b]) => { $('same').textContent = String(a === b && a.length > 0); }, said('same'));
</script></body></html>"""

LISTED = json.dumps([{"name": "sales.csv", "kind": "csv", "size": len(SALES)},
                     {"name": "meta.json", "kind": "json", "size": len(META)},
                     {"name": "dot.png", "kind": "image", "size": len(PIXEL)}],
                    separators=(",", ":"))


def expect_read(frame) -> None:
    expect(frame.locator("#total")).to_have_text("1234")
    expect(frame.locator("#first")).to_have_text("München Köln Brühl")
    expect(frame.locator("#listed")).to_have_text(LISTED)
    expect(frame.locator("#json")).to_have_text("EUR3")
    expect(frame.locator("#bytes")).to_have_text(f"ArrayBuffer {len(PIXEL)} 80")
    expect(frame.locator("#blob")).to_have_text(f"true image/png {len(PIXEL)}")
    expect(frame.locator("#missing")).to_have_text(
        'KilnError/not_found: No file named "nope.csv" is attached to this tool; it has: '
        "sales.csv, meta.json, dot.png.")
    expect(frame.locator("#bad")).to_contain_text('KilnError/bad_json: The file "sales.csv" is '
                                                  "not JSON: ")
    expect(frame.locator("#same")).to_have_text("true")
    expect(frame.locator("#img")).to_have_js_property("naturalWidth", 1)


@pytest.mark.parametrize("who", ["owner", "anyone with the link"])
def test_a_tool_reads_its_files(page, live_server, who):
    owner = "files-owner" if who == "owner" else None
    _, frame = open_tool(page, live_server, READER, FILES, owner=owner)
    if owner:
        expect(page.locator("[data-workspace]")).to_be_attached()
    expect_read(frame)


def test_a_tool_without_files_lists_none_and_says_so(page, live_server):
    _, frame = open_tool(page, live_server, READER)
    expect(frame.locator("#listed")).to_have_text("[]")
    expect(frame.locator("#missing")).to_have_text(
        'KilnError/not_found: No file named "nope.csv" is attached to this tool; it has none.')


def test_opened_on_its_own_it_says_it_needs_kilns_page(page, live_server):
    tool_id, _ = open_tool(page, live_server, READER, FILES)
    page.goto(live_server.kiln.raw_url(tool_id, 1))
    expect(page.locator("#total")).to_have_text(
        "KilnError/unavailable: kiln.files works only inside Kiln's page; this tool was opened on "
        "its own.")


# 21 MB of text in lines of 251 bytes: not a multiple of the chunk, each byte where it should be.
LINE = (("abcdefghijklmnopqrstuvwxyz0123456789" * 7)[:250] + "\n").encode()
BIG = LINE * (21 * 1024 * 1024 // len(LINE))
CHECK_BIG = """(b) => {
  const v = new Uint8Array(b), line = new TextEncoder().encode(LINE); let bad = 0;
  for (let i = 0; i < v.length; i += 1) if (v[i] !== line[i % line.length]) { bad += 1; }
  return v.length + ' ' + bad; }""".replace("LINE", json.dumps(LINE.decode()))


def test_a_big_file_arrives_whole_in_chunks(page, live_server):
    tool = """<!doctype html><title>Big</title><button id="go">Read</button><p id="out">?</p><script>
      go.onclick = () => kiln.files.arrayBuffer('big.txt').then((b) => {
        out.textContent = (CHECK)(b);
      }, (e) => { out.textContent = e.message; });</script>""".replace("CHECK", CHECK_BIG)
    _, frame = open_tool(page, live_server, tool, {"big.txt": BIG})
    expect(frame.locator("#go")).to_be_visible()
    # What Kiln's page posts to the frame: each chunk's size, and whether it was moved.
    page.evaluate("""() => {
      const port = window.kilnBridge.port, post = port.postMessage.bind(port);
      window.sent = [];
      port.postMessage = (m, transfer) => {
        if (m.event === 'kiln-file-chunk')
          window.sent.push([m.chunk.byteLength, (transfer || []).includes(m.chunk)]);
        return post(m, transfer);
      };
    }""")
    frame.locator("#go").click()
    expect(frame.locator("#out")).to_have_text(f"{len(BIG)} 0", timeout=30_000)
    sent = page.evaluate("window.sent")
    assert sum(n for n, _ in sent) == len(BIG) and all(moved for _, moved in sent)
    assert len(sent) == -(-len(BIG) // (1024 * 1024))
    assert all(n >= 256 * 1024 for n, _ in sent[:-1])


def test_a_reload_mid_read_starts_clean(page, live_server):
    tool = """<!doctype html><title>Again</title><p id="out">?</p><script>
      kiln.files.arrayBuffer('big.txt').then((b) => { out.textContent = 'read ' + b.byteLength; });
      </script>"""
    _, frame = open_tool(page, live_server, tool, {"big.txt": BIG})
    page.evaluate("() => window.kilnBridge.reload()")
    expect(frame.locator("#out")).to_have_text(f"read {len(BIG)}", timeout=30_000)
    assert page.evaluate("() => window.kilnBridge.files.running") == 0


def test_an_image_is_typed_as_what_it_is(kiln):
    """kiln.files.blob() types a Blob with the file's MIME type: a PNG's is image/png."""
    (dot,) = kiln.files.accept([Upload("dot.png", io.BytesIO(PIXEL))])
    assert (dot.kind, dot.mime) == ("image", "image/png")


def test_in_the_streaming_preview_it_waits_for_the_finished_tool(page, live_server):
    open_tool(page, live_server, "<!doctype html><title>Mine</title><p>v1</p>", FILES,
              owner="drafter")
    page.evaluate("""async (html) => {
        const { DraftPreview } = await import('/static/drafts.js');
        const box = document.querySelector('[data-drafts]');
        box.hidden = false;
        new DraftPreview([...box.querySelectorAll('iframe')], box.dataset.draftUrl).show(html);
    }""", READER)
    draft = page.frame_locator("[data-drafts] iframe:not([hidden])")
    expect(draft.locator("#total")).to_have_text(
        "KilnError/unavailable: kiln.files works once the tool is finished, not in the preview "
        "while it is being written.")
