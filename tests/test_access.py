"""Who may spend the model: KILN_ACCESS, sign-in links, sign-ins, member budgets.

Against the default access (``owner``), through Flask's test client: the rules,
their refusals and the hostile inputs. tests/test_access_browser.py walks the
same paths in Chromium."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from artifacts import accounts, owner_hash
from artifacts.tables import LoginLink, utcnow
from testkit.answers import TIP_ANSWER, TIP_DOC
from testkit.clients import Client
from testkit.fake_llm import Script
from testkit.serving import DEFAULT_ACCESS, make_settings, provider_overrides
from testkit.signing import login_path, session_cookie_name, sign_in


@pytest.fixture
def settings(tmp_path, fake_llm):
    return make_settings(tmp_path, access=DEFAULT_ACCESS, **provider_overrides(fake_llm))


def test_the_default_is_owner_access():
    assert DEFAULT_ACCESS == "owner"


def shared_tool(kiln) -> str:
    """A tool of the owner's, as the owner would share it."""
    owner = accounts.ensure_owner(kiln.store)
    return kiln.import_html(TIP_DOC, owner.key).artifact.id


def test_a_visitor_cannot_spend_the_model(client, kiln, fake_llm):
    tool = shared_tool(kiln)
    attempts = [
        client.post("/api/generate", json={"prompt": "a tip calculator"}),
        client.post("/api/generate", data={"prompt": "like this"}),
        client.post(f"/api/artifacts/{tool}/prompt", json={"prompt": "make it 20%"}),
        client.post(f"/api/artifacts/{tool}/fix", json={}),
        client.post("/api/artifacts", json={"html": TIP_DOC}),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert "sign-in link" in response.json["error"] and "remix" in response.json["error"]
    page_import = client.post("/import", data={"html": TIP_DOC, "csrf_token": client.token()})
    assert page_import.status_code == 403 and b"sign-in link" in page_import.data
    assert fake_llm.requests == []
    assert kiln.store.list_artifacts(accounts.ensure_owner(kiln.store).key) != []  # only the shared one
    assert len(kiln.store.list_versions(tool)) == 1


def test_a_visitor_sees_what_they_can_do(client, kiln):
    home = client.get("/").get_data(as_text=True)
    assert "This Kiln is private" in home and "remix" in home
    # The owner, come without a link, is told how to make one (as it works when typed).
    assert "The owner? Run <code>" in home and "-m flask --app app login-link</code>" in home
    assert 'id="generate-form"' not in home and 'action="/import"' not in home
    share = client.get(f"/a/{shared_tool(kiln)}").get_data(as_text=True)
    assert "Remix" in share and "data-fix" not in share


def test_a_visitor_may_remix_and_change_the_remix_by_hand(client, kiln):
    tool = shared_tool(kiln)
    remixed = client.post(f"/api/artifacts/{tool}/remix", json={})
    assert remixed.status_code == 201
    mine = remixed.json["id"]
    edited = client.post(f"/api/artifacts/{mine}/versions",
                         json={"html": TIP_DOC.replace("0.15", "0.18")})
    assert edited.status_code == 201 and edited.json["version"] == 2
    workspace = client.get(f"/a/{mine}").get_data(as_text=True)
    assert "data-no-generate" in workspace and "data-composer" not in workspace
    assert client.post(f"/api/artifacts/{mine}/prompt", json={"prompt": "x"}).status_code == 403


def test_the_owners_link_lets_this_browser_generate(client, kiln, fake_llm):
    fake_llm.script(TIP_ANSWER)
    path = login_path(kiln)
    confirm = client.get(path)
    assert confirm.status_code == 200 and b"Sign in as Owner" in confirm.data
    assert client.post("/api/generate", json={"prompt": "tips"}).status_code == 403  # not yet
    signed = client.post(path, data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', confirm.get_data(as_text=True)).group(1)})
    assert signed.status_code == 303
    client.forget_csrf()  # signing in starts a new session, with a new CSRF token
    started = client.post("/api/generate", json={"prompt": "tips"})
    assert started.status_code == 202, started.json
    job = kiln.jobs.wait(started.json["job_id"], timeout=30)
    assert job.status == "done", job.error
    owner = accounts.ensure_owner(kiln.store)
    assert kiln.store.is_owner(job.result["artifact_id"], owner.key)
    assert len(fake_llm.requests) == 1
    assert b"Owner" in client.get("/").data  # the header names who is signed in


def test_a_link_works_once(client, other_client, kiln):
    path = login_path(kiln)
    sign_in_with = lambda c: c.post(path, data={"csrf_token": c.token()})  # noqa: E731
    assert sign_in_with(client).status_code == 303
    second = sign_in_with(other_client)
    assert second.status_code == 404 and b"already used" in second.data
    assert other_client.get(path).status_code == 404


@pytest.mark.parametrize("token", ["nope", "a" * 43, "..%2F..%2Fetc", "' OR 1=1 --", "é" * 40])
def test_unknown_links_sign_nobody_in(client, kiln, token):
    assert client.get(f"/login/{token}").status_code == 404
    assert client.post(f"/login/{token}", data={"csrf_token": client.token()}).status_code == 404
    assert client.post("/api/generate", json={"prompt": "x"}).status_code == 403


def test_an_expired_link_signs_nobody_in(client, kiln):
    path = login_path(kiln)
    with kiln.store.writing() as session:
        session.execute(update(LoginLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.post(path, data={"csrf_token": client.token()}).status_code == 404


def test_a_sign_in_needs_the_csrf_token(client, kiln):
    response = client.http.post(login_path(kiln), headers={"Host": client.host})
    assert response.status_code == 400
    assert accounts.sign_ins(kiln.store) == []


def test_a_forged_session_cookie_is_nobody(client, kiln, app):
    client.http.set_cookie(session_cookie_name(app), "eyJraWxuX3NpZ25faW4iOiJ4In0.forged.sig",
                           domain="127.0.0.1")
    assert client.post("/api/generate", json={"prompt": "x"}).status_code in (400, 403)


def a_browser_with_things(client, kiln) -> tuple[str, str]:
    """This browser, before signing in: a remix of its own, and data it saved in
    the shared tool (the storage shim's). Returns (the shared tool, the remix)."""
    tool = shared_tool(kiln)
    remix = client.post(f"/api/artifacts/{tool}/remix", json={}).json["id"]
    client.post(f"/api/artifacts/{remix}/versions", json={"html": TIP_DOC})
    saved = client.http.put(f"/api/artifacts/{tool}/storage", json={"data": {"typed": "a secret"}},
                            headers={"Host": client.host, "X-CSRFToken": client.token()})
    assert saved.status_code == 200
    return tool, remix


def held_by(kiln, account_id: str, tool: str, remix: str) -> tuple[bool, dict]:
    """Does the account own the remix, and what of this browser's saved data has it?"""
    key = accounts.account_key(account_id)
    return kiln.store.is_owner(remix, key), kiln.store.load_storage(tool, owner_hash(key))


def test_tools_made_before_signing_in_move_to_the_account_when_chosen(client, other_client, kiln):
    tool, remix = a_browser_with_things(client, kiln)
    sign_in(client, kiln, move_tools=True)
    owner = accounts.ensure_owner(kiln.store)
    assert held_by(kiln, owner.id, tool, remix) == (True, {"typed": "a secret"})
    # The same account on another device owns it too; the browser's old token no longer does.
    sign_in(other_client, kiln)
    assert other_client.get(f"/api/artifacts/{remix}").json["owned"] is True
    assert f"/a/{remix}" in other_client.get("/").get_data(as_text=True)


def test_the_sign_in_page_asks_before_moving_and_the_answer_defaults_to_no(client, kiln):
    a_browser_with_things(client, kiln)
    mallory = accounts.invite(kiln.store, "Mallory")
    page = " ".join(client.get(login_path(kiln, mallory.id)).get_data(as_text=True).split())
    assert ("Move 1 tool made in this browser, and what it saved in 1 tool, to Mallory’s account?"
            in page)
    assert '<input type="radio" name="move_tools" value="no" checked>' in page
    assert '<input type="radio" name="move_tools" value="yes">' in page
    # A browser with nothing to move is asked nothing.
    fresh = Client(client.http.application, client.host)
    assert "move_tools" not in fresh.get(login_path(kiln, mallory.id)).get_data(as_text=True)


@pytest.mark.parametrize("choice", [None, "no", "", "YES", "yes ", "1", "true", "on", "move"])
def test_signing_in_with_someone_elses_link_moves_nothing_by_default(client, kiln, choice):
    """A victim presses "Sign in" on a link a member sent them: without the explicit
    yes, their tools and saved data stay with their browser, not the member's account."""
    tool, remix = a_browser_with_things(client, kiln)
    mallory = accounts.invite(kiln.store, "Mallory")
    path = login_path(kiln, mallory.id)
    form = {"csrf_token": client.token()} | ({} if choice is None else {"move_tools": choice})
    signed = client.post(path, data=form)
    assert signed.status_code == 303
    client.forget_csrf()
    assert held_by(kiln, mallory.id, tool, remix) == (False, {})
    assert client.get(f"/api/artifacts/{remix}").json["owned"] is False  # Mallory's session
    notice = client.get("/").get_data(as_text=True)
    assert "Signed in as Mallory" in notice and "stays with it" in notice
    # Signed out, the browser has them all again.
    assert client.post("/logout", data={"csrf_token": client.token()}).status_code == 303
    client.forget_csrf()
    assert client.get(f"/api/artifacts/{remix}").json["owned"] is True
    assert held_by(kiln, mallory.id, tool, remix) == (False, {})


def test_an_invited_member_generates_within_their_budget(client, kiln, fake_llm):
    member = accounts.invite(kiln.store, "Ada", daily_token_budget=1000)
    sign_in(client, kiln, member.id)
    fake_llm.script(Script(TIP_ANSWER, usage={"input_tokens": 900, "output_tokens": 400}))
    first = client.post("/api/generate", json={"prompt": "tips"})
    assert first.status_code == 202
    assert kiln.jobs.wait(first.json["job_id"], timeout=30).status == "done"
    refused = client.post("/api/generate", json={"prompt": "more tips"})
    assert refused.status_code == 429 and "your own daily budget" in refused.json["error"]
    assert len(fake_llm.requests) == 1
    # Another member's budget is their own.
    other = accounts.invite(kiln.store, "Grace")
    assert kiln.budgets.of(other.id).refusal() is None
    assert kiln.budgets.of(member.id).left <= 0


def test_a_revoked_sign_in_cannot_generate(client, other_client, kiln, app):
    sign_in(client, kiln)
    sign_in(other_client, kiln)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["sessions"])
    assert listed.exit_code == 0 and listed.output.count("Owner (owner)") == 2
    first_id = listed.output.split()[0]
    assert runner.invoke(args=["sessions", "--revoke", first_id]).exit_code == 0
    assert runner.invoke(args=["sessions", "--revoke", first_id]).exit_code != 0  # already gone
    codes = sorted(c.post("/api/generate", json={"prompt": ""}).status_code
                   for c in (client, other_client))
    assert codes == [400, 403]  # one still signed in (an empty prompt), one not


def test_sign_out_everywhere(client, other_client, kiln):
    sign_in(client, kiln)
    sign_in(other_client, kiln)
    ended = client.post("/logout/everywhere", data={"csrf_token": client.token()})
    assert ended.status_code == 303
    client.forget_csrf()
    for c in (client, other_client):
        assert c.post("/api/generate", json={"prompt": "x"}).status_code == 403
    assert accounts.sign_ins(kiln.store) == []


def test_sign_out_of_one_browser(client, other_client, kiln):
    sign_in(client, kiln)
    sign_in(other_client, kiln)
    assert client.post("/logout", data={"csrf_token": client.token()}).status_code == 303
    client.forget_csrf()
    assert client.post("/api/generate", json={"prompt": ""}).status_code == 403
    assert other_client.post("/api/generate", json={"prompt": ""}).status_code == 400


def test_the_account_page(client, kiln):
    assert client.get("/account").status_code == 404
    sign_in(client, kiln, accounts.invite(kiln.store, "Ada", daily_token_budget=5000).id)
    page = client.get("/account").get_data(as_text=True)
    assert "Ada" in page and "5,000" in page and "Sign out everywhere" in page


def test_cli_links_and_invites(app, kiln):
    runner = app.test_cli_runner()
    link = runner.invoke(args=["login-link"])
    assert link.exit_code == 0 and re.fullmatch(r"http://127\.0\.0\.1:5000/login/[\w-]{40,}\n",
                                                link.output)
    invited = runner.invoke(args=["invite", "--name", "Ada Lovelace", "--budget", "1234"])
    assert invited.exit_code == 0 and "/login/" in invited.output
    ada = accounts.find_account(kiln.store, "Ada Lovelace")
    assert ada.role == "member" and ada.daily_token_budget == 1234
    token = invited.output.strip().rsplit("/", 1)[1]
    assert accounts.peek_link(kiln.store, token).id == ada.id
    again = runner.invoke(args=["login-link", "--for", "Ada Lovelace"])
    assert again.exit_code == 0 and again.output != invited.output
    unknown = runner.invoke(args=["login-link", "--for", "nobody"])
    assert unknown.exit_code != 0 and "No account" in unknown.output
    assert runner.invoke(args=["invite", "--budget", "-5"]).exit_code != 0


def test_the_start_banner_prints_the_owners_link(kiln):
    from app import start_banner
    banner = start_banner(kiln)
    token = re.search(r"/login/([\w-]+)", banner).group(1)
    assert accounts.peek_link(kiln.store, token).role == "owner"
    assert "tokens a day" in banner and "KILN_DAILY_TOKEN_BUDGET" in banner  # the budget is said


def test_the_sign_in_command_works_as_printed(kiln, tmp_path):
    """The banner's and the private home page's command for another link runs as
    printed, in a shell without the virtualenv on its path, from where Kiln runs."""
    import shlex
    import subprocess
    from pathlib import Path

    from app import start_banner
    printed = re.search(r"Another link: (.+?);", start_banner(kiln)).group(1)
    assert not printed.startswith("flask ")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "KILN_DATABASE_URL": kiln.settings.resolved_database_url()}
    ran = subprocess.run(shlex.split(printed), cwd=Path(__file__).parents[1], env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    token = ran.stdout.strip().rsplit("/login/", 1)[1]
    assert accounts.peek_link(kiln.store, token).role == "owner"


def test_open_access_lets_anyone_generate(tmp_path, fake_llm):
    from app import create_app
    from testkit.clients import Client
    fake_llm.script(TIP_ANSWER)
    app = create_app(make_settings(tmp_path, access="open", **provider_overrides(fake_llm)))
    try:
        anyone = Client(app, "127.0.0.1:5000")
        started = anyone.post("/api/generate", json={"prompt": "tips"})
        assert started.status_code == 202
        assert "This Kiln is private" not in anyone.get("/").get_data(as_text=True)
    finally:
        app.extensions["kiln"].close()


def test_only_stored_hashes(kiln):
    """A copy of the database signs nobody in: links and sign-ins are kept as hashes."""
    from sqlalchemy import text
    owner = accounts.ensure_owner(kiln.store)
    token = accounts.new_login_link(kiln.store, owner.id, 1)
    _, secret = accounts.redeem_link(kiln.store, token, "test", 1)
    with kiln.store.engine.connect() as connection:
        dump = " ".join(str(row) for table in ("login_links", "sign_ins")
                        for row in connection.execute(text(f"SELECT * FROM {table}")))
    assert token not in dump and secret not in dump


def test_a_tool_is_a_members_when_an_account_owns_it(tmp_path):
    """member_tool: the owner's and a member's tools are; a visitor's remix is not,
    nor a tool made by a browser before it signed in; with open access, all are."""
    from app import create_app

    app = create_app(make_settings(tmp_path, access=DEFAULT_ACCESS))
    kiln = app.extensions["kiln"]
    try:
        owner = accounts.ensure_owner(kiln.store)
        member = accounts.invite(kiln.store, "Ann")
        owned = kiln.import_html(TIP_DOC, owner.key).artifact.id
        members = kiln.import_html(TIP_DOC, member.key).artifact.id
        remix = kiln.remix(owned, None, "a-visitors-browser-token").artifact.id
        assert kiln.people.member_tool(owned) and kiln.people.member_tool(members)
        assert not kiln.people.member_tool(remix)
        assert accounts.owning_account(kiln.store, members).name == "Ann"
        kiln.settings.access = "open"
        assert kiln.people.member_tool(remix)
        with pytest.raises(LookupError):
            kiln.people.member_tool("no-such-tool")
    finally:
        kiln.close()


def test_the_share_links_api_gives_what_the_share_page_gives(app, client, other_client, kiln,
                                                             fake_llm):
    """Finding: with a share link, GET /api/artifacts/ID and /versions/N handed out
    every version's prompt, model, tokens and cost, though the share page and a
    remix keep prompts private. Anyone but the owner now gets the share page's
    view; the owner's is unchanged."""
    from testkit.clients import Client
    shared_tool_fields = {"id", "title", "url", "owned", "writing", "latest_version",
                          "version_count", "forked_from_id", "forked_from_version", "smoke_ok",
                          "has_thumbnail", "versions"}
    listed_version_fields = {"artifact_id", "number", "failed", "smoke", "raw_url", "size",
                             "files"}
    version_fields = {"artifact_id", "number", "html", "failed", "smoke", "raw_url", "acceptance",
                      "files", "size"}
    secret = "a tip calculator for the invoices of my client Ada Quux"
    fake_llm.script(TIP_ANSWER, TIP_ANSWER)
    sign_in(client, kiln)
    job = client.post("/api/generate", json={"prompt": secret}).json
    kiln.jobs.wait(job["job_id"], timeout=30)
    tool = job["artifact_id"]
    follow = client.post(f"/api/artifacts/{tool}/prompt", json={"prompt": "and Bob Quux's too"})
    kiln.jobs.wait(follow.json["job_id"], timeout=30)

    mine = client.get(f"/api/artifacts/{tool}").json
    assert mine["owned"] and [v["prompt"] for v in mine["versions"]] == [secret, "and Bob Quux's too"]
    assert mine["versions"][0]["model"] == "claude-sonnet-5-5" and mine["usage"]["input_tokens"] > 0
    assert client.get(f"/api/artifacts/{tool}/versions/2").json["prompt"] == "and Bob Quux's too"

    forged = Client(app, client.host)
    forged.http.set_cookie("kiln_owner", "forged.value", domain="127.0.0.1")
    remixer = Client(app, client.host)
    assert remixer.post(f"/api/artifacts/{tool}/remix", json={"version": 1}).status_code == 201
    for who in (other_client, forged, remixer):
        seen = who.get(f"/api/artifacts/{tool}")
        assert seen.status_code == 200 and seen.json["owned"] is False
        assert set(seen.json) == shared_tool_fields
        assert [set(v) for v in seen.json["versions"]] == [listed_version_fields] * 2
        for number in (1, 2):
            version = who.get(f"/api/artifacts/{tool}/versions/{number}")
            assert set(version.json) == version_fields
            assert version.json["html"] == kiln.store.get_version(tool, number).html
        for answer in (seen, who.get(f"/api/artifacts/{tool}/versions/1"),
                       who.get(f"/api/artifacts/{tool}/versions/2")):
            text = answer.get_data(as_text=True)
            assert "Quux" not in text and "claude-sonnet" not in text
            assert '"usage"' not in text and '"cost_usd"' not in text and '"prompt"' not in text
        assert who.get(f"/api/artifacts/{tool}/versions/9").status_code == 404
    # What the share page shows, the API still gives: the versions and their verdicts.
    share = other_client.get(f"/a/{tool}").get_data(as_text=True)
    assert "Quux" not in share
    assert other_client.get(f"/api/artifacts/{tool}").json["version_count"] == 2
