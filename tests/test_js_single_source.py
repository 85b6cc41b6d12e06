"""Every limit, name list and address the JavaScript uses has one definition, in
Python: Kiln's pages read it from ``#kiln-config`` (web/client.py), the frame's
bootstrap from ``window.__KILN__`` (sandbox/documents.py). These tests fail when
the JavaScript reads something neither carries, or when a copy comes back."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from artifacts import checks
from artifacts.tool_errors import MAX_DETAIL_CHARS, MAX_ERROR_CHARS, REPORTED_KINDS
from sandbox.documents import BOOTSTRAP_JS, bootstrap_tag, draft_viewer_document
from web.client import ADDRESSES

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "static").glob("*.js"))
SANDBOX = sorted((ROOT / "sandbox" / "static").rglob("*.js"))
TESTER = sorted((ROOT / "tester").glob("*.js"))
CONFIG = re.compile(r'<script type="application/json" id="kiln-config">(.*?)</script>', re.S)
# Comments say where things come from ("/api/artifacts/ID", "/lib/"): only code counts.
_COMMENT = re.compile(r"/\*.*?\*/|(?<![:\\\"'])//[^\n]*", re.S)


def code(path: Path) -> str:
    return _COMMENT.sub("", path.read_text("utf-8"))


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.fixture
def page_config(client) -> dict:
    return json.loads(CONFIG.search(client.get("/").get_data(as_text=True)).group(1))


def frame_config() -> dict:
    tag = bootstrap_tag()
    return json.loads(tag[tag.index("=") + 1:tag.index(";(function")])


# -- what the JavaScript reads is there -----------------------------------------------

def test_every_config_value_a_page_reads_is_in_the_page(page_config):
    read = set()
    for path in PAGES:
        for first, second in re.findall(r"(?<![\w/.])config\.(\w+)(?:\.(\w+))?", code(path)):
            assert first in page_config, f"{name(path)} reads config.{first}"
            if second and isinstance(page_config[first], dict):
                assert second in page_config[first], f"{name(path)} reads config.{first}.{second}"
            read.add(first)
    assert {"urls", "errors", "checks", "data_ops"} <= read


def test_every_value_the_bootstrap_reads_is_handed_to_it():
    given = frame_config()
    for first, second in re.findall(r"\bcfg\.(\w+)(?:\.(\w+))?", _COMMENT.sub("", BOOTSTRAP_JS)):
        assert first in given, f"the bootstrap reads cfg.{first}"
        if second and isinstance(given[first], dict):
            assert second in given[first], f"the bootstrap reads cfg.{first}.{second}"
    assert given["errors"] == {"message": MAX_ERROR_CHARS, "source": MAX_DETAIL_CHARS}
    assert given["checks"] == {"text": checks.MAX_TEXT}


def test_the_page_and_the_frame_get_the_same_error_caps(page_config):
    errors = page_config["errors"]
    assert errors["kinds"] == list(REPORTED_KINDS)
    assert (errors["max_message"], errors["max_source"]) == tuple(frame_config()["errors"].values())


def test_every_address_a_page_builds_is_a_route_of_the_server(app, page_config):
    shapes = page_config["urls"]
    assert set(shapes) == set(ADDRESSES)
    routes = app.url_map.bind("localhost")
    for address, (endpoint, parts) in ADDRESSES.items():
        path = shapes[address].format(**{part: "7" for part in parts})
        methods = {m for r in app.url_map.iter_rules(endpoint) for m in r.methods or ()}
        assert routes.match(path, method=sorted(methods - {"HEAD", "OPTIONS"})[0])[0] == endpoint
    used = set()
    for path in PAGES:
        text = code(path)
        used |= set(re.findall(r"\b(?:kilnUrl|api|this\.address)\(\"(\w+)\"", text))
    assert used and used <= set(ADDRESSES), used - set(ADDRESSES)


def test_the_draft_viewer_renders_up_to_an_artifact_size(sandbox_client, settings):
    assert 'data-max-chars="123"' in draft_viewer_document(123)
    page = sandbox_client.get("/draft").get_data(as_text=True)
    assert f'data-max-chars="{settings.max_artifact_bytes}"' in page


# -- the producers keep to the vocabulary ---------------------------------------------

def test_the_bootstrap_reports_only_kinds_kiln_takes():
    kinds = set(re.findall(r'kind: "(\w+)"', _COMMENT.sub("", BOOTSTRAP_JS)))
    assert kinds and kinds <= set(REPORTED_KINDS)


def test_the_recorder_records_only_steps_checks_have():
    vocabulary = checks.step_vocabulary()
    fields = {f for kind in vocabulary.values() for f in kind["fields"]}
    recorder = code(ROOT / "sandbox" / "static" / "bootstrap" / "80-recorder.js")
    sent = re.findall(r"(?<!function )recSend\((.*?)\);\n", recorder, re.S)
    keys = {k for call in sent for k in re.findall(r"(\w+):", call)}
    assert {"fill", "click", "press", "check", "uncheck", "select", "expect"} <= keys <= fields


def test_the_tester_knows_every_expectation():
    page = code(ROOT / "tester" / "checks_page.js")
    for field in checks.step_vocabulary()["expect"]["fields"]:
        if field != "expect":
            assert f"spec.{field}" in page, field


# -- no copies ------------------------------------------------------------------------

def test_no_address_of_kiln_is_written_by_hand():
    for path in PAGES + SANDBOX + TESTER:
        text = code(path)
        assert "/api/" not in text, name(path)
        assert not re.search(r"[\"'`]/a/", text), name(path)
        assert '"/lib/"' not in text, name(path)


# (files, a copy that once was there)
COPIES = [
    (["sandbox/static/bootstrap/20-errors.js", "sandbox/static/bootstrap/40-indexeddb.js",
      "static/bridge.js"], r"\b(?:2000|2100|4000|4200|300|400|700)\b"),          # the error caps
    (["static/bridge.js", "static/errors_panel.js"], r'"(?:exception|resource)"'),  # their kinds
    (["sandbox/static/draft.js"], r"\d+ \* 1024"),                                  # the draft's size
    (["sandbox/static/bootstrap/80-recorder.js"], r"\b1000\b"),                      # a step's text
    (["static/recorder.js", "static/checks.js"],
     r'"(?:uncheck|text_is|expect_no_errors|option)"|\b(?:40|60|500)\b'),           # steps, limits
    (["static/kiln_api.js"], r'"(?:personal|list)"|\b1000\b'),                       # kiln.storage
    (["templates/home.html", "templates/workspace.html", "templates/_checks.html"],
     r'maxlength="\d'),                                                             # titles, names
]


@pytest.mark.parametrize(("files", "copy"), COPIES)
def test_no_copy_of_a_python_rule_comes_back(files, copy):
    for file in files:
        found = re.search(copy, code(ROOT / file))
        assert not found, f"{file} holds {found.group(0)!r} again: read it from the config"


def test_one_human_size_and_one_fetch_wrapper():
    sizes = [name(p) for p in PAGES if re.search(r"function humanSize\b", code(p))]
    assert sizes == ["static/format.js"]
    wrappers = [name(p) for p in PAGES if "new ApiError(" in code(p)]
    assert wrappers == ["static/api.js"]
