"""Files attached to a tool, in Kiln's own pages, in real Chromium against Kiln's
HTTP server and the fake model provider: attaching by button, drop and paste, the
limits refused in the page before anything is sent, a server's refusal shown with
the prompt and the files kept, the Data tab (list, preview, add, replace, remove,
each a new version), data changes in the history, what the share menu says, and
the read-only list a visitor of the link sees."""
import json
import re

from playwright.sync_api import expect

from testkit.answers import TIP_ANSWER
from testkit.pages import import_in_browser, wait_for_written
from testkit.serving import provider_overrides, serve_kiln

SALES = b"region,month,amount\nNorth,Jan,120.5\nSouth,Jan,98\nNorth,Feb,130\n"
SALES_V2 = b"region,month,amount,units\nWest,Mar,77,3\n"
HOSTILE = '<img src=x onerror="alert(1)">'
PLAIN = "<!doctype html><title>Reader</title><p>reads its files</p>"


def csv(name, data=SALES):
    return {"name": name, "mimeType": "text/csv", "buffer": data}


def drop(page, selector, name, text, mime="application/json"):
    """Drop one file onto ``selector`` as a person's drag from their desktop would."""
    page.locator(selector).evaluate(
        """(target, [name, text, mime]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: mime }));
            for (const type of ['dragenter', 'dragover', 'drop']) {
                target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer,
                                                           bubbles: true, cancelable: true }));
            }
        }""", [name, text, mime])


def watch_uploads(page):
    """The requests the page sends with a body to Kiln's API, as they happen."""
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method != "GET" else None)
    return sent


def open_data_tab(page):
    page.locator("#tab-data").click()
    return page.locator("[data-data-panel]")


def test_attach_by_button_drop_and_paste_then_generate(server, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    server.fake.script(TIP_ANSWER)
    page.goto(server.app_origin)
    # the limits are said before anything is chosen
    expect(page.locator("[data-attach-limits]")).to_contain_text(
        "up to 20 files, 50.0 MB each, 200.0 MB per tool")
    page.fill("#prompt", "chart my sales")
    page.set_input_files("#attach", files=[csv("sales.csv")])
    chips = page.locator("[data-attachments] li")
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text("sales.csv")
    expect(chips.first).to_contain_text(f"CSV · {len(SALES)} B")
    drop(page, "#generate-form", "targets.json", '{"north": 100}')
    expect(chips).to_have_count(2)
    expect(chips.nth(1)).to_contain_text("targets.json")
    expect(chips.nth(1)).to_contain_text("JSON")
    # a pasted file (a screenshot, say) is attached too; a second one of the same
    # name gets a name of its own
    for _ in range(2):
        page.locator("#prompt").evaluate("""(prompt) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(['notes'], 'notes.txt', { type: 'text/plain' }));
            prompt.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer,
                                                              bubbles: true, cancelable: true }));
        }""")
    expect(chips).to_have_count(4)
    expect(chips.nth(3)).to_contain_text("notes-2.txt")
    expect(page.locator("#prompt")).to_have_value("chart my sales")  # nothing pasted as text
    # a chip removes its file
    page.get_by_role("button", name="Remove notes-2.txt").click()
    page.get_by_role("button", name="Remove notes.txt").click()
    expect(chips).to_have_count(2)

    page.locator("#prompt").press("Enter")
    artifact_id = wait_for_written(page)
    version = server.kiln.store.get_version(artifact_id, 1)
    assert [f.name for f in version.files] == ["sales.csv", "targets.json"]
    assert [f.kind for f in version.files] == ["csv", "json"]
    # the model was told of the files
    told = json.dumps(server.fake.requests[0].body)
    assert "sales.csv" in told and "targets.json" in told
    # the Data tab lists them, with the count on the tab
    expect(page.locator("[data-files-tab-count]")).to_have_text("2")
    panel = open_data_tab(page)
    expect(panel.locator("[data-file]")).to_have_count(2)
    assert dialogs == []


def test_a_file_over_a_limit_is_refused_before_anything_is_sent(tmp_path, fake_llm, page):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), files_max_file_bytes=1024,
                    files_max_per_tool=2) as server:
        page.goto(server.app_origin)
        expect(page.locator("[data-attach-limits]")).to_contain_text(
            "up to 2 files, 1.0 KB each")
        sent = watch_uploads(page)
        error = page.locator("[data-form-error]")
        page.fill("#prompt", "a big table")
        page.set_input_files("#attach", files=[csv("big.csv", b"a,b\n" + b"1,2\n" * 400)])
        expect(error).to_contain_text("big.csv is 1.6 KB; a file may be at most 1.0 KB")
        expect(page.locator("[data-attachments] li")).to_have_count(0)
        # a kind Kiln does not read
        page.set_input_files("#attach", files=[{"name": "setup.exe", "mimeType": "application/x-msdownload",
                                                 "buffer": b"MZ\x90\x00"}])
        expect(error).to_contain_text("Kiln does not read .exe files")
        # one too many: all or none
        page.set_input_files("#attach", files=[csv("a.csv"), csv("b.csv"), csv("c.csv")])
        expect(error).to_contain_text("at most 2 files; that would make 3")
        expect(page.locator("[data-attachments] li")).to_have_count(0)
        page.set_input_files("#attach", files=[csv("a.csv")])
        expect(page.locator("[data-attachments] li")).to_have_count(1)
        expect(error).to_be_hidden()
        expect(page.locator("#prompt")).to_have_value("a big table")
        # the page asked nothing of the server all along (a click on Send does)
        assert sent == [] and fake_llm.requests == []


def test_a_servers_refusal_is_shown_with_the_prompt_and_files_kept(server, page):
    page.goto(server.app_origin)
    page.fill("#prompt", "show this picture")
    page.set_input_files("#attach", files=[{"name": "x.png", "mimeType": "image/png",
                                            "buffer": b"GIF89a not a png"}, csv("sales.csv")])
    page.locator("#prompt").press("Enter")
    error = page.locator("[data-form-error]")
    expect(error).to_contain_text("x.png")
    expect(page.locator("#prompt")).to_have_value("show this picture")
    expect(page.locator("[data-attachments] li")).to_have_count(2)
    assert server.fake.requests == []
    # without the bad one it goes through
    server.fake.script(TIP_ANSWER)
    page.get_by_role("button", name="Remove x.png").click()
    page.locator("#prompt").press("Enter")
    artifact_id = wait_for_written(page)
    assert [f.name for f in server.kiln.store.get_version(artifact_id, 1).files] == ["sales.csv"]


def test_the_data_tab_adds_previews_replaces_and_removes(server, browser, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    artifact_id = import_in_browser(page, server.app_origin, PLAIN)
    store = server.kiln.store
    panel = open_data_tab(page)
    expect(panel).to_contain_text("Version 1 has no files")
    expect(panel).to_contain_text("up to 20 files")
    expect(page.locator("[data-files-share]")).to_have_count(0)

    # add two: a new version with the same code
    page.set_input_files("#data-add", files=[csv("sales.csv"), csv(f"{HOSTILE}.csv", b"a\n<b>x</b>\n")])
    expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2", timeout=20_000)
    rows = panel.locator("[data-file]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"csv · {len(SALES)} B")
    expect(page.locator("[data-files-tab-count]")).to_have_text("2")
    assert re.search(rf"/a/{artifact_id}$", page.url)
    assert store.get_version(artifact_id, 2).html == store.get_version(artifact_id, 1).html
    assert store.get_version(artifact_id, 2).source.value == "data"

    # the preview: columns with their types, the first rows
    page.get_by_role("button", name="sales.csv", exact=True).click()
    preview = rows.first.locator("[data-file-preview-box]")
    expect(preview.locator("th")).to_have_text(["region", "month", "amount"])
    expect(preview.locator("tbody tr")).to_have_count(3)
    expect(preview.locator("tbody tr").first).to_contain_text("North")
    expect(preview.locator(".file-types")).to_contain_text("number")
    expect(preview).to_contain_text("3 rows · 3 columns")
    # a hostile name and hostile cells are text
    page.get_by_role("button", name=f"{HOSTILE}.csv", exact=True).click()
    expect(rows.nth(1).locator("tbody")).to_contain_text("<b>x</b>")
    assert panel.locator("img, b").count() == 0

    # the share menu says what the link hands over
    expect(page.locator("[data-files-share]")).to_contain_text(
        "This tool shares 2 files (")
    expect(page.locator("[data-files-share]")).to_contain_text("with everyone who has the link")

    # remove one: a confirm that says it makes a new version
    page.get_by_role("button", name=f"Remove {HOSTILE}.csv").click()
    confirm = rows.nth(1).locator("[data-file-confirm]")
    expect(confirm).to_contain_text("This makes a new version without it")
    page.get_by_role("button", name="Keep it").click()
    expect(confirm).to_be_hidden()
    page.get_by_role("button", name=f"Remove {HOSTILE}.csv").click()
    page.get_by_role("button", name="Remove and make a new version").click()
    expect(page.locator(".ws-meta")).to_contain_text("Version 3 of 3", timeout=20_000)
    expect(rows).to_have_count(1)
    expect(page.locator("[data-files-share]")).to_contain_text("This tool shares 1 file (")

    # replace it: the same name, new bytes, a new version
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Replace sales.csv").click()
    chooser.value.set_files(files=[csv("anything.csv", SALES_V2)])
    expect(page.locator(".ws-meta")).to_contain_text("Version 4 of 4", timeout=20_000)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"csv · {len(SALES_V2)} B")
    page.get_by_role("button", name="sales.csv", exact=True).click()
    expect(rows.first.locator("th")).to_have_text(["region", "month", "amount", "units"])
    assert [f.name for f in store.get_version(artifact_id, 4).files] == ["sales.csv"]
    assert [f.name for f in store.get_version(artifact_id, 3).files] == ["sales.csv"]
    assert store.get_version(artifact_id, 3).files[0].sha256 != store.get_version(artifact_id, 4).files[0].sha256

    # the history: data changes beside code changes
    page.get_by_role("tab", name="History").click()
    timeline = page.locator(".timeline li")
    expect(timeline.first).to_contain_text("replaced sales.csv")
    expect(timeline.locator(".badge.data")).to_have_count(3)
    expect(timeline.last).to_contain_text("imported")
    assert dialogs == []


def test_a_refused_change_leaves_the_files_and_says_why(tmp_path, fake_llm, page):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), files_max_file_bytes=1024) as server:
        artifact_id = import_in_browser(page, server.app_origin, PLAIN)
        sent = watch_uploads(page)
        panel = open_data_tab(page)
        page.set_input_files("#data-add", files=[csv("big.csv", b"a,b\n" + b"1,2\n" * 400)])
        expect(panel.locator("[data-data-error]")).to_contain_text("at most 1.0 KB")
        assert sent == []
        # a file that is not what its name says: the server refuses it
        page.set_input_files("#data-add", files=[{"name": "db.sqlite", "mimeType": "application/octet-stream",
                                                   "buffer": b"not a database"}])
        expect(panel.locator("[data-data-error]")).to_contain_text("db.sqlite")
        expect(panel).to_contain_text("Version 1 has no files")
        assert server.kiln.store.get_artifact(artifact_id).latest_version == 1


def test_a_visitor_of_the_link_sees_the_files_read_only(server, browser, page):
    artifact_id = import_in_browser(page, server.app_origin, PLAIN)
    open_data_tab(page)
    page.set_input_files("#data-add", files=[csv("sales.csv")])
    expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2", timeout=20_000)

    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(f"{server.app_origin}/a/{artifact_id}")
    expect(visitor.get_by_role("button", name="Remix")).to_be_visible()
    files = visitor.locator(".share-files")
    expect(files.locator("summary")).to_contain_text("Files")
    files.locator("summary").click()
    expect(files.locator("[data-file]")).to_have_count(1)
    expect(files.get_by_role("button", name="Replace sales.csv")).to_have_count(0)
    expect(files.get_by_role("button", name="Remove sales.csv")).to_have_count(0)
    expect(files.locator("[data-files-add]")).to_have_count(0)
    files.get_by_role("button", name="sales.csv", exact=True).click()
    expect(files.locator("th")).to_have_text(["region", "month", "amount"])
    # Download hands over the very bytes
    with visitor.expect_download() as download:
        files.get_by_role("link", name="Download sales.csv").click()
    assert download.value.suggested_filename == "sales.csv"
    assert open(download.value.path(), "rb").read() == SALES
    # the menu says the link shares it
    expect(visitor.locator("[data-files-share]")).to_contain_text(
        f"This tool shares 1 file ({len(SALES)} B) with everyone who has the link")
    # and the server refuses a visitor's change
    status = visitor.evaluate("""async (url) => (await fetch(url, { method: 'DELETE',
        headers: { 'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content } })).status""",
                              f"/api/artifacts/{artifact_id}/files/sales.csv")
    assert status == 403
    visitor_context.close()


def test_the_data_tab_fits_a_phone(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    import_in_browser(page, server.app_origin, PLAIN)
    page.get_by_role("button", name="Tool", exact=True).click()
    open_data_tab(page)
    page.set_input_files("#data-add", files=[csv("a-rather-long-name-for-a-file-of-sales-figures.csv")])
    expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2", timeout=20_000)
    page.locator("[data-file-preview]").click()
    expect(page.locator("[data-file-preview-box] th").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
