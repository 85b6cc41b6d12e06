"""The parent↔artifact bridge in real Chromium: storage, consented downloads,
clipboard and links, errors, and hostile messages."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

COUNTER = """<!doctype html><html><head><title>Counter</title></head><body>
<button id="inc">Add one</button> <output id="n"></output>
<script>
  const n = Number(localStorage.getItem('count') || 0);
  document.getElementById('n').textContent = String(n);
  localStorage.setItem('seen', 'yes');
  document.getElementById('inc').onclick = () => {
    const next = Number(localStorage.getItem('count') || 0) + 1;
    localStorage.count = String(next);
    document.getElementById('n').textContent = String(next);
  };
</script></body></html>"""

DOWNLOADER = """<!doctype html><html><head><title>CSV maker</title></head><body>
<button id="save">Download CSV</button> <output id="result"></output>
<script>
  document.getElementById('save').onclick = () => {
    const blob = new Blob(['a,b\\n1,2\\n'], {type: 'text/csv'});
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = '../../etc/report.csv';
    a.click();
  };
  document.getElementById('result').textContent = 'ready';
</script></body></html>"""

ERRORS = """<!doctype html><html><head><title>Broken</title></head><body><p>hi</p>
<script>
console.error('custom failure', {code: 7});
Promise.reject(new Error('async nope'));
undefinedFunction();
</script></body></html>"""


def open_artifact(page, live_server, html):
    created = live_server.kiln.import_html(html, None)
    page.goto(live_server.kiln.page_url(created.artifact.id))
    return created.artifact.id, page.frame_locator("#artifact-frame")


def test_local_storage_survives_reloads_per_viewer(live_server, page, browser):
    artifact_id, frame = open_artifact(page, live_server, COUNTER)
    expect(frame.locator("#n")).to_have_text("0")
    saved = lambda r: (r.url.endswith("/storage") and r.status == 200  # noqa: E731
                       and '"count":"2"' in (r.request.post_data or ""))
    with page.expect_response(saved):
        frame.locator("#inc").click()
        frame.locator("#inc").click()
    expect(frame.locator("#n")).to_have_text("2")
    page.reload()
    expect(page.frame_locator("#artifact-frame").locator("#n")).to_have_text("2")

    # Another viewer has their own storage.
    other = browser.new_context()
    try:
        viewer = other.new_page()
        viewer.goto(live_server.kiln.page_url(artifact_id))
        expect(viewer.frame_locator("#artifact-frame").locator("#n")).to_have_text("0")
    finally:
        other.close()


def test_raw_url_without_token_has_working_but_unsaved_storage(live_server, page):
    created = live_server.kiln.import_html(COUNTER, None)
    page.goto(live_server.kiln.raw_url(created.artifact.id, 1) + "?st=forged")
    page.locator("#inc").click()
    expect(page.locator("#n")).to_have_text("1")
    page.reload()
    expect(page.locator("#n")).to_have_text("0")


def test_download_needs_consent_then_saves_the_file(live_server, page, tmp_path):
    _, frame = open_artifact(page, live_server, DOWNLOADER)
    expect(frame.locator("#result")).to_have_text("ready")

    frame.locator("#save").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("report.csv")
    expect(dialog).to_contain_text("8 bytes")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    frame.locator("#save").click()
    with page.expect_download() as info:
        dialog.get_by_role("button", name="Save file").click()
    download = info.value
    assert download.suggested_filename == "report.csv"
    target = tmp_path / "saved.csv"
    download.save_as(target)
    assert target.read_text() == "a,b\n1,2\n"


SAVER = """<!doctype html><html><head></head><body><button id="pdf">Save PDF</button><script>
  // As FileSaver.js does (jsPDF's doc.save()): a link outside the page, a
  // non-bubbling click a moment after the viewer's own.
  document.getElementById('pdf').onclick = () => {
    const a = document.createElement('a');
    a.download = 'report.pdf';
    a.href = URL.createObjectURL(new Blob(['%PDF-1.7 fake'], {type: 'application/pdf'}));
    setTimeout(() => a.dispatchEvent(new MouseEvent('click')), 0);
  };
</script></body></html>"""


@pytest.mark.mirror  # jsPDF from the mirror
def test_filesaver_style_downloads_go_through_consent(live_server, page, tmp_path):
    _, frame = open_artifact(page, live_server, SAVER)
    frame.locator("#pdf").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("report.pdf")
    with page.expect_download() as info:
        dialog.get_by_role("button", name="Save file").click()
    target = tmp_path / "saved.pdf"
    info.value.save_as(target)
    assert target.read_text() == "%PDF-1.7 fake"

    # The real thing: jsPDF from the library mirror, doc.save() on a click.
    from mirror.libraries import find
    _, frame = open_artifact(page, live_server, f"""<!doctype html><html><head>
      {find("jspdf").tags()[0]}</head><body><button id="pdf">PDF</button><script>
      document.getElementById('pdf').onclick = () => {{
        const doc = new window.jspdf.jsPDF(); doc.text('Hello', 20, 20); doc.save('hello.pdf');
      }};</script></body></html>""")
    frame.locator("#pdf").click()
    expect(dialog).to_contain_text("hello.pdf")
    with page.expect_download() as info:
        dialog.get_by_role("button", name="Save file").click()
    info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")


def test_the_bootstrap_runs_before_a_script_placed_ahead_of_head(live_server, page):
    """A page whose first script comes before <head> (and hides another <head> in a
    comment) still finds WebRTC removed and storage shimmed: the bootstrap ran first."""
    _, frame = open_artifact(page, live_server, """<html><script>
      window.probe = [typeof RTCPeerConnection, typeof localStorage.setItem].join('/');
    </script><!-- <head> --><head><title>x</title></head>
    <body><output id="seen"></output><script>document.getElementById('seen').textContent = window.probe</script></body></html>""")
    expect(frame.locator("#seen")).to_have_text("undefined/function")


def test_errors_reach_the_page(live_server, page):
    _, frame = open_artifact(page, live_server, ERRORS)
    panel = page.locator("#artifact-errors")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("custom failure")
    expect(panel).to_contain_text("undefinedFunction is not defined")
    expect(panel).to_contain_text("async nope")
    expect(panel.locator("[data-error-count]")).to_have_text("3")


def test_links_and_clipboard_go_through_consent(live_server, page, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tool = """<!doctype html><html><head></head><body>
    <a id="link" href="https://example.com/docs?q=1" target="_blank">Docs</a>
    <button id="js">bad</button><button id="copy">Copy</button><output id="out"></output>
    <script>
      document.getElementById('js').onclick = () => window.open('javascript:alert(1)');
      document.getElementById('copy').onclick = () => navigator.clipboard.writeText('copied text')
        .then(() => out.textContent = 'copied', e => out.textContent = 'refused:' + e.name);
    </script></body></html>"""
    _, frame = open_artifact(page, live_server, tool)
    dialog = page.locator("dialog#consent")

    frame.locator("#js").click()
    expect(dialog).to_be_hidden()  # javascript: URLs are never offered

    frame.locator("#link").click()
    # The bridge handles the frame's requests in order and asks one question at a
    # time: had the javascript: URL been offered, it would hold the dialog now.
    expect(dialog).to_contain_text("https://example.com/docs?q=1")
    expect(dialog).not_to_contain_text("javascript:")
    dialog.get_by_role("button", name="Cancel").click()

    frame.locator("#copy").click()
    expect(dialog).to_contain_text("copied text")
    dialog.get_by_role("button", name="Cancel").click()
    expect(frame.locator("#out")).to_have_text("refused:NotAllowedError")

    frame.locator("#copy").click()
    dialog.get_by_role("button", name="Copy").click()
    expect(frame.locator("#out")).to_have_text("copied")
    # Kiln's page may not read the clipboard (its policy says so): read it elsewhere.
    reader = context.new_page()
    reader.route("http://127.0.0.1:9/", lambda route: route.fulfill(body="<p>reader</p>",
                                                                    content_type="text/html"))
    reader.goto("http://127.0.0.1:9/")
    reader.bring_to_front()
    assert reader.evaluate("navigator.clipboard.readText()") == "copied text"


def test_three_refusals_hold_for_the_visit_whatever_the_tool_does(live_server, page):
    """A tool refused three times cannot ask again: not by saying hello again as a
    new document, nor by reloading itself."""
    tool = """<!doctype html><html><head></head><body>
    <button id="copy">Copy</button><button id="hello">Hello</button><button id="reload">Reload</button>
    <output id="out"></output>
    <script>
      const out = document.getElementById('out');
      let n = 0;
      document.getElementById('copy').onclick = () => navigator.clipboard.writeText('x').then(
        () => out.textContent = 'copied', e => out.textContent = 'refused ' + (++n));
      document.getElementById('hello').onclick = () =>
        window.parent.postMessage({kiln: 'hello', doc: 'forged' + Math.random()}, '*');
      document.getElementById('reload').onclick = () => location.reload();
      out.textContent = 'ready';
    </script></body></html>"""
    _, frame = open_artifact(page, live_server, tool)
    expect(frame.locator("#out")).to_have_text("ready")
    dialog = page.locator("dialog#consent")
    for n in (1, 2, 3):
        frame.locator("#copy").click()
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Cancel").click()
        expect(frame.locator("#out")).to_have_text(f"refused {n}")
    frame.locator("#copy").click()
    expect(frame.locator("#out")).to_have_text("refused 4")  # no question this time
    expect(dialog).to_be_hidden()

    frame.locator("#hello").click()
    frame.locator("#copy").click()
    expect(frame.locator("#out")).to_have_text("refused 5")
    expect(dialog).to_be_hidden()

    # The tool comes back without its storage token (each works once), so Kiln's
    # page loads it again with a fresh one: that third document is the one to use.
    with page.expect_event("framenavigated", predicate=lambda f: "st=" in f.url):
        frame.locator("#reload").click()
    expect(frame.locator("#out")).to_have_text("ready")  # the new document
    frame.locator("#copy").click()
    expect(frame.locator("#out")).to_have_text("refused 1")
    expect(dialog).to_be_hidden()


FULLSCREEN = """<!doctype html><html><head></head><body>
<button id="full">Full screen</button> <output id="mode">windowed</output>
<script>
  const mode = document.getElementById('mode');
  document.getElementById('full').onclick = () => document.fullscreenElement
    ? document.exitFullscreen() : document.body.requestFullscreen().catch(e => mode.textContent = 'refused:' + e.name);
  document.addEventListener('fullscreenchange', () => {
    mode.textContent = document.fullscreenElement ? 'full:' + document.fullscreenElement.tagName : 'windowed';
  });
</script></body></html>"""


def test_full_screen_on_the_viewers_click(live_server, page):
    """The frame may not take the screen itself: Kiln's page shows the preview
    full screen when the tool asks on a click, and tells it when the viewer leaves."""
    _, frame = open_artifact(page, live_server, FULLSCREEN)
    viewport = "document.fullscreenElement && document.fullscreenElement.matches('[data-viewport]')"
    frame.locator("#full").click()
    expect(frame.locator("#mode")).to_have_text("full:BODY")
    assert page.evaluate(viewport)
    frame.locator("#full").click()  # the tool's own toggle leaves again
    expect(frame.locator("#mode")).to_have_text("windowed")
    # Kiln's page leaves full screen once the frame has said so; the page's CSP
    # forbids wait_for_function's eval, a locator is queried without it.
    expect(page.locator(":fullscreen")).to_have_count(0)
    assert page.evaluate("document.fullscreenElement") is None

    frame.locator("#full").click()
    expect(frame.locator("#mode")).to_have_text("full:BODY")
    page.evaluate("document.exitFullscreen()")  # the viewer presses Esc
    expect(frame.locator("#mode")).to_have_text("windowed")

    # Without a click (on load), the request is refused.
    _, frame = open_artifact(page, live_server, """<output id="mode">wait</output><script>
      document.documentElement.requestFullscreen().then(() => mode.textContent = 'full',
                                                        e => mode.textContent = 'refused:' + e.name);
    </script>""")
    expect(frame.locator("#mode")).to_have_text("refused:NotAllowedError")
    assert page.evaluate("document.fullscreenElement") is None


NOTES = (Path(__file__).parent / "smoke_corpus" / "pass-indexeddb-notes.html").read_text("utf-8")


@pytest.mark.mirror  # IndexedDB's stand-in is served from the mirror
def test_indexeddb_works_and_without_a_viewer_is_kept_for_the_visit_only(live_server, page):
    artifact_id, frame = open_artifact(page, live_server, NOTES)
    expect(frame.locator("#count")).to_have_text("0 note(s)")
    for done, text in enumerate(("buy milk", "call Ada"), start=1):
        frame.locator("#text").fill(text)
        frame.locator("#text").press("Enter")
        # The note is saved once its transaction completes, which also clears
        # the input: typing the next one before then loses it.
        expect(frame.locator("#count")).to_have_text(f"{done} note(s)")
        expect(frame.locator("#text")).to_have_value("")
    expect(frame.locator("#list li")).to_have_text(["buy milk", "call Ada"])
    # The raw URL opened on its own names no viewer: in memory only (kept across
    # visits inside Kiln's page: tests/test_kiln_api.py).
    page.goto(live_server.kiln.raw_url(artifact_id, 1))
    page.locator("#text").fill("scratch")
    page.locator("#text").press("Enter")
    expect(page.locator("#count")).to_have_text("1 note(s)")
    page.reload()
    expect(page.locator("#count")).to_have_text("0 note(s)")


# Names the API only indirectly, so no module is added to its head: the
# bootstrap loads the stand-in on first use, and hands out a request meanwhile.
LAZY_IDB = """<!doctype html><html><head></head><body><output id="out">wait</output><script>
  const idb = window["index" + "edDB"];
  const request = idb.open("kv", 3);
  request.addEventListener("upgradeneeded", () => request.result.createObjectStore("kv"));
  request.onerror = () => { out.textContent = "error:" + request.error.name + ":" + request.error.message; };
  request.onsuccess = () => {
    const tx = request.result.transaction("kv", "readwrite");
    tx.objectStore("kv").put({n: 42}, "answer");
    tx.objectStore("kv").get("answer").onsuccess = (e) =>
      out.textContent = "got " + e.target.result.n + " v" + request.result.version;
  };
</script></body></html>"""


@pytest.mark.mirror  # IndexedDB's stand-in is served from the mirror
def test_indexeddb_loads_on_first_use(live_server, page):
    _, frame = open_artifact(page, live_server, LAZY_IDB)
    expect(frame.locator("#out")).to_have_text("got 42 v3")


def test_indexeddb_that_cannot_start_is_a_clear_error(live_server, page, monkeypatch):
    import sandbox.documents
    monkeypatch.setattr(sandbox.documents, "INDEXEDDB_SHIM", "/lib/fake-indexeddb@0.0.0/missing.mjs")
    _, frame = open_artifact(page, live_server, LAZY_IDB)
    expect(frame.locator("#out")).to_contain_text("error:UnknownError:IndexedDB could not start")


PASTER = """<!doctype html><html><head></head><body>
<button id="paste">Paste</button><textarea id="text"></textarea><output id="out"></output>
<script>
  document.getElementById('paste').onclick = () => navigator.clipboard.readText()
    .then(t => { document.getElementById('text').value = t; out.textContent = 'pasted'; },
          e => out.textContent = 'refused:' + e.name);
</script></body></html>"""


def test_paste_reads_the_clipboard_only_with_consent(live_server, page, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    _, frame = open_artifact(page, live_server, PASTER)
    page.evaluate("navigator.clipboard.writeText('copied by the viewer')")
    dialog = page.locator("dialog#consent")

    frame.locator("#paste").click()
    expect(dialog).to_contain_text("read your clipboard")
    dialog.get_by_role("button", name="Cancel").click()
    expect(frame.locator("#out")).to_have_text("refused:NotAllowedError")
    assert frame.locator("#text").input_value() == ""

    frame.locator("#paste").click()
    dialog.get_by_role("button", name="Paste").click()
    expect(frame.locator("#out")).to_have_text("pasted")
    assert frame.locator("#text").input_value() == "copied by the viewer"


HIJACK = """<!doctype html><html><head></head><body><output id="state">start</output>
<script>
  // A hostile tool asks the parent for a fresh port and sends it malformed messages.
  window.addEventListener('message', (e) => {
    if (!e.ports || !e.ports[0]) return;
    const port = e.ports[0];
    port.postMessage({type: 'storage', data: {k: {nested: 1}}});
    port.postMessage({type: 'storage', data: 'x'.repeat(10)});
    port.postMessage({type: 'download', id: 1, name: 'x.html', url: 'javascript:alert(1)'});
    port.postMessage({type: 'open', id: 2, url: 'javascript:alert(1)'});
    port.postMessage({type: 'open', id: 3, url: 'data:text/html,<script>alert(1)<\\/script>'});
    port.postMessage({type: 'evil', id: 4});
    port.postMessage({type: 'fullscreen', on: true, id: 5});  // no click: the browser says no
    port.postMessage({type: 'paste', id: 'x'});
    port.postMessage({type: 'error', kind: 'console', message: 'x'.repeat(100000)});
    port.onmessage = (m) => { document.getElementById('state').textContent += ' reply' + m.data.id + ':' + m.data.ok; };
    setTimeout(() => document.getElementById('state').textContent += ' done', 300);
  });
  parent.postMessage({kiln: 'hello'}, '*');
  parent.postMessage({type: 'storage', data: {stolen: '1'}}, '*');
</script></body></html>"""


def test_hostile_messages_are_dropped(live_server, page):
    storage_writes = []
    page.on("request", lambda r: storage_writes.append(r.url) if r.url.endswith("/storage") else None)
    _, frame = open_artifact(page, live_server, HIJACK)
    expect(frame.locator("#state")).to_contain_text("done")
    expect(frame.locator("#state")).to_contain_text("reply3:false")
    expect(frame.locator("#state")).to_contain_text("reply5:false")
    assert page.evaluate("document.fullscreenElement") is None
    assert "reply1" not in frame.locator("#state").inner_text()
    expect(page.locator("dialog#consent")).to_be_hidden()
    expect(page.locator("#artifact-errors")).to_be_hidden()
    assert storage_writes == []


@pytest.mark.parametrize("payload,status", [
    ({"data": {"k": 1}}, 400), ({"data": []}, 400), ({}, 400),
    ({"data": {"k": "v" * (3 * 1024 * 1024)}}, 413),
])
def test_storage_api_refuses_bad_data(client, kiln, payload, status):
    artifact_id = kiln.import_html("<p>x</p>", None).artifact.id
    response = client.http.put(f"/api/artifacts/{artifact_id}/storage", json=payload,
                               headers={"Host": client.host, "X-CSRFToken": client.token()})
    assert response.status_code == status
    assert response.json["error"]


def test_storage_for_unknown_artifact_is_a_404(client):
    response = client.http.put("/api/artifacts/nope/storage", json={"data": {}},
                               headers={"Host": client.host, "X-CSRFToken": client.token()})
    assert response.status_code == 404
