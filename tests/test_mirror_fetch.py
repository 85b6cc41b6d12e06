"""Inside the sandbox, beyond <script src>: fetch() and XMLHttpRequest of the
library mirror (answered through Kiln's page, since the frame may connect
nowhere), ES modules by bare specifier and through a tool's own import map, and
the service-worker stand-in. Real Chromium, Kiln's real pages."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect

from mirror.libraries import find
from testkit.clients import post_artifact
from testkit.serving import mirror_dir

LODASH = find("lodash").url("lodash.min.js")


def lodash_bytes() -> int:
    """The size of the mirror's lodash.min.js (read when a test runs: the mirror may be missing)."""
    return (mirror_dir() / "lodash" / "lodash.min.js").stat().st_size


def open_in_kiln(page, live_server, html):
    created = post_artifact(live_server.app_origin, html)
    page.goto(created["url"])
    return created, page.frame_locator("#artifact-frame")


FETCHER = """<!doctype html><html><head><title>Reader</title></head><body>
<output id="out">waiting</output><script>
const results = [];
const note = (name, p) => p.then(v => results.push(name + '=' + v),
                                 e => results.push(name + '!' + e.name));
const xhr = (url, type) => new Promise((resolve, reject) => {
  const r = new XMLHttpRequest();
  r.open('GET', url);
  r.responseType = type;
  r.onload = () => resolve(r.status + ':' + (type === 'arraybuffer' ? r.response.byteLength : typeof r.response));
  r.onerror = () => reject(new TypeError('xhr failed'));
  r.send();
});
Promise.all([
  note('text', fetch('LODASH').then(r => r.status + ':' + r.headers.get('content-type').split(';')[0] + ':'
                                        + r.url.endsWith('LODASH') + ':' + r.ok)),
  note('bytes', fetch(new Request('LODASH')).then(r => r.arrayBuffer()).then(b => b.byteLength)),
  note('json', fetch('/lib/pyodide@314.0.8/pyodide-lock.json').then(r => r.json())
                 .then(j => typeof j.packages)),
  // Files the mirror does not have fail as a network error would.
  note('missing', fetch('/lib/lodash@4.18.1/no-such-file.js').then(r => r.status)),
  note('other-version', fetch('/lib/lodash@1.0.0/lodash.min.js').then(r => r.status)),
  note('post', fetch('LODASH', {method: 'POST', body: 'x'})),
  note('not-lib', fetch('/raw/x/1')),
  note('app-origin', fetch('APP/lib/lodash@4.18.1/lodash.min.js')),
  note('xhr', xhr('LODASH', 'arraybuffer')),
  note('xhr-json', xhr('/lib/pyodide@314.0.8/pyodide-lock.json', 'json')),
]).then(() => { document.getElementById('out').textContent = results.sort().join(' '); });
</script></body></html>"""


@pytest.mark.mirror
def test_fetch_and_xhr_of_mirror_files_are_answered_by_kilns_page(live_server, page):
    html = FETCHER.replace("LODASH", LODASH).replace("APP", live_server.app_origin)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.frame != page.main_frame else None)
    _, frame = open_in_kiln(page, live_server, html)
    expect(frame.locator("#out")).not_to_have_text("waiting")
    assert frame.locator("#out").inner_text().split() == sorted([
        "app-origin!TypeError", f"bytes={lodash_bytes()}", "json=object", "missing!TypeError",
        "not-lib!TypeError", "other-version!TypeError", "post!TypeError",
        "text=200:text/javascript:true:true", f"xhr=200:{lodash_bytes()}", "xhr-json=200:object"])
    # The frame itself asked the network for nothing beyond its document (and the
    # refused fetches, which CSP stopped before any request).
    assert [u for u in asked if "/lib/" in u] == []


def test_raw_url_opened_directly_cannot_read_the_mirror(live_server, page):
    """No Kiln page around it: nobody can fetch for it, and it says so."""
    created = post_artifact(live_server.app_origin, FETCHER.replace("LODASH", LODASH)
                            .replace("APP", live_server.app_origin))
    page.goto(created["raw_url"])
    expect(page.locator("#out")).to_contain_text("text!TypeError")
    expect(page.locator("#out")).to_contain_text("xhr!TypeError")


def test_a_file_over_the_size_cap_is_refused(live_server, page, monkeypatch):
    import sandbox.documents
    import web.client
    monkeypatch.setattr(sandbox.documents, "MAX_FETCH_BYTES", 1000)
    monkeypatch.setattr(web.client, "MAX_FETCH_BYTES", 1000)
    _, frame = open_in_kiln(page, live_server, FETCHER.replace("LODASH", LODASH)
                            .replace("APP", live_server.app_origin))
    expect(frame.locator("#out")).to_contain_text("text!TypeError")
    expect(frame.locator("#out")).to_contain_text("json!TypeError")
    expect(frame.locator("#out")).to_contain_text("bytes!TypeError")


HOSTILE_MIRROR = """<!doctype html><html><head></head><body><output id="state">start</output>
<script>
  // A tool takes its own port and asks the parent for files outside the mirror.
  window.addEventListener('message', (e) => {
    if (!e.ports || !e.ports[0]) return;
    const port = e.ports[0];
    port.onmessage = (m) => { document.getElementById('state').textContent +=
      ' reply' + m.data.id + ':' + m.data.ok + ':' + (m.data.value ? m.data.value.body.byteLength : ''); };
    for (const [id, path] of [[1, '/lib/../api/artifacts'], [2, '/static/app.js'],
        [3, '/lib/%2e%2e/raw/x/1'], [4, 'http://example.com/lib/x.js'], [5, '/lib/x?y=1'],
        [6, '//evil.example/lib/x.js']]) port.postMessage({type: 'mirror', id, path});
    port.postMessage({type: 'mirror', id: 7, path: 'LODASH'});
  });
  parent.postMessage({kiln: 'hello'}, '*');
</script></body></html>"""


@pytest.mark.mirror
def test_the_parent_reads_nothing_but_mirror_paths(live_server, page):
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if r.frame == page.main_frame else None)
    _, frame = open_in_kiln(page, live_server, HOSTILE_MIRROR.replace("LODASH", LODASH))
    # The one real file answers; every other request was dropped unread.
    expect(frame.locator("#state")).to_have_text(f"start reply7:true:{lodash_bytes()}")
    sandbox_reads = [u for u in fetched if u.startswith(live_server.sandbox_origin)
                     and "/raw/" not in u]
    assert sandbox_reads == [live_server.sandbox_origin + LODASH]


# -- ES modules ---------------------------------------------------------------------------

THREE_TOOL = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Spinning cube</title>
<script type="importmap">
{ "imports": { "three": "https://unpkg.com/three@0.160.0/build/three.module.js",
               "three/addons/": "https://unpkg.com/three@0.160.0/examples/jsm/",
               "party": "https://esm.sh/canvas-confetti@1.9.3" } }
</script></head><body><canvas id="view" width="300" height="200"></canvas><p id="out">...</p>
<script type="module">
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { RoundedBoxGeometry } from 'three/examples/jsm/geometries/RoundedBoxGeometry.js';
import { mergeVertices } from 'three/addons/utils/BufferGeometryUtils.js';
import confetti from 'party';
const camera = new THREE.PerspectiveCamera(60, 1.5, 0.1, 100);
camera.position.set(0, 0, 5);
const controls = new OrbitControls(camera, document.getElementById('view'));
controls.update();
const cube = mergeVertices(new RoundedBoxGeometry(1, 1, 1, 2, 0.1));
document.getElementById('out').textContent = ['r' + THREE.REVISION, cube.type,
  cube.attributes.position.count > 0, typeof controls.target.x, typeof confetti].join(' ');
</script></body></html>"""


@pytest.mark.mirror
def test_three_tool_with_an_import_map_and_addons_runs_from_the_mirror(live_server, page):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    created, frame = open_in_kiln(page, live_server, THREE_TOOL)
    assert sum("library mirror" in n for n in created["notices"]) == 3
    expect(frame.locator("#out")).to_have_text(
        "r187 RoundedBoxGeometry true number function")
    assert errors == []


BARE = """<!doctype html><html><head><title>Bare</title></head><body><p id="out">...</p>
<script type="module">
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js';
import MarkdownIt from 'markdown-it';
import TurndownService from 'turndown';
import * as XLSX from 'xlsx';
const html = DOMPurify.sanitize(marked.parse('# hi <img src=x onerror=alert(1)>'));
document.getElementById('out').textContent = [THREE.REVISION, typeof GLTFLoader, html,
  hljs.highlight('let x', {language: 'javascript'}).value.includes('hljs-keyword'),
  new MarkdownIt().render('*a*').trim(), new TurndownService().turndown('<b>b</b>'),
  XLSX.utils.encode_cell({r: 1, c: 2})].join(' ');
</script></body></html>"""


@pytest.mark.mirror
def test_bare_specifiers_of_mirrored_libraries_resolve_without_an_import_map(live_server, page):
    created = post_artifact(live_server.app_origin, BARE)
    page.goto(created["raw_url"])
    expect(page.locator("#out")).to_have_text(
        '187 function <h1>hi <img src="x"></h1>\n true <p><em>a</em></p> **b** C2')


def test_a_bare_specifier_the_mirror_lacks_still_fails(live_server, page):
    created = post_artifact(live_server.app_origin, """<!doctype html><body><p id="out">...</p>
        <script>window.addEventListener('error', e => { document.getElementById('out')
          .textContent = 'failed'; });</script>
        <script type="module">import _ from 'lodash-es'; document.getElementById('out')
          .textContent = 'loaded';</script></body>""")
    page.goto(created["raw_url"])
    expect(page.locator("#out")).to_have_text("failed")


# -- service workers ----------------------------------------------------------------------

SERVICE_WORKER = """<!doctype html><html><head><title>Offline-ready</title></head><body>
<output id="out">waiting</output><script>
const sw = navigator.serviceWorker;   // threw SecurityError in the sandbox before
Promise.all([
  sw.getRegistrations().then(r => 'registrations=' + JSON.stringify(r)),
  sw.getRegistration().then(r => 'registration=' + r),
  sw.register('sw.js').then(() => 'registered', e => 'refused:' + e.name + ':' + e.message),
]).then(parts => {
  document.getElementById('out').textContent = ['serviceWorker' in navigator,
    String(sw.controller), ...parts].join(' | ');
});
</script></body></html>"""


@pytest.mark.parametrize("where", ["raw", "url"])
def test_service_workers_are_absent_not_an_error(live_server, page, where):
    created = post_artifact(live_server.app_origin, SERVICE_WORKER)
    page.goto(created[f"{where}_url" if where == "raw" else "url"])
    out = (page.locator("#out") if where == "raw"
           else page.frame_locator("#artifact-frame").locator("#out"))
    expect(out).to_have_text(
        "true | null | registrations=[] | registration=undefined | refused:SecurityError:"
        "Service workers are not available in Kiln's sandbox (the tool runs without an origin "
        "of its own); it works without offline caching.")
