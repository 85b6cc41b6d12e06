"""Two Kiln installations on one host, on two ports, in one browser: cookies
ignore ports, so under fixed names each installation's sign-in and owner
cookie overwrote the other's. Each keeps its own now (real Chromium, one
browser context, two real servers with secrets of their own)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from artifacts import accounts
from testkit.answers import TIP_DOC
from testkit.serving import DEFAULT_ACCESS, make_settings, serve_kiln
from web.ownership import installation_cookie

REMIX_URL = re.compile(r"/a/[\w-]+$")


def shared_tool(server) -> str:
    owner = accounts.ensure_owner(server.kiln.store)
    created = server.kiln.import_html(TIP_DOC, owner.key, "Tip calculator")
    return server.kiln.page_url(created.artifact.id)


def remix_as_a_visitor(page, server) -> str:
    """Open someone's tool and remix it: the remix belongs to this browser's owner cookie."""
    shared = shared_tool(server)
    page.goto(shared)
    page.get_by_role("button", name="Remix").first.click()
    page.wait_for_url(lambda url: REMIX_URL.search(url) is not None and url != shared)
    expect(page.locator("[data-workspace]")).to_have_count(1)
    return page.url


def sign_in(page, server) -> None:
    page.goto(server.kiln.people.login_link())
    page.get_by_role("button", name="Sign in as Owner").click()
    expect(page.locator("p.notice")).to_contain_text("Signed in as Owner")


def test_two_installations_on_one_host_keep_their_own_sign_in_and_owner_cookie(tmp_path, context):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (serve_kiln(tmp_path / "a", access=DEFAULT_ACCESS, secret_key="secret-of-a") as a,
          serve_kiln(tmp_path / "b", access=DEFAULT_ACCESS, secret_key="secret-of-b") as b):
        page = context.new_page()
        # A visitor's remix on each: each installation mints its own owner cookie.
        remixes = [remix_as_a_visitor(page, server) for server in (a, b)]
        for remix in remixes:
            page.goto(remix)
            expect(page.locator("[data-workspace]")).to_have_count(1)  # still the remix's owner
            expect(page.get_by_text("You are viewing someone else's tool")).to_have_count(0)

        # Signed in on both: neither sign-in ends the other.
        sign_in(page, a)
        sign_in(page, b)
        for server in (a, b):
            page.goto(server.app_origin + "/account")
            expect(page.locator("[data-account]")).to_have_text("Owner")

        names = {cookie["name"] for cookie in context.cookies()}
        for server in (a, b):
            port = server.app_origin.rsplit(":", 1)[1]
            assert {f"kiln_owner_{port}", f"kiln_session_{port}"} <= names, names
        assert not {"kiln_owner", "kiln_session"} & names


def test_cookie_names_per_origin(tmp_path):
    def named(origin: str) -> tuple[str, str]:
        settings = make_settings(tmp_path, app_origin=origin, sandbox_origin="https://sandbox.example")
        return (installation_cookie("kiln_owner", settings),
                installation_cookie("kiln_session", settings))

    assert named("http://127.0.0.1:5000") == ("kiln_owner_5000", "kiln_session_5000")
    assert named("http://127.0.0.1:5001") == ("kiln_owner_5001", "kiln_session_5001")
    assert named("http://kiln.lan") == ("kiln_owner_80", "kiln_session_80")
    # https: the __Host- names of before on its own port, so no one is signed out there.
    assert named("https://kiln.example") == ("__Host-kiln_owner", "__Host-kiln_session")
    assert named("https://kiln.example:443") == ("__Host-kiln_owner", "__Host-kiln_session")
    assert named("https://kiln.example:8443") == ("__Host-kiln_owner_8443",
                                                  "__Host-kiln_session_8443")


def test_an_owner_cookie_under_its_old_name_is_taken_over_if_it_is_this_installations(
        client, other_client, kiln, app):
    """An upgrade does not cost a browser its tools: the owner cookie under the
    name of before ("kiln_owner") is read once, if this installation signed it,
    and moved to the new name. One signed by another installation is not."""
    from itsdangerous import URLSafeSerializer

    from web.ownership import SALT
    mine = kiln.import_html(TIP_DOC, "my-old-token", "Mine").artifact.id
    client.http.set_cookie("kiln_owner", URLSafeSerializer(app.secret_key, salt=SALT)
                           .dumps("my-old-token"), domain="127.0.0.1")
    page = client.get(f"/a/{mine}")
    assert "data-workspace" in page.get_data(as_text=True)  # still its owner
    cookies = page.headers.getlist("Set-Cookie")
    assert any(c.startswith("kiln_owner_5000=") for c in cookies), cookies
    assert any(c.startswith("kiln_owner=;") for c in cookies), cookies  # the old one is dropped
    assert client.http.get_cookie("kiln_owner", domain="127.0.0.1") is None
    assert "data-workspace" in client.get(f"/a/{mine}").get_data(as_text=True)

    other_client.http.set_cookie("kiln_owner", URLSafeSerializer("another-kiln", salt=SALT)
                                 .dumps("my-old-token"), domain="127.0.0.1")
    assert "data-workspace" not in other_client.get(f"/a/{mine}").get_data(as_text=True)
