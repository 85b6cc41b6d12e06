"""The secret scan: what looks like an API key or token in a version's source is
found (kind, line, masked preview), kept beside the version, shown to its owner
alone (the Checks tab, next to "Copy link", the owner's JSON) and told to the
model, masked, when the version is repaired. Placeholders and the noise of real
pages are not findings, and hostile documents cost one bounded pass.

The keys here are made at run time from a seeded generator: none is written in
the repository, where another scanner would rightly complain."""
from __future__ import annotations

import base64
import json
import random
import re
import string
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from artifacts import Source, VersionIn, secret_scan, secret_store
from artifacts.secret_scan import MAX_FINDINGS, scan
from artifacts.tables import SecretScanRow
from artifacts.tool_errors import ToolError
from generator import generate, make_provider
from mirror import libraries
from settings import Settings
from testkit.clients import HttpBrowser
from testkit.fake_llm import anthropic_settings
from testkit.pages import import_in_browser
from testkit.serving import serve_kiln

ROOT = Path(__file__).resolve().parent.parent
ALNUM = string.ascii_letters + string.digits


def _keys(seed: int = 20) -> dict[str, str]:
    rng = random.Random(seed)

    def chars(n: int, alphabet: str = ALNUM) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    return {
        "GitHub token": "ghp_" + chars(36),
        "AWS access key ID": "AKIA" + chars(16, string.ascii_uppercase + string.digits),
        "AWS secret access key": chars(40, ALNUM + "/+"),
        "Stripe secret key": "sk_live_" + chars(24),
        "Slack token": f"xoxb-{chars(12, string.digits)}-{chars(13, string.digits)}-"
                       + chars(24, string.ascii_lowercase + string.digits),
        "Anthropic API key": "sk-ant-api03-" + chars(93, ALNUM + "-_") + "AA",
        "OpenAI API key": "sk-proj-" + chars(20) + "T3BlbkFJ" + chars(20),
        "private key": "\n".join(chars(64, ALNUM + "+/") for _ in range(3)),
    }


KEYS = _keys()
# Each kind and the line it is written on.
LINES = {"GitHub token": 5, "AWS access key ID": 6, "AWS secret access key": 7,
         "Stripe secret key": 8, "Slack token": 9, "Anthropic API key": 10, "OpenAI API key": 11,
         "private key": 12}
LEAKY = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Team dashboard</title></head>
<body><h1>Team dashboard</h1><output id="out">starting</output>
<script>
const GITHUB_TOKEN = "{KEYS['GitHub token']}";
const AWS_ACCESS_KEY_ID = "{KEYS['AWS access key ID']}";
const aws_secret_access_key = "{KEYS['AWS secret access key']}";
const STRIPE_KEY = "{KEYS['Stripe secret key']}";
const SLACK_TOKEN = "{KEYS['Slack token']}";
const ANTHROPIC_KEY = "{KEYS['Anthropic API key']}";
const OPENAI_KEY = "{KEYS['OpenAI API key']}";
const SIGNING_KEY = `-----BEGIN RSA PRIVATE KEY-----
{KEYS['private key']}
-----END RSA PRIVATE KEY-----`;
document.getElementById("out").textContent = "ready";
</script>
</body></html>
"""
# What each secret is, beyond what a preview may show (its public prefix).
SECRET_PARTS = [re.sub(r"^(ghp_|AKIA|sk_live_|xoxb-|sk-ant-api03-|sk-proj-)", "", k)[:12]
                for k in KEYS.values()]

PLACEHOLDERS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>API settings</title></head>
<body>
<p>Paste your key (it looks like <code>sk-...</code> or <code>&lt;your key&gt;</code>).</p>
<input placeholder="sk-ant-api03-..." aria-label="key">
<script>
const API_KEY = "YOUR_API_KEY";
const OPENAI_API_KEY = "<your key>";
const ANTHROPIC_API_KEY = "sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
const GITHUB_TOKEN = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
const GITHUB_TOKEN_2 = "ghp_YOUR_TOKEN_HERE_0000000000000000000";
const aws = { accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  aws_secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const stripe = "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX";
const stripe2 = "sk_live_abcdefghijklmnopqrstuvwx";
const slack = "xoxb-your-bot-token";
const google = "AIzaSyYOUR_GOOGLE_API_KEY_HERE_1234567";
const demo = "https://user:password@example.com:8080/p/a/t/h?query=string#hash";
const db = "postgres://admin:${DB_PASSWORD}@localhost/app";
const pem = "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----";
// jwt.io's sample, shown by every JWT decoder
const sample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
</script>
</body></html>
"""


def _finding_text(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _import(client, html: str = LEAKY) -> str:
    response = client.post("/api/artifacts", json={"html": html})
    assert response.status_code == 201, response.text
    return response.json["id"]


# -- what is found -------------------------------------------------------------------------

def test_each_kind_of_key_is_found_with_its_line():
    found = scan(LEAKY)
    assert [(f.kind, f.line) for f in found.findings] == list(LINES.items())
    assert found.more == 0


def test_previews_are_masked():
    found = scan(LEAKY)
    previews = {f.kind: f.preview for f in found.findings}
    assert previews["GitHub token"] == "ghp_…" + KEYS["GitHub token"][-4:]
    assert previews["Anthropic API key"].startswith("sk-ant-api03-…")
    assert previews["AWS secret access key"] == "…" + KEYS["AWS secret access key"][-4:]
    assert previews["private key"] == "BEGIN RSA PRIVATE KEY"
    shown = _finding_text(found.model_dump())
    assert not any(part in shown for part in SECRET_PARTS)


def test_placeholders_are_not_findings():
    found = scan(PLACEHOLDERS)
    assert found.count == 0, [f.describe() for f in found.findings]


def _real_pages() -> list[Path]:
    pages = sorted((ROOT / "tests/smoke_corpus").glob("*.html"))
    pages += sorted((ROOT / "evals/suites/reference").rglob("*.html"))
    pages.append(ROOT / "bench/typical_tool.html")
    for lib in libraries.LIBRARIES:  # minified library code, as a tool may paste it in
        for path in (*lib.scripts, *lib.styles, *((lib.module,) if lib.module else ())):
            file = ROOT / "mirror/node_modules" / lib.folder / path
            if file.is_file():
                pages.append(file)
    return pages


def test_real_pages_and_minified_libraries_have_no_findings():
    pages = _real_pages()
    found = {str(p.relative_to(ROOT)): [f.describe() for f in scan(p.read_text(
        errors="replace")).findings] for p in pages}
    flagged = {name: items for name, items in found.items() if items}
    print(f"\nsecret scan: {sum(map(len, flagged.values()))} findings in {len(pages)} real files")
    assert len(pages) > 100 and flagged == {}


MB = 1024 * 1024
LARGEST = Settings.model_fields["max_artifact_bytes"].default  # the largest allowed artifact
_RNG = random.Random(3)
HOSTILE = {
    "random base64 on one line": base64.b64encode(_RNG.randbytes(LARGEST)).decode()[:LARGEST],
    "random base64 in 76-column lines": "\n".join(
        base64.b64encode(_RNG.randbytes(57)).decode() for _ in range(LARGEST // 77)),
    "one line of eyJ": "eyJ" * (LARGEST // 3),
    "one line of slashes": "/" * LARGEST,
    "aws key spam": "aws key '" * (LARGEST // 9),
    "Slack look-alikes": "xoxb-" + "1-" * (LARGEST // 2 - 3),
    "binary-looking text": "".join(chr(_RNG.randrange(1, 0x2FF)) for _ in range(LARGEST)),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_documents_cost_one_bounded_pass(name):
    text = HOSTILE[name]
    started = time.process_time()
    found = scan(text)
    spent = time.process_time() - started
    print(f"\nsecret scan of {len(text) / MB:.1f} MB ({name}): {spent * 1000:.0f} ms CPU")
    assert spent < 5 and found.count == 0


def test_a_page_of_keys_is_capped():
    rng = random.Random(5)
    keys = ["ghp_" + "".join(rng.choice(ALNUM) for _ in range(36)) for _ in range(20_000)]
    started = time.process_time()
    found = scan("\n".join(f'"{k}",' for k in keys))
    assert time.process_time() - started < 5
    assert len(found.findings) == MAX_FINDINGS and found.more > 0
    assert found.findings[-1].line == MAX_FINDINGS


# -- kept beside the version ------------------------------------------------------------------

def test_each_version_is_scanned_once_and_kept(store):
    artifact, version = store.create_artifact("Keys", VersionIn(html=LEAKY, source=Source.IMPORTED),
                                              "owner")
    first = secret_store.scan_of(store, artifact.id, 1)
    with store.reading() as session:
        rows = session.query(SecretScanRow).all()
        assert len(rows) == 1 and rows[0].scanner == secret_scan.SCANNER
        kept_at = rows[0].created_at
    assert secret_store.scan_of(store, artifact.id, 1) == first
    with store.reading() as session:
        assert session.query(SecretScanRow).one().created_at == kept_at  # not scanned again
    # A result from another scanner is made again; a tool deleted takes its scans along.
    with store.writing() as session:
        session.query(SecretScanRow).one().scanner = "an older scanner"
    assert secret_store.scan_of(store, artifact.id, 1) == first
    with store.reading() as session:
        assert session.query(SecretScanRow).one().scanner == secret_scan.SCANNER
    from artifacts import lifecycle
    lifecycle.delete(store, artifact.id, "owner")
    with store.reading() as session:
        assert session.query(SecretScanRow).count() == 0


def test_a_stored_version_is_scanned_when_stored(client, kiln):
    _import(client)
    with kiln.store.reading() as session:
        row = session.query(SecretScanRow).one()
    assert [(f["kind"], f["line"]) for f in row.findings] == list(LINES.items())


# -- shown to the owner alone ----------------------------------------------------------------

def test_the_owner_sees_the_findings_and_a_viewer_nothing(client, other_client, sandbox_client):
    artifact_id = _import(client)
    mine = client.get(f"/api/artifacts/{artifact_id}/versions/1").json
    assert [(f["kind"], f["line"]) for f in mine["secrets"]["findings"]] == list(LINES.items())
    assert not any(part in _finding_text(mine["secrets"]) for part in SECRET_PARTS)
    workspace = client.get(f"/a/{artifact_id}").text
    assert "Before you share:" in workspace and 'data-secret-warning="1"' in workspace
    assert "Secret scan" in workspace and "ghp_…" in workspace

    previews = [f["preview"] for f in mine["secrets"]["findings"]]
    theirs = other_client.get(f"/api/artifacts/{artifact_id}/versions/1").json
    assert "secrets" not in theirs
    listing = other_client.get(f"/api/artifacts/{artifact_id}").json
    share = other_client.get(f"/a/{artifact_id}").text
    share_pinned = other_client.get(f"/a/{artifact_id}/v/1").text
    # (The share page shows the source, keys and all, as it always has: what a
    # viewer must not be handed is Kiln's pointer to them.)
    for told in (_finding_text(theirs), _finding_text(listing), share, share_pinned):
        for marker in ("Secret scan", "data-secret", "possible secret", "Before you share",
                       "No API keys", '"secrets"', *(p for p in previews if "…" in p)):
            assert marker not in told
    raw = sandbox_client.get(f"/raw/{artifact_id}/1")
    assert raw.status_code == 200
    headers = json.dumps(dict(raw.headers), ensure_ascii=False).lower()
    assert "secret" not in headers and not any(k.lower() in headers for k in LINES)


def test_a_clean_version_says_nothing_was_found(client):
    artifact_id = _import(client, "<!doctype html><title>Clean</title><p>hello</p>")
    assert client.get(f"/api/artifacts/{artifact_id}/versions/1").json["secrets"] == {
        "count": 0, "findings": [], "more": 0}
    workspace = client.get(f"/a/{artifact_id}").text
    assert "No API keys or tokens found" in workspace and "Before you share" not in workspace


def test_the_latest_versions_keys_are_warned_of_from_an_older_version(client):
    artifact_id = _import(client, "<!doctype html><title>Clean</title><p>hello</p>")
    client.post(f"/api/artifacts/{artifact_id}/versions", json={"html": LEAKY})
    older = client.get(f"/a/{artifact_id}/v/1").text  # "Link to the latest" shows v2
    assert 'data-secret-warning="2"' in older and "(the latest)" in older
    assert 'data-secret-warning="1"' not in older


# -- told to the model -----------------------------------------------------------------------

def test_the_repair_prompt_names_each_finding_masked(fake_llm):
    provider = make_provider(anthropic_settings(fake_llm))
    fix = ("<<<<<<< SEARCH\nconst GITHUB_TOKEN = \"" + KEYS["GitHub token"] + "\";\n=======\n"
           "const GITHUB_TOKEN = localStorage.getItem(\"token\") || \"\";\n>>>>>>> REPLACE\n")
    fake_llm.script(fix)
    result = generate(provider, current_html=LEAKY, errors=[ToolError(message="boom", line=3)],
                      secrets=scan(LEAKY))
    assert result.ok and KEYS["GitHub token"] not in (result.html or "")
    sent = fake_llm.requests[0].body["messages"][0]["content"]
    assert "Kiln's secret scan found" in sent and "boom" in sent
    for kind, line in LINES.items():
        assert f"line {line}: a{'n' if kind[0] in 'AaEeIiOo' else ''} {kind}" in sent
    assert "(ghp_…)" in sent and "kiln.complete()" in sent
    # The document is the only place the keys are: the findings add none of them.
    for key in KEYS.values():
        assert sent.count(key) == LEAKY.count(key)


def test_the_released_repair_prompts_are_unchanged():
    """The scan's words are the code's: no released template file names them."""
    for path in (ROOT / "generator/prompts").glob("*.md"):
        assert "secret scan" not in path.read_text().lower()


@pytest.mark.browser  # Kiln over real HTTP
def test_fix_it_on_a_version_whose_only_problem_is_a_key(tmp_path, fake_llm):
    from testkit.serving import provider_overrides
    with serve_kiln(tmp_path, **provider_overrides(fake_llm)) as server:
        me = HttpBrowser(server.app_origin)
        created = me.post("/api/artifacts", json={"html": LEAKY})
        artifact_id = created.json()["id"]
        fake_llm.script("Moved the token out of the source.\n<<<<<<< SEARCH\n"
                        f"const GITHUB_TOKEN = \"{KEYS['GitHub token']}\";\n=======\n"
                        "const GITHUB_TOKEN = localStorage.getItem(\"token\") || \"\";\n"
                        ">>>>>>> REPLACE\n")
        started = me.post(f"/api/artifacts/{artifact_id}/fix", json={"errors": [], "base": 1})
        assert started.status_code == 202, started.text
        job = server.kiln.jobs.wait(started.json()["job_id"], timeout=30)
        assert job.status == "done", job.error
        sent = json.dumps(fake_llm.requests[0].body["messages"], ensure_ascii=False)
        assert "line 5: a GitHub token (ghp_…)" in sent
        assert sent.count(KEYS["GitHub token"]) == 1  # in the document, and nowhere else
        asked = [m.content for m in server.kiln.store.messages(artifact_id) if m.role == "repair"]
        assert asked == ["Take out of v1 what looks like a GitHub token (line 5), and 7 more."]
        fixed = me.http.get(f"/api/artifacts/{artifact_id}/versions/2").json()
        assert fixed["source"] == "repaired"
        assert "GitHub token" not in [f["kind"] for f in fixed["secrets"]["findings"]]
        assert fixed["secrets"]["count"] == len(LINES) - 1
        me.close()


# -- in a real browser ------------------------------------------------------------------------

def test_owner_sees_the_warning_where_the_link_is_copied(live_server, browser):
    owner = browser.new_context(viewport={"width": 390, "height": 844})
    page = owner.new_page()
    artifact_id = import_in_browser(page, live_server.app_origin, LEAKY, "Team dashboard")
    page.get_by_role("button", name="Share and more").click()
    warning = page.locator(".share-box [data-secret-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Before you share:")
    expect(warning).to_contain_text("a GitHub token")
    expect(page.locator(".share-box").get_by_role("button", name="Copy link")).to_be_visible()
    warning.get_by_role("button", name="Where?").click()
    expect(page.get_by_role("tab", name="Checks")).to_have_attribute("aria-selected", "true")
    findings = page.locator("[data-secrets] table")
    expect(findings).to_be_visible()
    expect(findings.locator("tbody tr")).to_have_count(len(LINES))
    expect(findings).to_contain_text("Anthropic API key")
    shown = page.locator("[data-secrets]").inner_text() + warning.inner_text()
    assert not any(part in shown for part in SECRET_PARTS)
    owner.close()

    viewer = browser.new_context()
    theirs = viewer.new_page()
    theirs.goto(f"{live_server.app_origin}/a/{artifact_id}")
    expect(theirs.get_by_role("button", name="Remix")).to_be_visible()
    expect(theirs.locator("[data-secret-warning], [data-secrets], [data-secrets-badge]")) \
        .to_have_count(0)
    assert "possible secret" not in theirs.content()
    viewer.close()


@pytest.mark.browser
def test_a_key_warns_but_does_not_fail_the_smoke_test(tmp_path, browser):
    with serve_kiln(tmp_path, smoke_on_save=True) as server:
        context = browser.new_context()
        page = context.new_page()
        artifact_id = import_in_browser(page, server.app_origin, LEAKY, "Team dashboard")
        assert server.kiln.verdicts.wait(timeout=60)
        version = server.kiln.store.get_version(artifact_id, 1)
        assert version.smoke is not None and version.smoke.ok, version.smoke
        page.reload()
        expect(page.locator("[data-meta] .badge.ok")).to_have_text("passed")
        expect(page.locator("[data-secrets-badge]")).to_have_text(f"{len(LINES)} possible secrets")
        context.close()

