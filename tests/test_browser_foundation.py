"""A newcomer's first minute, in real Chromium over real HTTP."""
from playwright.sync_api import expect

TOOL = """<!doctype html><html><head><title>Origin probe</title></head><body>
<h1>Origin probe</h1><output id="origin"></output><output id="cookie"></output>
<script>
  document.getElementById('origin').textContent = 'origin=' + self.origin;
  // The browser's own cookie jar is out of reach (the bootstrap's page-long jar is empty).
  const native = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie').get;
  let cookie; try { cookie = 'cookie=' + native.call(document); } catch (e) { cookie = 'cookie-blocked'; }
  if (document.cookie !== '') cookie += ' jar=' + document.cookie;
  document.getElementById('cookie').textContent = cookie;
</script></body></html>"""


def test_paste_view_share_in_another_browser(live_server, browser, page):
    page.goto(f"{live_server.app_origin}/")
    page.get_by_label("HTML").fill(TOOL)
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(f"{live_server.app_origin}/a/**")
    expect(page.get_by_role("heading", name="Origin probe")).to_be_visible()

    frame = page.frame_locator("iframe.preview")
    expect(frame.locator("#origin")).to_have_text("origin=null")
    expect(frame.locator("#cookie")).to_have_text("cookie-blocked")
    iframe = page.locator("iframe.preview")
    assert iframe.get_attribute("sandbox") == "allow-scripts allow-forms"

    share_url = page.locator("#share-url").input_value()
    assert share_url == page.url

    other = browser.new_context()
    try:
        viewer = other.new_page()
        viewer.goto(share_url)
        expect(viewer.frame_locator("iframe.preview").locator("#origin")).to_have_text("origin=null")
        expect(viewer.get_by_role("button", name="Remix")).to_be_visible()
        expect(viewer.get_by_text("Save as a new version")).to_have_count(0)
    finally:
        other.close()


def test_raw_url_opened_directly_is_still_an_opaque_origin(live_server, page):
    created = live_server.kiln.import_html(TOOL, None)
    page.goto(live_server.kiln.raw_url(created.artifact.id, 1))
    expect(page.locator("#origin")).to_have_text("origin=null")
    assert page.evaluate("() => self.origin") == "null"


def test_app_page_runs_without_csp_violations(live_server, page):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    created = live_server.kiln.import_html(TOOL, None)
    page.goto(live_server.kiln.page_url(created.artifact.id))
    expect(page.frame_locator("iframe.preview").locator("#origin")).to_have_text("origin=null")
    assert violations == []
