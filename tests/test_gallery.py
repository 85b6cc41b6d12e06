"""The home page's gallery of examples ("Start from an example"): in real
Chromium against Kiln over real HTTP, with the background smoke tester on and
the fake model provider through the real SDK. The gallery shows every example
at a desktop's and a phone's width; using one makes the person's own tool with
the example's document, checks and files, tested at once, ready for a
follow-up. And what is refused (an unknown example, no CSRF token, a visitor
past the remixes' quota, an example over the installation's limits) says why
and makes nothing. That each example passes its checks is proven where its
reference is judged (tests/test_eval_suite_reference.py)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app import create_app
from artifacts import accounts, checks_store
from artifacts.tables import Artifact, DataFile, VisitorWrite
from evals import examples
from testkit.clients import Client
from testkit.fake_llm import Script
from testkit.serving import DEFAULT_ACCESS, make_settings, provider_overrides, serve_kiln
from testkit.signing import sign_in

HOST = "127.0.0.1:5000"


@pytest.fixture
def site(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True}) as live:
        live.fake = fake_llm
        yield live


def count_tools(kiln) -> int:
    with kiln.store.reading() as session:
        return session.scalar(select(func.count()).select_from(Artifact))


def count_files(kiln) -> int:
    with kiln.store.reading() as session:
        return session.scalar(select(func.count()).select_from(DataFile))


def cards(page):
    return page.locator("#examples li.starter")


@pytest.mark.browser
def test_the_gallery_shows_every_example_and_one_becomes_my_tool_that_takes_a_follow_up(
        site, page):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(site.app_origin)
    # Someone with no tools yet sees it open, below the prompt box, which stays in view.
    expect(page.locator("#examples")).to_have_attribute("open", "")
    gallery = examples.gallery()
    expect(cards(page)).to_have_count(len(gallery))
    assert len(gallery) >= 24
    prompt = page.locator("#prompt").bounding_box()
    assert prompt is not None and prompt["y"] + prompt["height"] <= 900
    # Each card: its title, its line and how many checks it passes.
    for example in (gallery[0], examples.find("json-explorer")):
        assert example is not None
        card = page.locator(f'li.starter[data-example-id="{example.id}"]')
        expect(card.get_by_role("heading", level=4)).to_have_text(example.title)
        expect(card).to_contain_text(example.line)
        checks = len(example.checks.checks)
        expect(card.locator("[data-checks-count]")).to_have_text(
            f"{checks} check{'s' if checks != 1 else ''}")
    expect(page.get_by_role("heading", name="Data tools", level=3)).to_be_visible()

    # By keyboard: the button is named for its example, and Enter uses it.
    example = gallery[0]
    button = page.get_by_role("button", name=f"Use this example: {example.title}")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/a/[\w-]+$"))
    artifact_id = page.url.rsplit("/a/", 1)[1]
    expect(page.locator(".notice")).to_contain_text(f"Started from the example “{example.title}”")
    # Tested at once against the example's checks, all passing.
    total = len(example.checks.checks)
    expect(page.locator(".ws-meta [data-checks-badge]")).to_have_text(
        f"{total}/{total} checks pass", timeout=30_000)
    frame = page.frame_locator("#artifact-frame")
    frame.locator("#bill").fill("100")
    expect(frame.locator("#tip")).to_have_text("15.00")
    store = site.kiln.store
    assert store.get_artifact(artifact_id).title == example.title
    assert checks_store.current_set(store, artifact_id).parsed.as_data() == \
        example.checks.as_data()
    assert store.get_version(artifact_id, 1).html == example.html

    # A follow-up works on the copy: the model is sent the example's document.
    site.fake.script(Script("Tips are 20% now.\n<<<<<<< SEARCH\n"
                            '<option value="20">20%</option>\n=======\n'
                            '<option value="20">twenty</option>\n>>>>>>> REPLACE\n'))
    assert '<option value="20">20%</option>' in example.html
    page.fill("#prompt", "Call the 20% option twenty")
    page.keyboard.press("Enter")
    expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2", timeout=30_000)
    assert 'id="bill"' in str(site.fake.requests[0].body["messages"])
    v2 = store.get_version(artifact_id, 2)
    assert ">twenty</option>" in v2.html and v2.parent_number == 1
    expect(page.locator(".ws-meta [data-checks-badge]")).to_have_text(
        f"{total}/{total} checks pass", timeout=30_000)

    # Now that I have a tool, the gallery is folded under its summary, still there.
    page.goto(site.app_origin)
    expect(page.locator("#examples")).not_to_have_attribute("open", "")
    expect(page.locator("#examples summary")).to_contain_text(f"{len(gallery)} tested tools")


@pytest.mark.browser
def test_a_data_example_comes_with_its_sample_files_and_passes_on_a_phone(site, page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site.app_origin)
    prompt = page.locator("#prompt").bounding_box()
    assert prompt is not None and prompt["y"] + prompt["height"] <= 844
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    example = examples.find("json-explorer")
    assert example is not None and example.files
    card = page.locator(f'li.starter[data-example-id="{example.id}"]')
    expect(card).to_contain_text("sample data: library.json")
    card.get_by_role("button", name=re.compile("^Use this example")).click()
    page.wait_for_url(re.compile(r"/a/[\w-]+$"))
    artifact_id = page.url.rsplit("/a/", 1)[1]
    total = len(example.checks.checks)
    expect(page.locator(".ws-meta [data-checks-badge]")).to_have_text(
        f"{total}/{total} checks pass", timeout=30_000)
    version = site.kiln.store.get_version(artifact_id, 1)
    assert [f.name for f in version.files] == ["library.json"]
    assert version.files[0].size == example.files[0][1].stat().st_size


# -- refusals: clear, and nothing made ----------------------------------------------------------

@pytest.fixture
def visitors_app(tmp_path, request):
    app = create_app(make_settings(tmp_path, access=DEFAULT_ACCESS, **request.param))
    app.config["TESTING"] = True
    yield app
    app.extensions["kiln"].close()


def settings_of(**values):
    return pytest.mark.parametrize("visitors_app", [values], indirect=True, ids=[""])


class At(Client):
    """A browser with its own cookies, at one address."""

    def __init__(self, app, address: str):
        super().__init__(app, HOST)
        self.address = address

    def get(self, path, **kw):
        return super().get(path, environ_base={"REMOTE_ADDR": self.address}, **kw)

    def write(self, method, path, **kw):
        return super().write(method, path, environ_base={"REMOTE_ADDR": self.address}, **kw)


def use(who: At, example_id: str, csrf: bool = True):
    data = {"csrf_token": who.token()} if csrf else {}
    if csrf:
        return who.post(f"/examples/{example_id}", data=data)
    return who.http.post(f"/examples/{example_id}", data=data, headers={"Host": HOST},
                         environ_base={"REMOTE_ADDR": who.address})


@settings_of()
def test_an_unknown_example_is_a_404_and_no_token_is_a_400_and_neither_makes_anything(
        visitors_app):
    kiln = visitors_app.extensions["kiln"]
    visitor = At(visitors_app, "198.51.100.7")
    for name in ("no-such-example", "Tip-Calculator", "tip-calculator.1", "x" * 300,
                 "%3Cscript%3E"):
        unknown = use(visitor, name)
        assert unknown.status_code == 404, name
        assert b"There is no example by that name" in unknown.data
        assert b"<script>" not in unknown.data
    assert use(visitor, "..%2F..%2Fapp.py").status_code == 404  # not a name at all
    missing = use(visitor, "tip-calculator", csrf=False)
    assert missing.status_code == 400
    forged = visitor.http.post("/examples/tip-calculator", data={"csrf_token": "forged"},
                               headers={"Host": HOST})
    assert forged.status_code == 400
    assert visitor.get("/examples/tip-calculator").status_code == 405  # only a form's POST
    assert count_tools(kiln) == 0


@settings_of(visitor_daily_remixes=2)
def test_a_visitors_example_is_a_remix_under_the_visitors_quota(visitors_app):
    kiln = visitors_app.extensions["kiln"]
    visitor = At(visitors_app, "198.51.100.7")
    # The private home page shows the gallery to visitors too.
    home = visitor.get("/").get_data(as_text=True)
    assert home.count('class="starter"') == len(examples.gallery())
    made = use(visitor, "json-explorer")
    assert made.status_code == 303 and made.headers["Location"].startswith("/a/")
    mine = made.headers["Location"].removeprefix("/a/")
    # A remix: the second of two today; then a remix of a shared tool is refused.
    owner_tool = kiln.import_html("<!doctype html><title>t</title><p>t",
                                  accounts.ensure_owner(kiln.store).key).artifact.id
    assert visitor.post(f"/api/artifacts/{owner_tool}/remix", json={}).status_code == 201
    tools, files = count_tools(kiln), count_files(kiln)
    over = use(visitor, "csv-dashboard")
    assert over.status_code == 429
    assert b"KILN_VISITOR_DAILY_REMIXES" in over.data and b"You have made 2 remixes" in over.data
    assert count_tools(kiln) == tools and count_files(kiln) == files  # nothing half made
    # The copy is the visitor's own, with its checks and its file.
    assert kiln.store.is_owner(mine, None) is False
    assert checks_store.current_set(kiln.store, mine).parsed.as_data() == \
        examples.find("json-explorer").checks.as_data()
    assert [f.name for f in kiln.store.get_version(mine, 1).files] == ["library.json"]
    # A member is not counted.
    member = At(visitors_app, "198.51.100.7")
    sign_in(member, kiln)
    assert [use(member, "bmi").status_code for _ in range(3)] == [303] * 3


@settings_of(files_max_file_bytes=1024)
def test_an_example_over_the_installations_limits_is_refused_whole(visitors_app):
    kiln = visitors_app.extensions["kiln"]
    visitor = At(visitors_app, "198.51.100.7")
    refused = use(visitor, "sqlite-query")  # shop.sqlite is more than 1 KB
    assert refused.status_code == 413 and b"shop.sqlite is larger than" in refused.data
    assert count_tools(kiln) == 0 and count_files(kiln) == 0
    # The refusal gave the quota back: the visitor's remixes are all still there.
    with kiln.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(VisitorWrite)) == 0
    assert use(visitor, "bmi").status_code == 303  # one without files fits



@settings_of(visitor_daily_remixes=1)
def test_the_json_api_lists_the_examples_and_uses_one_as_the_form_does(visitors_app):
    kiln = visitors_app.extensions["kiln"]
    visitor = At(visitors_app, "198.51.100.7")
    listed = visitor.get("/api/examples").json["examples"]
    assert [e["id"] for e in listed] == [e.id for e in examples.gallery()]
    explorer = next(e for e in listed if e["id"] == "json-explorer")
    assert explorer == {"id": "json-explorer", "title": "JSON explorer",
                        "line": examples.find("json-explorer").line, "kind": "Data tools",
                        "checks": 4, "files": ["library.json"]}
    unknown = visitor.post("/api/examples/no-such-example", json={})
    assert unknown.status_code == 404 and "GET /api/examples" in unknown.json["error"]
    no_token = visitor.http.post("/api/examples/bmi", json={}, headers={"Host": HOST},
                                 environ_base={"REMOTE_ADDR": visitor.address})
    assert no_token.status_code == 400
    assert count_tools(kiln) == 0
    made = visitor.post("/api/examples/bmi", json={})
    assert made.status_code == 201, made.json
    assert made.json["url"].endswith(f"/a/{made.json['id']}") and made.json["version"] == 1
    assert checks_store.current_set(kiln.store, made.json["id"]).parsed.as_data() == \
        examples.find("bmi").checks.as_data()
    over = visitor.post("/api/examples/bmi", json={})
    assert over.status_code == 429 and over.json["setting"] == "KILN_VISITOR_DAILY_REMIXES"
    assert over.json["code"] == "quota" and int(over.headers["Retry-After"]) > 0
    assert count_tools(kiln) == 1
