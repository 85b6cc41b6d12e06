"""Who may spend the model, in real Chromium against Kiln started with the
default access: a visitor with a share link, the owner's sign-in link, an
invited member and their budget, a revoked sign-in, tools that move on sign-in
only when the person chooses so."""

import pytest
from playwright.sync_api import expect

from artifacts import accounts
from testkit.answers import TIP_ANSWER, TIP_DOC
from testkit.fake_llm import Script
from testkit.pages import wait_for_written
from testkit.serving import DEFAULT_ACCESS, provider_overrides, serve_kiln


@pytest.fixture
def kiln_server(tmp_path, fake_llm):
    with serve_kiln(tmp_path, access=DEFAULT_ACCESS, **provider_overrides(fake_llm)) as server:
        server.fake = fake_llm
        yield server


def shared_link(server) -> str:
    owner = accounts.ensure_owner(server.kiln.store)
    created = server.kiln.import_html(TIP_DOC, owner.key, "Tip calculator")
    return server.kiln.page_url(created.artifact.id)


def link(server, account_id=None) -> str:
    return server.kiln.people.login_link(account_id)


def open_link_and_sign_in(page, url, name, move_tools=False):
    page.goto(url)
    if move_tools:
        page.get_by_role("radio", name=f"Yes, move them to {name}").check()
    page.get_by_role("button", name=f"Sign in as {name}").click()
    expect(page.locator("p.notice")).to_contain_text(f"Signed in as {name}")
    # The notice shows as soon as the page is parsed; the prompt box answers
    # Enter only once its module has run, which the load event waits for.
    page.wait_for_load_state("load")


def generate_from_home(page, origin, prompt):
    page.goto(origin)
    page.fill("#prompt", prompt)
    page.locator("#prompt").press("Enter")


def test_a_share_link_views_and_remixes_but_cannot_generate(page, kiln_server):
    page.goto(shared_link(kiln_server))
    expect(page.locator("h1")).to_have_text("Tip calculator")
    expect(page.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50")
    # What the home page offers a visitor: no Generate button that would fail.
    page.goto(kiln_server.app_origin)
    expect(page.locator("[data-visitor]")).to_contain_text("This Kiln is private")
    expect(page.locator("#generate-form")).to_have_count(0)
    # Asked anyway, from the page with its CSRF token: a 403 that says how to get in.
    answer = page.evaluate("""async () => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch('/api/generate', {method: 'POST', headers: {
            'Content-Type': 'application/json', 'X-CSRFToken': token},
            body: JSON.stringify({prompt: 'a tip calculator'})});
        return {status: r.status, body: await r.json()};
    }""")
    assert answer["status"] == 403 and "sign-in link" in answer["body"]["error"]
    assert kiln_server.fake.requests == []
    # Remix works, and the copy is theirs to change by hand, not by prompt.
    page.goto(shared_link(kiln_server))
    page.get_by_role("button", name="Remix").click()
    expect(page.locator("p.notice")).to_contain_text("Remixed")
    expect(page.locator("[data-no-generate]")).to_be_visible()
    page.wait_for_load_state("load")  # the tabs answer clicks once their module has run
    page.get_by_role("tab", name="Code").click()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_visible()
    assert kiln_server.fake.requests == []


def test_the_owners_link_lets_the_browser_generate(page, kiln_server):
    kiln_server.fake.script(TIP_ANSWER)
    open_link_and_sign_in(page, link(kiln_server), "Owner")
    expect(page.locator("[data-account]")).to_have_text("Owner")
    generate_from_home(page, kiln_server.app_origin, "a tip calculator")
    wait_for_written(page)
    expect(page.locator("h1[data-title]")).to_have_text("Tip calculator")
    assert len(kiln_server.fake.requests) == 1
    # The link was used up: a second visit says so.
    used = page.goto(page.url.split("/a/")[0] + "/login/" + "x" * 43)
    assert used.status == 404


def test_an_invited_member_generates_within_their_budget(page, kiln_server):
    member = accounts.invite(kiln_server.kiln.store, "Ada", daily_token_budget=1000)
    kiln_server.fake.script(Script(TIP_ANSWER, usage={"input_tokens": 900, "output_tokens": 400}))
    open_link_and_sign_in(page, link(kiln_server, member.id), "Ada")
    generate_from_home(page, kiln_server.app_origin, "a tip calculator")
    wait_for_written(page)
    generate_from_home(page, kiln_server.app_origin, "another one")
    expect(page.locator("[data-form-error]")).to_contain_text("your own daily budget")
    expect(page.locator("#prompt")).to_have_value("another one")  # nothing typed is lost
    assert len(kiln_server.fake.requests) == 1


def test_a_revoked_sign_in_cannot_generate(page, kiln_server):
    open_link_and_sign_in(page, link(kiln_server), "Owner")
    expect(page.locator("#generate-form")).to_be_visible()
    page.fill("#prompt", "a tip calculator")
    accounts.revoke_all(kiln_server.kiln.store, accounts.ensure_owner(kiln_server.kiln.store).id)
    page.locator("#prompt").press("Enter")
    expect(page.locator("[data-form-error]")).to_contain_text("sign-in link")
    assert kiln_server.fake.requests == []
    page.reload()
    expect(page.locator("[data-visitor]")).to_be_visible()


def remix_in(page, server) -> str:
    """This browser remixes the shared tool; the remix's path."""
    page.goto(shared_link(server))
    page.get_by_role("button", name="Remix").click()
    expect(page.locator("p.notice")).to_contain_text("Remixed")
    return page.url.split(server.app_origin)[1]


def test_tools_made_before_signing_in_move_to_the_account_when_chosen(page, kiln_server):
    remix_path = remix_in(page, kiln_server)
    page.goto(link(kiln_server))
    choice = page.get_by_role("group", name="Move 1 tool made in this browser to Owner’s account?")
    expect(choice.get_by_role("radio", name="No, keep them with this browser")).to_be_checked()
    open_link_and_sign_in(page, link(kiln_server), "Owner", move_tools=True)
    expect(page.locator("p.notice")).to_contain_text("1 tool made in this browser moved")
    expect(page.locator(f'#gallery a[href="{remix_path}"]')).to_be_visible()
    # Signed in on another device (a fresh context), the remix is there too, and theirs.
    other = page.context.browser.new_context()
    try:
        elsewhere = other.new_page()
        open_link_and_sign_in(elsewhere, link(kiln_server), "Owner")
        elsewhere.goto(kiln_server.app_origin + remix_path)
        expect(elsewhere.locator("[data-composer]")).to_be_visible()  # the workspace, not the share page
    finally:
        other.close()


def test_pressing_sign_in_on_someone_elses_link_moves_nothing(page, kiln_server):
    """A member sends a visitor their own sign-in link; the visitor presses the
    button and nothing else: their remix stays with their browser."""
    remix_path = remix_in(page, kiln_server)
    mallory = accounts.invite(kiln_server.kiln.store, "Mallory")
    open_link_and_sign_in(page, link(kiln_server, mallory.id), "Mallory")
    expect(page.locator("p.notice")).to_contain_text("stays with it")
    expect(page.locator(f'#gallery a[href="{remix_path}"]')).to_have_count(0)
    assert not kiln_server.kiln.store.is_owner(remix_path.rsplit("/", 1)[1], mallory.key)
    page.goto(kiln_server.app_origin + "/account")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("p.notice")).to_contain_text("Signed out")
    page.goto(kiln_server.app_origin + remix_path)
    expect(page.locator("[data-no-generate]")).to_be_visible()  # the browser's own remix again


def test_the_choice_is_a_plain_form_that_works_without_script(browser, kiln_server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        remix_path = remix_in(page, kiln_server)
        open_link_and_sign_in(page, link(kiln_server), "Owner", move_tools=True)
        expect(page.locator("p.notice")).to_contain_text("1 tool made in this browser moved")
        owner = accounts.ensure_owner(kiln_server.kiln.store)
        assert kiln_server.kiln.store.is_owner(remix_path.rsplit("/", 1)[1], owner.key)
    finally:
        context.close()
