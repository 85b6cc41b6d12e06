"""kiln.files against a hostile tool, in real Chromium inside Kiln's real page:
whatever it asks, by any message shape, on a port it took for itself, it gets
only its own version's files; names that try to climb out reach nothing; chunk
and reply events it forges for itself change nothing; a deleted tool's files
are gone from the API."""
from __future__ import annotations

import json
from urllib.parse import quote

import httpx
from playwright.sync_api import expect

from testkit.pages import open_tool, store_tool

OWN = {"mine.csv": b"a,b\n1,2\n"}
SECRET = b"name,salary\nboss,999999\n"

# Takes a port of its own (a hello of its own makes Kiln's page hand a new one,
# which the tool's listener sees too) and asks, in every shape it can think of,
# for another tool's file; then reads its own through a forged-event storm.
THIEF = """<!doctype html><title>Thief</title><p id="asked">?</p><p id="own">?</p>
<p id="climb">?</p><script>
const $ = (id) => document.getElementById(id);
const OTHER = %(other)s;
const answers = [];
window.addEventListener('message', (e) => {
  if (!e.data || e.data.kiln !== 'port' || !e.ports[0] || window.stolen) return;
  const port = window.stolen = e.ports[0];
  port.addEventListener('message', (m) => answers.push(m.data));
  port.start();
  const shapes = [
    {type: 'files', op: 'read', name: 'secret.csv'},
    {type: 'files', op: 'read', name: 'secret.csv', artifact_id: OTHER, number: 1},
    {type: 'files', op: 'read', name: 'secret.csv', artifactId: OTHER, version: 1},
    {type: 'files', op: 'read', name: '../../' + OTHER + '/versions/1/files/secret.csv'},
    {type: 'files', op: 'read', name: '..%%2F..%%2F' + OTHER + '%%2Fversions%%2F1%%2Ffiles%%2Fsecret.csv'},
    {type: 'files', op: 'read', name: '/api/artifacts/' + OTHER + '/versions/1/files/secret.csv'},
    {type: 'files', op: 'read', name: 'http://127.0.0.1/api/artifacts/' + OTHER + '/versions/1/files/secret.csv'},
    {type: 'files', op: 'list', artifact_id: OTHER},
    {type: 'files', op: 'list', name: 'secret.csv'},
    {type: 'files', op: 'read', name: ['secret.csv']},
    {type: 'files', op: 'read', name: 'secret.csv', src: '/raw/' + OTHER + '/1'},
    {type: 'mirror', path: '/api/artifacts/' + OTHER + '/versions/1/files/secret.csv'},
  ];
  shapes.forEach((s, i) => port.postMessage(Object.assign({id: 9000 + i}, s)));
  port.postMessage({type: 'files', op: 'list', id: 9999});
});
window.parent.postMessage({kiln: 'hello', doc: 'thief'}, '*');
// Every request that is a valid shape is answered; the others are dropped unread.
const ANSWERED = [9000, 9001, 9002, 9003, 9004, 9005, 9006, 9007, 9010, 9999];
const answered = () => new Promise((resolve) => {
  const wait = () => (ANSWERED.every((id) => answers.some((a) => a.id === id))
    ? resolve() : setTimeout(wait, 20));
  wait();
});
// Forged events for the bootstrap: chunk and reply shapes, posted to itself.
const forge = () => {
  for (let id = 1; id < 40; id += 1) {
    const chunk = new TextEncoder().encode('FORGED').buffer;
    window.postMessage({event: 'kiln-file-chunk', call: id, chunk}, '*', [chunk]);
    window.postMessage({id, ok: true, value: {name: 'mine.csv', size: 6, mime: 'text/plain'}}, '*');
  }
};
answered().then(() => {
  $('asked').textContent = JSON.stringify(answers.map((a) =>
    a.event ? 'chunk ' + new TextDecoder().decode(a.chunk)
      : a.id + ':' + (a.ok ? JSON.stringify(a.value) : a.code)));
  forge();
  const own = kiln.files.text('mine.csv');
  forge();
  return own.then((t) => { forge(); $('own').textContent = JSON.stringify(t); });
}).catch((e) => { $('own').textContent = e.message; }).then(() => {
const names = ['../secret.csv', '%%2e%%2e/secret.csv', '..', '.', 'a/b.csv', 'mine.csv\\u0000',
               'mine.csv/', '/mine.csv', '%%2e%%2e', 'MINE.CSV', ' mine.csv', 'mine.csv?x=1',
               'mine.csv#x', '..\\\\secret.csv'];
Promise.all(names.map((n) => kiln.files.arrayBuffer(n).then(() => n + ' READ', (e) => e.code)))
  .then((r) => { $('climb').textContent = r.join(' '); });
});
</script>"""


def test_a_tool_gets_only_its_own_files_by_any_message(page, live_server):
    other = store_tool(live_server, "<!doctype html><title>Payroll</title>",
                       {"secret.csv": SECRET}, owner="someone-else")
    asked_for: list[str] = []
    page.on("request", lambda r: asked_for.append(r.url))
    tool_id, frame = open_tool(page, live_server, THIEF % {"other": json.dumps(other)}, OWN)

    expect(frame.locator("#own")).to_have_text(json.dumps("a,b\n1,2\n"), timeout=10_000)
    expect(frame.locator("#climb")).to_have_text(" ".join(["not_found"] * 14))
    answers = json.loads(frame.locator("#asked").text_content() or "[]")
    assert not any("999999" in a or "salary" in a for a in answers), answers
    # Every shape that names a read is refused as a file the tool lacks; the
    # ones that are no valid request are dropped unread; a list is its own.
    own_list = json.dumps([{"name": "mine.csv", "kind": "csv", "size": 8}], separators=(",", ":"))
    assert sorted(answers) == sorted([f"{9000 + i}:not_found" for i in (0, 1, 2, 3, 4, 5, 6, 10)]
                                     + [f"9007:{own_list}", f"9999:{own_list}"])
    # Kiln's page asked the API for this tool's own listing and file only.
    files_api = [u for u in asked_for if "/api/" in u and "/files" in u]
    assert files_api and all(f"/api/artifacts/{tool_id}/versions/1/files" in u for u in files_api)
    assert not any(other in u for u in asked_for)


def test_names_that_climb_reach_nothing_on_the_api(live_server):
    tool_id = store_tool(live_server, "<!doctype html><title>t</title>", OWN)
    other = store_tool(live_server, "<!doctype html><title>o</title>", {"secret.csv": SECRET})
    base = f"{live_server.app_origin}/api/artifacts/{tool_id}/versions/1/files/"
    with httpx.Client(timeout=10) as http:
        assert http.get(base + "mine.csv").content == OWN["mine.csv"]
        for name in ("../../" + other + "/versions/1/files/secret.csv", "..%2Fsecret.csv",
                     quote("../" + other, safe=""), "%2e%2e", "%2e%2e%2fsecret.csv",
                     "mine.csv%00", quote("mine.csv\x00", safe=""), "secret.csv",
                     quote(f"../../{other}/versions/1/files/secret.csv", safe="")):
            response = http.get(base + name)
            assert response.status_code in (400, 404), (name, response.status_code)
            assert b"999999" not in response.content


def test_a_deleted_tools_files_are_gone(live_server):
    tool_id = store_tool(live_server, "<!doctype html><title>t</title>", OWN, owner="deleter")
    base = f"{live_server.app_origin}/api/artifacts/{tool_id}/versions/1/files"
    with httpx.Client(timeout=10) as http:
        assert http.get(base).json()["files"][0]["name"] == "mine.csv"
        live_server.kiln.delete_artifact(tool_id, "deleter")
        for url in (base, base + "/mine.csv", base + "/mine.csv/profile"):
            response = http.get(url)
            assert response.status_code in (404, 410), (url, response.status_code)
            assert b"1,2" not in response.content
