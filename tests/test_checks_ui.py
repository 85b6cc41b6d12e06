"""The Checks tab in real Chromium: the owner adds, edits and deletes checks and
sees the version re-tested at once; records a check by using the tool in the
preview; someone else only reads them. Against Kiln over real HTTP with the
background smoke tester on."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from artifacts import checks_store
from testkit.pages import import_in_browser
from testkit.serving import serve_kiln

TOOL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tips</title></head>
<body><h1>Tips</h1><label>Bill <input id="bill" type="number"></label>
<button id="calc">Calculate</button><p>Tip: <output id="tip">0.00</output></p>
<script>document.getElementById('calc').onclick = () => {
  document.getElementById('tip').textContent = (Number(document.getElementById('bill').value) * 0.15).toFixed(2);
};</script></body></html>"""


@pytest.fixture
def smoke_site(tmp_path):
    with serve_kiln(tmp_path, smoke_on_save=True) as live:
        yield live


def open_checks(page):
    page.locator("#tab-checks").click()
    return page.locator("#acceptance")


def add_check(page, name, steps):
    section = open_checks(page)
    section.get_by_role("button", name="Add a check").click()
    page.fill("#check-name", name)
    page.fill("#check-steps", steps)
    section.get_by_role("button", name="Save and test").click()


def test_the_owner_adds_edits_and_deletes_checks(smoke_site, page):
    artifact_id = import_in_browser(page, smoke_site.app_origin, TOOL, title="Tips")
    section = open_checks(page)
    expect(section.locator("[data-no-checks]")).to_contain_text("No acceptance checks yet")
    page.evaluate("window.sameDocument = true")

    add_check(page, "computes the tip", '{"fill": "#bill", "text": "100"}\n{"click": "#calc"}\n'
                                        '{"expect": "#tip", "text": "15.00"}')
    # Saved, tested at once, and shown in place (still on this tab, with no reload).
    expect(section.locator("[data-checks-summary]")).to_have_text("1/1 checks pass", timeout=30_000)
    expect(page.locator("#panel-checks")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator(".ws-meta [data-checks-badge]")).to_have_text("1/1 checks pass")
    expect(section.locator(".acceptance-check.pass .check-name")).to_have_text("computes the tip")

    # Edit it so that it fails: the failing step, what was found, a screenshot.
    section.get_by_role("button", name="Edit check computes the tip").click()
    expect(page.locator("#check-steps")).to_have_value(re.compile('"text": "15.00"'))
    page.fill("#check-steps", '{"fill": "#bill", "text": "100"}\n{"click": "#calc"}\n'
                              '{"expect": "#tip", "text": "20.00"}')
    section.get_by_role("button", name="Save and test").click()
    expect(section.locator("[data-checks-summary]")).to_have_text("0/1 checks pass", timeout=30_000)
    failure = section.locator(".acceptance-check.fail .check-failure")
    expect(failure).to_contain_text('Step 3 {"expect": "#tip", "text": "20.00"}')
    expect(failure.locator(".actual")).to_have_text('"15.00"')
    shot = section.locator(".acceptance-check.fail img.check-shot")
    expect(shot).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", shot.element_handle()) == 512
    expect(section).to_contain_text("changed 'computes the tip'")
    current = checks_store.current_set(smoke_site.kiln.store, artifact_id)
    assert current.source == "person" and '"20.00"' in current.text

    # Delete it: no checks, and no verdict from checks.
    section.get_by_role("button", name="Delete check computes the tip").click()
    expect(section.locator("[data-no-checks]")).to_be_visible(timeout=30_000)
    expect(page.locator(".ws-meta [data-checks-badge]")).to_have_count(0)


def test_what_cannot_be_read_is_refused_in_the_editor_and_nothing_is_lost(smoke_site, page):
    import_in_browser(page, smoke_site.app_origin, TOOL)
    add_check(page, "taps", '{"click": "#calc"}\nnot json')
    error = page.locator("[data-check-error]")
    expect(error).to_have_text("Line 2 is not a JSON step: not json")
    page.fill("#check-steps", '{"tap": "#calc"}')
    page.get_by_role("button", name="Save and test").click()
    expect(error).to_contain_text("check 1 ('taps'): step 1: unknown step 'tap'")
    expect(page.locator("#check-steps")).to_have_value('{"tap": "#calc"}')  # still there to fix
    expect(page.locator("#check-name")).to_have_value("taps")


def test_record_a_check_by_using_the_tool(smoke_site, page):
    artifact_id = import_in_browser(page, smoke_site.app_origin, TOOL)
    section = open_checks(page)
    section.get_by_role("button", name="Record a check").click()
    recorder = page.locator("[data-recorder]")  # above the preview while recording
    expect(recorder).to_have_attribute("data-state", "recording")
    frame = page.frame_locator("#artifact-frame")
    where = page.locator("#artifact-frame").bounding_box()
    frame.locator("#bill").fill("40")
    frame.locator("#calc").click()
    expect(frame.locator("#tip")).to_have_text("6.00")
    recorder.get_by_role("button", name="Expect: pick what should show").click()
    expect(recorder).to_have_attribute("data-state", "picking")
    frame.locator("#tip").click()
    steps = recorder.locator("[data-recorded] li")
    expect(steps).to_have_text(['{"fill": "#bill", "text": "40"}', '{"click": "#calc"}',
                                '{"expect": "#tip", "text": "6.00"}'])
    expect(recorder).to_have_attribute("data-state", "recording")
    # The recorder above the tool keeps its size as steps come in: the tool did not
    # move under the pointer (a click's press and release would land apart).
    assert page.locator("#artifact-frame").bounding_box() == where
    recorder.get_by_role("button", name="Stop and edit").click()
    expect(page.locator("#check-steps")).to_have_value(
        '{"fill": "#bill", "text": "40"}\n{"click": "#calc"}\n{"expect": "#tip", "text": "6.00"}')
    page.fill("#check-name", "recorded tip")
    section.get_by_role("button", name="Save and test").click()
    expect(section.locator("[data-checks-summary]")).to_have_text("1/1 checks pass", timeout=30_000)
    assert checks_store.current_set(smoke_site.kiln.store, artifact_id).parsed.checks[0].name == "recorded tip"


def test_a_frame_cannot_record_steps_nobody_asked_for(smoke_site, page):
    """Recorded steps come from the frame: made only while the person records,
    kept only in the shape of a step."""
    import_in_browser(page, smoke_site.app_origin, TOOL)
    frame = page.frame_locator("#artifact-frame")
    frame.locator("#calc").click()  # not recording: nothing is made of it
    section = open_checks(page)
    section.get_by_role("button", name="Record a check").click()
    expect(page.locator("[data-recorder]")).to_have_attribute("data-state", "recording")
    frame.locator("#calc").click()
    expect(page.locator("[data-recorded] li")).to_have_text(['{"click": "#calc"}'])
    valid = page.evaluate("""async () => {
      const { recordedStep } = await import('/static/recorder.js');
      return [recordedStep({click: "#a"}), recordedStep({click: "#a", text: "x"}), recordedStep({tap: "#a"}),
              recordedStep({expect: "#a", visible: "yes"}), recordedStep({fill: "#a", text: "x".repeat(5000)}),
              recordedStep({click: "  "}), recordedStep(["click"]), recordedStep({press: "Enter", on: "#a"})];
    }""")
    assert valid == [True, False, False, False, False, False, False, True]
    page.locator("[data-record-cancel]").click()
    expect(page.locator("[data-recorder]")).to_be_hidden()
    expect(section.locator("[data-recorder]")).to_have_count(1)  # back in the Checks tab


def test_someone_else_sees_the_checks_but_cannot_change_them(smoke_site, browser, page):
    artifact_id = import_in_browser(page, smoke_site.app_origin, TOOL)
    add_check(page, "computes the tip", '{"fill": "#bill", "text": "10"}\n{"click": "#calc"}\n'
                                        '{"expect": "#tip", "text": "1.50"}')
    expect(open_checks(page).locator("[data-checks-summary]")).to_have_text("1/1 checks pass", timeout=30_000)
    stranger = browser.new_context().new_page()
    stranger.goto(f"{smoke_site.app_origin}/a/{artifact_id}")
    expect(stranger.locator(".ws-meta [data-checks-badge]")).to_have_text("1/1 checks pass")
    stranger.locator("summary", has_text="How it was tested").click()
    expect(stranger.locator("#acceptance .check-name")).to_have_text("computes the tip")
    expect(stranger.locator("[data-check-edit], [data-record], [data-check-add]")).to_have_count(0)
    stranger.context.close()
