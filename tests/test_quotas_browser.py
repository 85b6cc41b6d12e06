"""Quotas as a visitor meets them in Chromium, on Kiln's real pages against the
default access: what the tool saved and Kiln did not keep (localStorage,
kiln.storage, IndexedDB) is said on the page, once, with the setting; the tool
is told where it asked; what was kept before stays. A version over the
visitors' daily quota is refused in the edit box, the edit kept."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from artifacts import accounts
from testkit.answers import TIP_DOC
from testkit.serving import DEFAULT_ACCESS, serve_kiln

pytestmark = pytest.mark.browser

SAVER = """<!doctype html><html><head><title>Saver</title></head><body>
<output id="kept"></output>
<button id="small">Small</button> <button id="big">Big</button>
<button id="note">Note</button> <button id="idb">Database</button>
<output id="out"></output>
<script>
  document.getElementById('kept').textContent = 'kept ' + (localStorage.getItem('k') || '').length;
  const out = document.getElementById('out');
  let tries = 0;
  document.getElementById('small').onclick = () => localStorage.setItem('k', 'x'.repeat(10));
  document.getElementById('big').onclick = () => localStorage.setItem('k', 'x'.repeat(3000));
  document.getElementById('note').onclick = async () => {
    try { await kiln.storage.personal.set('note', 'y'.repeat(5000)); out.textContent = 'saved'; }
    catch (e) { tries += 1; out.textContent = tries + ' ' + e.code + ': ' + e.message; }
  };
  document.getElementById('idb').onclick = () => {
    const open = indexedDB.open('db', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('s');
    open.onsuccess = () => {
      const tx = open.result.transaction('s', 'readwrite');
      tx.objectStore('s').put('z'.repeat(5000), 'big');
      tx.oncomplete = () => { out.textContent = 'written'; };
    };
  };
</script></body></html>"""

SETTING = "KILN_VIEWER_DATA_MAX_ADDRESS_BYTES"


def storage_answer(status: int):
    return lambda r: r.url.endswith("/storage") and r.status == status


@pytest.mark.mirror  # its IndexedDB part: the stand-in is served from the mirror
def test_a_refused_save_is_said_on_the_page_and_to_the_tool(tmp_path, page, browser):
    with serve_kiln(tmp_path, access=DEFAULT_ACCESS, viewer_data_max_address_bytes=4000) as server:
        owner = accounts.ensure_owner(server.kiln.store)
        tool = server.kiln.import_html(SAVER, owner.key).artifact.id
        page.goto(server.kiln.page_url(tool))
        frame = page.frame_locator("#artifact-frame")
        expect(frame.locator("#kept")).to_have_text("kept 0")
        with page.expect_response(storage_answer(200)):
            frame.locator("#small").click()
        expect(page.locator(".notice")).to_have_count(0)

        # localStorage: 6,000 bytes from this address is over its 4,000.
        with page.expect_response(storage_answer(413)):
            frame.locator("#big").click()
        notice = page.locator(".notice")
        expect(notice).to_have_count(1)
        expect(notice).to_contain_text("This tool's data was not saved.")
        expect(notice).to_contain_text(SETTING)

        # kiln.storage: the tool hears why; the page says it once, not again.
        frame.locator("#note").click()
        expect(frame.locator("#out")).to_contain_text("1 too_large: ")
        expect(frame.locator("#out")).to_contain_text(SETTING)
        frame.locator("#note").click()
        # The page handles a refusal before it answers the tool: once the tool
        # has its second answer, a second notice would be there.
        expect(frame.locator("#out")).to_contain_text("2 too_large: ")
        expect(notice).to_have_count(1)

        # What was kept before the refusals is still there.
        page.reload()
        expect(page.frame_locator("#artifact-frame").locator("#kept")).to_have_text("kept 10")

        # IndexedDB, for another visitor at the same address: refused, said on their page.
        other = browser.new_context()
        try:
            theirs = other.new_page()
            theirs.goto(server.kiln.page_url(tool))
            with theirs.expect_response(lambda r: r.url.endswith("/indexeddb") and r.status == 413):
                theirs.frame_locator("#artifact-frame").locator("#idb").click()
            expect(theirs.locator(".notice")).to_contain_text(SETTING)
        finally:
            other.close()


def test_a_visitors_version_over_the_daily_quota_is_refused_in_the_edit_box(tmp_path, page):
    with serve_kiln(tmp_path, access=DEFAULT_ACCESS, visitor_daily_versions=1) as server:
        owner = accounts.ensure_owner(server.kiln.store)
        tool = server.kiln.import_html(TIP_DOC, owner.key).artifact.id
        page.goto(server.kiln.page_url(tool))
        page.get_by_role("button", name="Remix").click()
        page.wait_for_url(re.compile(r"/a/(?!" + re.escape(tool) + r")[\w-]+$"))
        page.wait_for_load_state("load")
        page.locator("#tab-code").click()
        for n, outcome in ((18, "Saved as version 2"), (19, "KILN_VISITOR_DAILY_VERSIONS")):
            page.get_by_role("button", name="Edit", exact=True).click()
            page.fill("#html", TIP_DOC.replace("0.15", f"0.{n}"))
            page.get_by_role("button", name="Save as a new version").click()
            if n == 18:
                expect(page.locator(".notice").last).to_contain_text(outcome)
            else:
                error = page.locator("[data-edit-error]")
                expect(error).to_contain_text(outcome)
                expect(error).to_contain_text("Try again after midnight UTC")
                assert "0.19" in page.input_value("#html")  # the edit stays in the box
        remix_id = page.url.rsplit("/a/", 1)[1]
        assert server.kiln.store.get_artifact(remix_id).latest_version == 2
