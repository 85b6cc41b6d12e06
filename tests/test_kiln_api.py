"""window.kiln in real Chromium, inside Kiln's real pages, against the fake model
provider: kiln.complete() with consent, the owner's switch and budgets,
streaming; kiln.storage shared between browsers (with a compare-and-set
conflict) and personal per viewer; IndexedDB kept across visits; the owner's
panel; hostile tools (loops, oversized data, forged bridge messages); the smoke
tester's stand-ins; and the tool opened outside Kiln."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from artifacts import tool_ai
from testkit.fake_llm import Script
from testkit.pages import import_in_browser
from testkit.serving import provider_overrides, serve_kiln

SUMMARISER = """<!doctype html><html><head><title>Summariser</title></head><body>
<textarea id="text">Kiln turns descriptions into tools.</textarea>
<button id="go">Summarise</button> <button id="stream">Stream</button>
<output id="out"></output> <output id="live"></output> <output id="err"></output>
<script>
  const $ = (id) => document.getElementById(id);
  let answers = 0;
  $('go').onclick = () => {
    $('out').textContent = 'asking';
    kiln.complete('Summarise: ' + $('text').value).then(
      (t) => { $('out').textContent = 'answer ' + (++answers) + ':' + t; },
      (e) => { $('out').textContent = 'failed'; $('err').textContent = e.name + '/' + e.code + ': ' + e.message; });
  };
  $('stream').onclick = () => {
    const pieces = [];
    kiln.complete({system: 'Be brief.', messages: [{role: 'user', content: $('text').value}]},
                  {onToken: (t) => { pieces.push(t); $('live').textContent = pieces.join(''); }})
      .then((t) => { $('out').textContent = 'pieces:' + pieces.length + ':' + t; },
            (e) => { $('err').textContent = e.code + ': ' + e.message; });
  };
</script></body></html>"""

LIST = """<!doctype html><html><head><title>Shared list</title></head><body>
<input id="item" value="milk"> <button id="add">Add</button> <button id="refresh">Refresh</button>
<button id="read">Read</button> <button id="cas">Compare and set</button>
<button id="mine">Keep my name</button> <button id="whoami">Who am I</button>
<ul id="items"></ul> <output id="state"></output> <output id="name"></output>
<script>
  const $ = (id) => document.getElementById(id);
  const shared = kiln.storage.shared, personal = kiln.storage.personal;
  const fail = (e) => { $('state').textContent = 'error ' + e.code + ': ' + e.message; };
  async function show() {
    const list = (await shared.get('items')) || [];
    $('items').replaceChildren(...list.map((x) => Object.assign(document.createElement('li'), {textContent: x})));
    $('state').textContent = 'shown ' + list.length;
  }
  $('add').onclick = () => shared.update('items', (list) => [...(list || []), $('item').value]).then(show, fail);
  $('refresh').onclick = () => show().catch(fail);
  $('read').onclick = async () => { window.seen = await shared.get('items'); $('state').textContent = 'read'; };
  $('cas').onclick = () => shared.compareAndSet('items', window.seen, [...(window.seen || []), $('item').value])
    .then((ok) => { $('state').textContent = 'cas ' + ok; }, fail);
  $('mine').onclick = () => personal.set('name', {first: $('item').value}).then(() => { $('name').textContent = 'kept'; }, fail);
  $('whoami').onclick = () => personal.get('name').then((v) => { $('name').textContent = 'name ' + JSON.stringify(v); }, fail);
  show().catch(fail);
</script></body></html>"""


def spends(tokens: int) -> dict:
    """Usage the fake provider reports for one answer: ``tokens`` in all."""
    return {"input_tokens": 5, "output_tokens": tokens - 5, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0}


@pytest.fixture
def ai_server(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), ai_rate_limit="1000 per minute") as live:
        live.fake = fake_llm
        yield live


def own_tool(page, server, html):
    """Import through the home page, so this browser owns the tool; its frame."""
    tool_id = import_in_browser(page, server.app_origin, html)
    return tool_id, page.frame_locator("#artifact-frame")


def visit(browser, server, tool_id):
    """Another person (another cookie jar) opens the share link."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(server.kiln.page_url(tool_id))
    return context, page, page.frame_locator("#artifact-frame")


def answer(page, button_name):
    page.locator("dialog#consent").get_by_role("button", name=button_name).click()


# The first model call of a process may wait for the provider's SDK to load.
FIRST_CALL_MS = 20_000


# -- kiln.complete() ------------------------------------------------------------------------------

def test_the_person_allows_and_the_answer_appears_and_is_logged(ai_server, page):
    ai_server.fake.default = Script("Kiln makes tools.", usage=spends(30))
    tool_id, frame = own_tool(page, ai_server, SUMMARISER)
    frame.locator("#go").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("This tool wants to use Kiln's model")
    expect(dialog.get_by_role("button", name="Deny")).to_be_visible()
    answer(page, "Allow")
    expect(frame.locator("#out")).to_have_text("answer 1:Kiln makes tools.", timeout=FIRST_CALL_MS)
    [call] = ai_server.kiln.store.model_calls(tool_id)
    assert call["stage"] == "tool" and call["viewer_hash"]
    assert call["input_tokens"] + call["output_tokens"] == 30
    assert call["messages"][-1]["text"] == "Summarise: Kiln turns descriptions into tools."
    # Remembered for this tool: a new visit is not asked again.
    page.reload()
    frame = page.frame_locator("#artifact-frame")
    frame.locator("#go").click()
    expect(frame.locator("#out")).to_have_text("answer 1:Kiln makes tools.")
    expect(dialog).to_be_hidden()
    assert len(ai_server.kiln.store.model_calls(tool_id)) == 2


def test_deny_gives_a_readable_rejection_and_calls_no_model(ai_server, page):
    tool_id, frame = own_tool(page, ai_server, SUMMARISER)
    frame.locator("#go").click()
    answer(page, "Deny")
    expect(frame.locator("#err")).to_have_text(
        "KilnError/denied: You did not allow this tool to use Kiln's model.")
    frame.locator("#go").click()  # not asked again in this visit
    expect(frame.locator("#out")).to_have_text("failed")
    expect(page.locator("dialog#consent")).to_be_hidden()
    assert ai_server.fake.requests == []
    assert ai_server.kiln.store.model_calls(tool_id) == []


def test_a_viewer_is_refused_until_the_owner_enables_ai_then_served_within_budget(ai_server, page,
                                                                                     browser):
    ai_server.fake.default = Script("ok", usage=spends(40))
    tool_id, _ = own_tool(page, ai_server, SUMMARISER)
    context, viewer, frame = visit(browser, ai_server, tool_id)
    try:
        frame.locator("#go").click()
        expect(frame.locator("#err")).to_contain_text(
            "not_allowed: The owner of this tool has not let people who open it use AI.")
        expect(viewer.locator("dialog#consent")).to_be_hidden()

        # The owner turns it on in the workspace, with a budget of 100 tokens a person.
        page.get_by_role("tab", name="AI & data").click()
        panel = page.locator("[data-tool-panel]")
        expect(panel.get_by_text("No AI calls yet.")).to_be_visible()
        panel.get_by_label("Let people who open this tool use AI").check()
        panel.get_by_label("Tokens a day for each person who opens it").fill("100")
        panel.get_by_role("button", name="Save").click()
        expect(panel.get_by_text("Saved.")).to_be_visible()

        frame.locator("#go").click()
        expect(viewer.locator("dialog#consent")).to_contain_text("Kiln's model")
        answer(viewer, "Allow")
        for done in (1, 2, 3):  # 40 tokens each: the third starts with 80 of 100 spent
            expect(frame.locator("#out")).to_have_text(f"answer {done}:ok", timeout=FIRST_CALL_MS)
            frame.locator("#go").click()
        expect(frame.locator("#err")).to_contain_text("budget: Today's token budget of 100 tokens "
                                                      "is used up")
        assert len(ai_server.fake.requests) == 3
        page.reload()
        page.get_by_role("tab", name="AI & data").click()
        expect(page.locator("[data-ai-usage]")).to_contain_text("120 tokens")
        expect(page.locator("[data-ai-usage]")).to_contain_text("3 calls by 1 person")
    finally:
        context.close()


def test_a_visitors_remix_has_no_ai_and_its_panel_says_why(tmp_path, fake_llm, page):
    """With the default access, a visitor served in a member's tool (AI on for
    viewers) remixes it: in the remix, which is theirs, kiln.complete is refused
    before any consent is asked, the owner's panel says why and offers no switch,
    and the switch's request sent from the page anyway is refused."""
    from artifacts import accounts
    from testkit.serving import DEFAULT_ACCESS
    fake_llm.default = Script("ok", usage=spends(20))
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), access=DEFAULT_ACCESS) as server:
        owner = accounts.ensure_owner(server.kiln.store)
        tool_id = server.kiln.import_html(SUMMARISER, owner.key, "Summariser").artifact.id
        server.kiln.runtime.save_ai_settings(tool_id, tool_ai.AISettings(True, 10_000, 1000))
        page.goto(server.kiln.page_url(tool_id))
        frame = page.frame_locator("#artifact-frame")
        frame.locator("#go").click()
        answer(page, "Allow")
        expect(frame.locator("#out")).to_have_text("answer 1:ok", timeout=FIRST_CALL_MS)

        page.get_by_role("button", name="Remix").click()
        expect(page.locator("p.notice")).to_contain_text("Remixed")
        page.wait_for_load_state("load")  # the tabs answer clicks once their module has run
        remix_id = page.url.rsplit("/a/", 1)[1].split("?")[0]
        assert remix_id != tool_id
        remix = page.frame_locator("#artifact-frame")
        remix.locator("#go").click()
        expect(remix.locator("#err")).to_contain_text(
            "not_member: This tool is not made by a member of this Kiln")
        expect(page.locator("dialog#consent")).to_be_hidden()
        page.get_by_role("tab", name="AI & data").click()
        panel = page.locator("[data-tool-panel]")
        expect(panel.locator("[data-ai-not-member]")).to_be_visible()
        expect(panel.get_by_label("Let people who open this tool use AI")).to_be_disabled()
        sent = page.evaluate("""async (id) => {
            const token = document.querySelector('meta[name=csrf-token]').content;
            const r = await fetch(`/api/artifacts/${id}/ai`, {method: 'PUT', headers: {
                'Content-Type': 'application/json', 'X-CSRFToken': token},
                body: JSON.stringify({for_viewers: true, tool_daily_tokens: 1000,
                                      viewer_daily_tokens: 100})});
            return {status: r.status, body: await r.json()};
        }""", remix_id)
        assert sent["status"] == 403 and sent["body"]["code"] == "not_member"
        assert len(fake_llm.requests) == 1  # only the call in the member's tool


def test_on_token_streams_the_answer_piece_by_piece(ai_server, page):
    text = "One, two, three, four, five, six, seven."
    ai_server.fake.default = Script(text, chunk_chars=5, tokens_per_second=40)
    _, frame = own_tool(page, ai_server, SUMMARISER)
    frame.locator("#stream").click()
    answer(page, "Allow")
    # Part of the answer is on the page before the rest has come.
    expect(frame.locator("#live")).not_to_have_text("", timeout=FIRST_CALL_MS)
    expect(frame.locator("#out")).to_have_text(re.compile(r"^pieces:\d+:" + re.escape(text) + "$"))
    pieces = int(frame.locator("#out").inner_text().split(":")[1])
    assert pieces > 2
    expect(frame.locator("#live")).to_have_text(text)
    sent = ai_server.fake.requests[-1].body
    assert sent["system"][0]["text"] == "Be brief."


# -- kiln.storage ---------------------------------------------------------------------------------

def test_two_browsers_see_each_others_shared_writes_and_a_conflict_is_detected(ai_server, page,
                                                                               browser):
    tool_id, mine = own_tool(page, ai_server, LIST)
    expect(mine.locator("#state")).to_have_text("shown 0")
    mine.locator("#add").click()
    expect(page.locator("dialog#consent")).to_contain_text(
        "This tool shares what you save with everyone who opens it")
    answer(page, "Allow")
    expect(mine.locator("#items li")).to_have_text(["milk"])

    context, other, theirs = visit(browser, ai_server, tool_id)
    try:
        expect(theirs.locator("#items li")).to_have_text(["milk"])
        theirs.locator("#item").fill("eggs")
        theirs.locator("#add").click()
        answer(other, "Allow")
        expect(theirs.locator("#items li")).to_have_text(["milk", "eggs"])
        mine.locator("#refresh").click()
        expect(mine.locator("#items li")).to_have_text(["milk", "eggs"])

        # Both read the list, both change it: the second write finds it changed.
        for frame in (mine, theirs):
            frame.locator("#read").click()
            expect(frame.locator("#state")).to_have_text("read")
        mine.locator("#item").fill("bread")
        mine.locator("#cas").click()
        expect(mine.locator("#state")).to_have_text("cas true")
        theirs.locator("#item").fill("jam")
        theirs.locator("#cas").click()
        expect(theirs.locator("#state")).to_have_text("cas false")
        theirs.locator("#refresh").click()
        expect(theirs.locator("#items li")).to_have_text(["milk", "eggs", "bread"])

        # update() retries instead: ten updates at once from two browsers lose none.
        frames = [f for p in (page, other) for f in p.frames if f.url.startswith(ai_server.sandbox_origin)]
        for f in frames:
            f.evaluate("() => { window.done = Promise.all([1, 2, 3, 4, 5].map(() => "
                       "kiln.storage.shared.update('count', (n) => (n || 0) + 1))); }")
        for f in frames:
            f.evaluate("() => window.done")
        assert frames[0].evaluate("() => kiln.storage.shared.get('count')") == 10
    finally:
        context.close()


def test_personal_data_stays_with_each_viewer(ai_server, page, browser):
    tool_id, mine = own_tool(page, ai_server, LIST)
    mine.locator("#item").fill("Ada")
    mine.locator("#mine").click()
    expect(mine.locator("#name")).to_have_text("kept")
    expect(page.locator("dialog#consent")).to_be_hidden()  # personal data asks nothing
    page.reload()
    mine = page.frame_locator("#artifact-frame")
    mine.locator("#whoami").click()
    expect(mine.locator("#name")).to_have_text('name {"first":"Ada"}')
    context, _, theirs = visit(browser, ai_server, tool_id)
    try:
        theirs.locator("#whoami").click()
        expect(theirs.locator("#name")).to_have_text("name null")
    finally:
        context.close()


NOTES_PATH = "tests/smoke_corpus/pass-indexeddb-notes.html"


@pytest.mark.mirror  # IndexedDB's stand-in is served from the mirror
def test_indexeddb_survives_a_reload_and_a_new_visit(ai_server, page, context, browser):
    from pathlib import Path
    notes = (Path(__file__).parent.parent / NOTES_PATH).read_text("utf-8")
    tool_id, frame = own_tool(page, ai_server, notes)
    expect(frame.locator("#count")).to_have_text("0 note(s)")
    for done, text in enumerate(("buy milk", "call Ada"), start=1):
        # The snapshot that holds this note (an earlier one may land meanwhile).
        with page.expect_response(lambda r, text=text: r.url.endswith("/indexeddb")
                                  and r.status == 200 and text in (r.request.post_data or "")):
            frame.locator("#text").fill(text)
            frame.locator("#text").press("Enter")
            expect(frame.locator("#count")).to_have_text(f"{done} note(s)")
    page.reload()
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#list li")).to_have_text(["buy milk", "call Ada"])
    # A new visit: another tab of the same browser, later.
    again = context.new_page()
    again.goto(ai_server.kiln.page_url(tool_id))
    expect(again.frame_locator("#artifact-frame").locator("#list li")).to_have_text(
        ["buy milk", "call Ada"])
    # Someone else starts with nothing.
    other, _, theirs = visit(browser, ai_server, tool_id)
    try:
        expect(theirs.locator("#count")).to_have_text("0 note(s)")
    finally:
        other.close()


TYPES = """<!doctype html><html><head></head><body><output id="out">wait</output><script>
  const open = indexedDB.open('kinds', 2);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore('things');
    db.createObjectStore('rows', {keyPath: ['a', 'b'], autoIncrement: false}).createIndex('by_tag', 'tags', {multiEntry: true});
  };
  open.onsuccess = () => {
    const db = open.result, tx = db.transaction(['things', 'rows'], 'readonly');
    tx.objectStore('things').get('v').onsuccess = (e) => {
      const v = e.target.result;
      if (!v) {
        const w = db.transaction(['things', 'rows'], 'readwrite');
        w.objectStore('things').put({when: new Date(86400000), big: 10n ** 20n, nan: NaN, neg: -0,
          bytes: new Uint8Array([1, 2, 255]), map: new Map([[1, 'one']]), set: new Set(['s']),
          re: /k[il]n/gi, nothing: undefined, list: [1, , 3], ['__proto__']: 'a key'}, 'v');
        w.objectStore('things').put('by date', new Date(0));
        w.objectStore('rows').put({a: 1, b: 'x', tags: ['red', 'blue']});
        w.oncomplete = () => { out.textContent = 'written'; };
        return;
      }
      tx.objectStore('rows').index('by_tag').getAll('blue').onsuccess = (r) => {
        out.textContent = [v.when.getTime(), String(v.big), Number.isNaN(v.nan), Object.is(v.neg, -0),
          Array.from(v.bytes).join('.'), v.map.get(1), v.set.has('s'), v.re.source + v.re.flags,
          'nothing' in v && v.nothing === undefined, v.list.length, Object.keys(v).includes('__proto__'),
          r.target.result.length, db.version].join(' ');
      };
    };
  };
</script></body></html>"""


@pytest.mark.mirror  # IndexedDB's stand-in is served from the mirror
def test_indexeddb_keeps_what_structured_clone_keeps(ai_server, page):
    _, frame = own_tool(page, ai_server, TYPES)
    with page.expect_response(lambda r: r.url.endswith("/indexeddb") and r.status == 200):
        expect(frame.locator("#out")).to_have_text("written")
    page.reload()
    expect(page.frame_locator("#artifact-frame").locator("#out")).to_have_text(
        "86400000 100000000000000000000 true true 1.2.255 one true k[il]ngi true 3 true 1 2")


def test_the_owner_exports_and_clears_shared_data(ai_server, page, tmp_path):
    tool_id, frame = own_tool(page, ai_server, LIST)
    frame.locator("#add").click()
    answer(page, "Allow")
    expect(frame.locator("#items li")).to_have_text(["milk"])
    page.get_by_role("tab", name="AI & data").click()
    panel = page.locator("[data-tool-panel]")
    expect(panel.locator("[data-shared-size]")).to_contain_text("1 key,")
    panel.get_by_role("button", name="View").click()
    expect(panel.locator("[data-shared-json]")).to_contain_text('"milk"')
    with page.expect_download() as info:
        panel.get_by_role("button", name="Export JSON").click()
    target = tmp_path / "shared.json"
    info.value.save_as(target)
    assert json.loads(target.read_text()) == {"items": ["milk"]}
    panel.get_by_role("button", name="Clear…").click()
    panel.get_by_role("button", name="Delete shared data").click()
    expect(panel.locator("[data-shared-size]")).to_have_text("Nothing shared yet.")
    expect(panel.locator("[data-shared-json]")).to_have_text("{}")
    page.get_by_role("tab", name="Preview").click()
    frame.locator("#refresh").click()
    expect(frame.locator("#state")).to_have_text("shown 0")
    assert ai_server.kiln.runtime.data.shared(tool_id) == {}


# -- hostile tools ----------------------------------------------------------------------------------

LOOP = """<!doctype html><html><head></head><body><button id="go">Go</button><output id="out"></output>
<script>
  document.getElementById('go').onclick = async () => {
    let served = 0, last = '';
    for (let i = 0; i < 40; i++) {
      try { await kiln.complete('again ' + i); served++; } catch (e) { last = e.code + ': ' + e.message; if (e.code !== 'denied') break; }
    }
    document.getElementById('out').textContent = served + ' then ' + last;
  };
</script></body></html>"""


@pytest.mark.parametrize("limits,served,refusal", [
    # The first request is answered "ask the viewer first": it counts towards the rate too.
    ({"ai_rate_limit": "5 per minute"}, 4, "rate_limited: This tool is asking Kiln's model too often"),
    ({"ai_tool_daily_tokens": 200}, 4, "budget: Today's token budget of 200 tokens is used up"),
])
def test_a_loop_of_calls_stops_at_the_rate_limit_and_the_budget(tmp_path, fake_llm, page, limits,
                                                                served, refusal):
    fake_llm.default = Script("ok", usage=spends(50))
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), **limits) as server:
        _, frame = own_tool(page, server, LOOP)
        frame.locator("#go").click()
        answer(page, "Allow")
        expect(frame.locator("#out")).to_contain_text(refusal, timeout=FIRST_CALL_MS)
        assert frame.locator("#out").inner_text().startswith(f"{served} then")
        assert len(fake_llm.requests) == served


HOARDER = """<!doctype html><html><head></head><body><button id="go">Go</button><output id="out"></output>
<script>
  const p = kiln.storage.personal, lines = [];
  const note = (what) => (e) => lines.push(what + ' ' + e.code + ': ' + e.message);
  document.getElementById('go').onclick = async () => {
    await p.set('big', 'x'.repeat(300000)).then(() => lines.push('big saved'), note('big'));
    await p.set('odd', undefined).then(() => lines.push('odd saved'), (e) => lines.push('odd ' + e.name));
    await p.set('k'.repeat(500), 1).then(() => lines.push('long key saved'), note('long key'));
    let kept = 0;
    for (let i = 0; i < 20; i++) {
      try { await p.set('part' + i, 'y'.repeat(1500)); kept++; } catch (e) { note('part')(e); break; }
    }
    lines.push('kept ' + kept);
    document.getElementById('out').textContent = lines.join(' | ');
  };
</script></body></html>"""


def test_storage_past_the_limits_is_refused_with_a_clear_error(tmp_path, page):
    with serve_kiln(tmp_path, data_max_value_bytes=100_000, data_max_tool_bytes=10_000) as server:
        _, frame = own_tool(page, server, HOARDER)
        frame.locator("#go").click()
        out = frame.locator("#out")
        expect(out).to_contain_text("kept ")
        text = out.inner_text()
        assert "big too_large: The value of \"big\" is 300,002 bytes; the limit is 100,000." in text
        assert "odd TypeError" in text
        assert "long key bad_key: A storage key is at most 200 characters." in text
        assert "part too_large: Saving 'part6' would make your data in this tool" in text
        assert "KILN_DATA_MAX_TOOL_BYTES" in text and text.endswith("kept 6")


FORGER = """<!doctype html><html><head></head><body><output id="state">start</output>
<script>
  // Takes a port of its own and sends requests that name another tool, and junk.
  window.addEventListener('message', (e) => {
    if (!e.ports || !e.ports[0]) return;
    const port = e.ports[0], seen = [];
    port.onmessage = (m) => {
      if (m.data.id === undefined) return;
      seen.push(m.data.id + ':' + (m.data.ok ? JSON.stringify(m.data.value) : m.data.code));
      document.getElementById('state').textContent = seen.sort().join(' ');
    };
    const other = 'OTHER_TOOL';
    port.postMessage({type: 'data', id: 1, scope: 'shared', op: 'get', key: 'secret', artifact: other, artifactId: other});
    port.postMessage({type: 'data', id: 2, scope: 'shared', op: 'list', artifact: other});
    port.postMessage({type: 'complete', id: 3, stream: false, prompt: 'spend theirs', artifact: other});
    port.postMessage({type: 'data', id: 4, scope: 'everyone', op: 'list'});
    port.postMessage({type: 'data', id: 5, scope: 'shared', op: 'drop', key: 'secret'});
    port.postMessage({type: 'data', id: 6, scope: 'shared', op: 'get', key: {toString: 1}});
    port.postMessage({type: 'complete', id: 7, prompt: 'x'});
    port.postMessage({type: 'indexeddb', snapshot: {dbs: []}});
    port.postMessage({type: 'data', id: 8, scope: 'personal', op: 'list'});
  });
  parent.postMessage({kiln: 'hello', doc: 'forger'}, '*');
</script></body></html>"""


def test_forged_bridge_messages_cannot_use_another_tools_storage_or_budget(ai_server, page):
    victim = ai_server.kiln.import_html("<p>victim</p>", None).artifact.id
    ai_server.kiln.runtime.data.set(victim, "shared", "", "secret", '"the other tool\'s"')
    tool_ai.save_ai_settings(ai_server.kiln.store, victim, tool_ai.AISettings(True, 10**6, 10**6))
    ai_server.fake.default = Script("ok")
    _, frame = own_tool(page, ai_server, FORGER.replace("OTHER_TOOL", victim))
    # Only well-formed requests get an answer, each about the tool the page frames.
    expect(frame.locator("#state")).to_have_text(
        '1:{"revision":0,"value":null} 2:{"keys":[]} 8:{"keys":[]}')
    # The model call (3) waits for this viewer's consent to the tool it came from.
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("Kiln's model")
    answer(page, "Deny")
    expect(frame.locator("#state")).to_contain_text("3:denied")
    assert ai_server.fake.requests == []
    assert tool_ai.tokens_today(ai_server.kiln.store, victim) == 0
    assert ai_server.kiln.runtime.data.shared(victim) == {"secret": "the other tool's"}


# -- the smoke tester ----------------------------------------------------------------------------------

AI_ON_LOAD = """<!doctype html><html lang="en"><head><title>Ideas</title></head><body>
<h1>Ideas</h1><p id="idea">thinking…</p><button id="more">Another</button><p id="count"></p>
<script>
  const idea = document.getElementById('idea');
  const ask = () => kiln.complete('One idea for a weekend project', {onToken: (t) => { idea.textContent = t; }})
    .then((t) => { idea.textContent = t; });
  ask();
  document.getElementById('more').onclick = ask;
  kiln.storage.shared.get('visits').then((n) => {
    if (n !== null) throw new Error('storage was not empty: ' + n);
    return kiln.storage.shared.update('visits', (v) => (v || 0) + 1);
  }).then((n) => { document.getElementById('count').textContent = n + ' visit(s)'; });
</script></body></html>"""


def test_the_smoke_tester_answers_with_stand_ins_and_never_fails_for_using_them(smoke_tester):
    # Twice: each test starts with empty storage (the page throws otherwise).
    first, second = smoke_tester.submit(AI_ON_LOAD), smoke_tester.submit(AI_ON_LOAD)
    for report in (first.result(60), second.result(60)):
        assert report.ok, report.for_model()
        detail = report.checks["sandbox"].detail
        assert "uses AI (kiln.complete) / shared data (kiln.storage.shared)" in detail, detail
        assert not report.errors


# -- outside Kiln ----------------------------------------------------------------------------------------

def test_outside_kilns_page_kiln_rejects_with_a_clear_message(ai_server, page, tmp_path):
    tool_id, _ = own_tool(page, ai_server, SUMMARISER)
    # The raw URL opened on its own.
    page.goto(ai_server.kiln.raw_url(tool_id, 1))
    assert page.evaluate("kiln.available") is False
    page.locator("#go").click()
    expect(page.locator("#err")).to_have_text(
        "KilnError/unavailable: kiln.complete() and kiln.storage work only inside Kiln's page; "
        "this tool was opened on its own.")
    # The standalone download, opened from disk.
    response = page.request.get(ai_server.kiln.download_url(tool_id, 1) + "?standalone=1")
    saved = tmp_path / "tool.html"
    saved.write_bytes(response.body())
    page.goto(saved.as_uri())
    page.locator("#go").click()
    expect(page.locator("#err")).to_contain_text("KilnError/unavailable: This copy of the tool "
                                                 "runs without Kiln")
    expect(page.locator("div[role=status]")).to_contain_text("work only in the Kiln page it came from")
    # The plain download stays the stored bytes exactly.
    plain = page.request.get(ai_server.kiln.download_url(tool_id, 1)).text()
    assert plain == ai_server.kiln.store.get_version(tool_id, 1).html


def test_in_the_streaming_preview_kiln_says_it_waits_for_the_finished_tool(ai_server, page):
    import_in_browser(page, ai_server.app_origin, "<!doctype html><title>Mine</title><p>v1</p>")
    page.evaluate("""async (html) => {
        const { DraftPreview } = await import('/static/drafts.js');
        const box = document.querySelector('[data-drafts]');
        box.hidden = false;
        new DraftPreview([...box.querySelectorAll('iframe')], box.dataset.draftUrl).show(html);
    }""", SUMMARISER)
    draft = page.frame_locator("[data-drafts] iframe:not([hidden])")
    draft.locator("#go").click()
    expect(draft.locator("#err")).to_have_text(
        "KilnError/unavailable: kiln.complete() and kiln.storage work once the tool is finished, "
        "not in the preview while it is being written.")
    assert ai_server.fake.requests == []
