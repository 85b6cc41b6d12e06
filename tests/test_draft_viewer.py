"""The draft viewer: the streaming preview runs on the sandbox origin under the
artifact policy, renders only what the Kiln page framing it hands over, and
cannot be used by anyone else to host content."""
import re

import pytest
from playwright.sync_api import expect

from testkit.clients import directives
from testkit.pages import import_in_browser

DRAFT = """<!doctype html><html><head><title>draft</title></head><body>
<h1 id="hello">Hello from a draft</h1><p id="facts"></p>
<script>
  const facts = [];
  facts.push("origin=" + self.origin);
  try { parent.document.title; facts.push("parent=reachable"); } catch (e) { facts.push("parent=blocked"); }
  try { localStorage.setItem("k", "v"); facts.push("storage=" + localStorage.getItem("k")); } catch (e) { facts.push("storage=threw"); }
  document.addEventListener("securitypolicyviolation", (e) => {
    facts.push("blocked=" + e.effectiveDirective);
    document.getElementById("facts").textContent = facts.join(" ");
  });
  // fetch() goes nowhere in a draft (it has no bridge); the policy still refuses the rest.
  fetch("APP/api/artifacts/x").catch((e) => {
    facts.push("fetch=" + e.name);
    document.getElementById("facts").textContent = facts.join(" ");
  });
  navigator.sendBeacon("APP/api/artifacts/x", "x");
  document.getElementById("facts").textContent = facts.join(" ");
</script></body></html>"""


def test_draft_viewer_is_served_only_on_the_sandbox_origin_with_the_artifact_policy(client, sandbox_client):
    response = sandbox_client.get("/draft?html=%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.status_code == 200
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["sandbox"] == "allow-scripts allow-forms"
    assert csp["connect-src"] == "'none'" and csp["frame-ancestors"] == "http://127.0.0.1:5000"
    assert response.headers["Connection-Allowlist"]
    assert "alert(1)" not in response.text  # the URL carries nothing into the page
    assert response.text == sandbox_client.get("/draft").text
    assert client.get("/draft").status_code == 404


def render_draft(page, html):
    """Hand a draft to the workspace's own DraftPreview, as a stream does."""
    page.evaluate("""async (html) => {
        const { DraftPreview } = await import('/static/drafts.js');
        const box = document.querySelector('[data-drafts]');
        box.hidden = false;
        const preview = new DraftPreview([...box.querySelectorAll('iframe')], box.dataset.draftUrl);
        preview.show(html);
    }""", html)


def test_workspace_renders_a_draft_in_the_sandbox(live_server, page):
    created = live_server.kiln.import_html("<!doctype html><title>t</title><p>v1</p>", None)
    import_in_browser(page, live_server.app_origin, "<!doctype html><title>Mine</title><p>v1</p>")
    render_draft(page, DRAFT.replace("APP", live_server.app_origin))
    draft = page.frame_locator("[data-drafts] iframe:not([hidden])")
    expect(draft.locator("#hello")).to_have_text("Hello from a draft")
    facts = draft.locator("#facts")
    expect(facts).to_contain_text("blocked=connect-src")
    expect(facts).to_contain_text("fetch=TypeError")
    text = facts.inner_text()
    assert "origin=null" in text and "parent=blocked" in text and "storage=v" in text
    assert created  # the other artifact is untouched by any of this


THIRD_PARTY = """<!doctype html><body><script>
  window.seen = [];
  addEventListener("message", (e) => window.seen.push(e.data && e.data.kiln));
</script><iframe id="f" src="DRAFT"></iframe></body>"""


def test_nobody_else_can_make_the_draft_viewer_render(live_server, context):
    draft_url = f"{live_server.sandbox_origin}/draft"
    context.route("http://third-party.test/", lambda route: route.fulfill(
        content_type="text/html", body=THIRD_PARTY.replace("DRAFT", draft_url)))
    page = context.new_page()
    page.goto("http://third-party.test/")
    # Framing is refused (frame-ancestors): Chromium puts its error page in the
    # frame, so the viewer never starts, and never says it is ready.
    page.main_frame.child_frames[0].wait_for_url(re.compile(r"^chrome-error://"))
    assert page.evaluate("window.seen") == []

    # Opened as a window, it ignores whoever opened it ...
    with page.expect_popup() as popup_info:
        page.evaluate("u => { window.w = window.open(u); }", draft_url)
    popup = popup_info.value
    popup.wait_for_load_state()
    # Messages from one sender arrive in order: once a marker posted after each
    # draft has arrived, the viewer has had its chance to render that draft.
    popup.evaluate("""() => { window.markers = [];
        addEventListener('message', (e) => e.data && e.data.marker && window.markers.push(e.data.marker)); }""")
    page.evaluate("""() => { window.w.postMessage({kiln: 'draft', html: '<p id=x>hosted</p>', seq: 1}, '*');
                             window.w.postMessage({marker: 'opener'}, '*'); }""")
    # ... and itself.
    popup.evaluate("""() => { window.postMessage({kiln: 'draft', html: '<p id=x>hosted</p>', seq: 1}, '*');
                              window.postMessage({marker: 'self'}, '*'); }""")
    popup.wait_for_function("() => document.getElementById('x') || window.markers.length === 2")
    assert popup.locator("#x").count() == 0
    assert popup.title() == "Draft"


@pytest.mark.parametrize("partial,expected", [
    ("<p>a</p><script>let x = 1", "<p>a</p>"),
    ("<p>a</p><script>1</script><p", "<p>a</p><script>1</script>"),
    ("<p>a</p><div class=\"x", "<p>a</p>"),
])
def test_partial_documents_are_cut_to_what_can_render(live_server, page, partial, expected):
    page.goto(live_server.app_origin)
    got = page.evaluate("async (html) => (await import('/static/drafts.js')).renderable(html)", partial)
    assert got == expected


def test_document_is_found_in_a_streaming_answer(live_server, page):
    page.goto(live_server.app_origin)
    found = page.evaluate("""async () => {
        const { documentFromAnswer } = await import('/static/drafts.js');
        return [documentFromAnswer('Notes only'), documentFromAnswer('Here:\\n```html\\n<!doctype html><p>x'),
                documentFromAnswer('Here:\\n```html\\n<p>x</p>\\n```\\nDone')];
    }""")
    assert found[0] is None
    assert found[1] == {"html": "<!doctype html><p>x", "complete": False}
    assert found[2] == {"html": "<p>x</p>", "complete": True}


def test_streaming_edits_follow_the_server_grammar_and_job_events(live_server, page):
    """The page reads the edit-block grammar and the job event names from the
    server's one definition, so a block of 5- or 9-character markers applies in
    the preview as it does on the server."""
    from jobs import JOB_EVENTS

    page.goto(live_server.app_origin)
    got = page.evaluate("""async () => {
        const { applyStreamingEdits } = await import('/static/drafts.js');
        const { config } = await import('/static/config.js');
        const doc = '<p>red</p>\\n<p>big</p>';
        const answer = '<<<<< SEARCH\\n<p>red</p>\\n=====\\n<p>blue</p>\\n>>>>> REPLACE\\n' +
                       '<<<<<<<<< SEARCH\\n<p>big</p>\\n=========\\n<p>small</p>\\n>>>>>>>>> REPLACE\\n';
        return [applyStreamingEdits(doc, answer), config.job_events];
    }""")
    assert got == ["<p>blue</p>\n<p>small</p>", list(JOB_EVENTS)]
