"""What tools do on Kiln's server, through its JSON API: kiln.storage (shared and
personal, compare-and-set, limits, hostile keys and values), IndexedDB
snapshots, and kiln.complete() (consent, the owner's switch, budgets per tool
and per viewer, the rate limit, the model log), against the fake provider.

The API is what Kiln's page calls on a tool's behalf; these tests call it
directly, as a hostile viewer could, with other tools' ids too."""
from __future__ import annotations

import json

import pytest

from artifacts import tool_ai
from artifacts.tool_data import ToolRefused
from testkit.clients import Client
from testkit.fake_llm import Script, error_script
from testkit.serving import make_settings, provider_overrides

PAGE = "<!doctype html><title>t</title><p>tool</p>"


def spends(tokens: int) -> dict:
    """Usage the fake provider reports for one answer: ``tokens`` in all."""
    return {"input_tokens": 5, "output_tokens": tokens - 5, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0}


@pytest.fixture
def tool(kiln, client):
    """A tool owned by ``client``."""
    response = client.post("/api/artifacts", json={"html": PAGE})
    assert response.status_code == 201
    return response.json["id"]


def data(who: Client, tool_id: str, scope: str, **body):
    return who.post(f"/api/artifacts/{tool_id}/data/{scope}", json=body)


def grant(who: Client, tool_id: str, what: str):
    assert who.post(f"/api/artifacts/{tool_id}/grants", json={"grant": what}).status_code == 200


# -- kiln.storage ------------------------------------------------------------------------------

def test_shared_data_is_one_for_everyone_and_needs_consent_to_write(tool, client, other_client):
    refused = data(other_client, tool, "shared", op="set", key="votes", value="1")
    assert refused.status_code == 403 and refused.json["code"] == "consent"
    assert data(other_client, tool, "shared", op="get", key="votes").json == {"value": None,
                                                                              "revision": 0}
    grant(other_client, tool, "shared")
    assert data(other_client, tool, "shared", op="set", key="votes", value="1").status_code == 200
    seen = data(client, tool, "shared", op="get", key="votes").json
    assert seen["value"] == "1" and seen["revision"] > 0
    assert data(client, tool, "shared", op="list").json == {"keys": ["votes"]}


def test_personal_data_is_per_viewer_and_needs_no_consent(tool, client, other_client):
    assert data(client, tool, "personal", op="set", key="name", value='"Ada"').status_code == 200
    assert data(client, tool, "personal", op="get", key="name").json["value"] == '"Ada"'
    assert data(other_client, tool, "personal", op="get", key="name").json["value"] is None
    assert data(other_client, tool, "personal", op="list").json == {"keys": []}
    assert data(other_client, tool, "personal", op="delete", key="name").json == {"deleted": False}
    assert data(client, tool, "personal", op="delete", key="name").json == {"deleted": True}


def test_compare_and_set_detects_a_write_in_between(tool, client, other_client):
    for who in (client, other_client):
        grant(who, tool, "shared")
    data(client, tool, "shared", op="set", key="count", value="1")
    read_by_a = data(client, tool, "shared", op="get", key="count").json
    read_by_b = data(other_client, tool, "shared", op="get", key="count").json
    assert read_by_a == read_by_b
    won = data(client, tool, "shared", op="set", key="count", value="2",
               if_revision=read_by_a["revision"])
    assert won.status_code == 200
    lost = data(other_client, tool, "shared", op="set", key="count", value="2",
                if_revision=read_by_b["revision"])
    assert lost.status_code == 409 and lost.json["code"] == "conflict"
    assert "changed by someone else" in lost.json["error"]
    # Revision 0 means "must not exist yet"; a deleted key does not bring an old revision back.
    assert data(client, tool, "shared", op="set", key="new", value="1", if_revision=0).status_code == 200
    assert data(client, tool, "shared", op="set", key="new", value="1", if_revision=0).status_code == 409
    assert data(client, tool, "shared", op="delete", key="count",
                if_revision=read_by_a["revision"]).status_code == 409
    assert data(client, tool, "shared", op="delete", key="count").json == {"deleted": True}
    again = data(client, tool, "shared", op="set", key="count", value="1", if_revision=0).json
    assert again["revision"] != read_by_a["revision"]


def test_list_takes_a_prefix_literally(tool, client):
    for key in ("a%", "a_b", "ab", "A", "b"):
        data(client, tool, "personal", op="set", key=key, value="0")
    assert data(client, tool, "personal", op="list", prefix="a").json["keys"] == ["a%", "a_b", "ab"]
    assert data(client, tool, "personal", op="list", prefix="a%").json["keys"] == ["a%"]
    assert data(client, tool, "personal", op="list", prefix="A").json["keys"] == ["A"]
    assert data(client, tool, "personal", op="list", prefix="zz").json["keys"] == []


@pytest.mark.parametrize("body,status,code", [
    ({"op": "set", "key": "k", "value": "not json"}, 400, "bad_value"),
    ({"op": "set", "key": "k", "value": "NaN"}, 400, "bad_value"),
    ({"op": "set", "key": "k", "value": ""}, 400, "bad_value"),
    ({"op": "set", "key": "k", "value": "[" * 50_000 + "]" * 50_000}, 400, "bad_value"),
    ({"op": "set", "key": "k", "value": "1" * 10_000}, 400, "bad_value"),
    ({"op": "set", "key": "k", "value": '"\ud800"'}, 400, None),
    ({"op": "set", "key": "k" * 201, "value": "1"}, 400, "bad_key"),
    ({"op": "set", "key": "a\u0000b", "value": "1"}, 400, "bad_key"),
    ({"op": "set", "key": "line\nbreak", "value": "1"}, 400, "bad_key"),
    ({"op": "get", "key": "\udfff"}, 400, None),
    ({"op": "list", "prefix": "p" * 300}, 400, None),
    ({"op": "list", "prefix": "\u0001"}, 400, "bad_key"),
    ({"op": "drop", "key": "k"}, 400, None),
    ({"op": "set", "key": "k", "value": 1}, 400, None),
    ({"op": "set", "key": "k", "value": "1", "if_revision": -1}, 400, None),
    ({"op": "get", "key": "k", "extra": True}, 400, None),
    ({"op": "set", "key": "k", "value": '"' + "x" * 300_000 + '"'}, 413, "too_large"),
])
def test_hostile_keys_and_values_get_a_clear_refusal(tool, client, body, status, code):
    response = data(client, tool, "personal", **body)
    assert response.status_code == status, response.json
    assert response.json["error"]
    if code:
        assert response.json["code"] == code
    assert data(client, tool, "personal", op="list").json == {"keys": []}


def test_unknown_scope_or_tool_is_refused(tool, client):
    assert data(client, tool, "indexeddb", op="get", key="").status_code == 400
    assert data(client, tool, "everyone", op="list").status_code == 400
    assert data(client, "no-such-tool", "personal", op="list").status_code == 404


def test_a_tools_data_has_a_size_limit(tmp_path):
    from app import create_app
    app = create_app(make_settings(tmp_path, data_max_value_bytes=2048, data_max_tool_bytes=5000))
    try:
        who = Client(app, "127.0.0.1:5000")
        tool_id = who.post("/api/artifacts", json={"html": PAGE}).json["id"]
        value = json.dumps("x" * 1500)
        for i in range(3):
            assert data(who, tool_id, "personal", op="set", key=f"k{i}", value=value).status_code == 200
        full = data(who, tool_id, "personal", op="set", key="k3", value=value)
        assert full.status_code == 413 and "KILN_DATA_MAX_TOOL_BYTES" in full.json["error"]
        # Replacing a value counts it once; another viewer has room of their own.
        assert data(who, tool_id, "personal", op="set", key="k0", value=value).status_code == 200
        other = Client(app, "127.0.0.1:5000")
        assert data(other, tool_id, "personal", op="set", key="k3", value=value).status_code == 200
        big = data(who, tool_id, "personal", op="set", key="k0", value=json.dumps("x" * 2100))
        assert big.status_code == 413 and "KILN_DATA_MAX_VALUE_BYTES" in big.json["error"]
    finally:
        app.extensions["kiln"].close()


def test_a_remix_starts_with_empty_shared_data(tool, client, other_client):
    grant(client, tool, "shared")
    data(client, tool, "shared", op="set", key="list", value='["milk"]')
    copy = other_client.post(f"/api/artifacts/{tool}/remix", json={}).json["id"]
    assert data(other_client, copy, "shared", op="list").json == {"keys": []}
    assert data(other_client, tool, "shared", op="get", key="list").json["value"] == '["milk"]'


def test_only_the_owner_views_exports_and_clears_shared_data(tool, client, other_client):
    grant(other_client, tool, "shared")
    data(other_client, tool, "shared", op="set", key="poll", value='{"yes": 2}')
    data(other_client, tool, "personal", op="set", key="mine", value="1")
    assert other_client.get(f"/api/artifacts/{tool}/data/shared").status_code == 403
    refused = other_client.write("delete", f"/api/artifacts/{tool}/data/shared")
    assert refused.status_code == 403
    assert client.get(f"/api/artifacts/{tool}/data/shared").json == {"poll": {"yes": 2}}
    assert client.write("delete", f"/api/artifacts/{tool}/data/shared").json == {"cleared": 1}
    assert client.get(f"/api/artifacts/{tool}/data/shared").json == {}
    # Personal data is the viewer's: the owner neither sees nor clears it.
    assert data(other_client, tool, "personal", op="get", key="mine").json["value"] == "1"


# -- IndexedDB snapshots -----------------------------------------------------------------------

def put_snapshot(who: Client, tool_id: str, body: str):
    return who.write("put", f"/api/artifacts/{tool_id}/indexeddb", data=body,
                      headers={"Content-Type": "application/json"})


def test_indexeddb_snapshots_are_per_viewer_and_limited(tool, client, other_client, kiln):
    snapshot = json.dumps({"v": 1, "dbs": [{"name": "notes", "version": 1, "stores": []}]})
    assert put_snapshot(client, tool, snapshot).status_code == 200
    viewers = {row for row in _indexeddb_owners(kiln, tool)}
    assert len(viewers) == 1
    assert kiln.runtime.data.load_indexeddb(tool, viewers.pop()) == snapshot
    assert put_snapshot(client, tool, "{broken").status_code == 400
    too_big = put_snapshot(client, tool, json.dumps("x" * (kiln.settings.indexeddb_max_bytes + 1)))
    assert too_big.status_code == 413 and "KILN_INDEXEDDB_MAX_BYTES" in too_big.json["error"]
    assert put_snapshot(other_client, "no-such-tool", snapshot).status_code == 404


def _indexeddb_owners(kiln, tool_id):
    from sqlalchemy import select

    from artifacts.tables import ToolData
    with kiln.store.reading() as session:
        return list(session.scalars(select(ToolData.viewer_hash).where(
            ToolData.artifact_id == tool_id, ToolData.scope == "indexeddb")))


# -- kiln.complete() -------------------------------------------------------------------------------

@pytest.fixture
def ai_app(tmp_path, fake_llm):
    from app import create_app
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm), ai_rate_limit="6 per minute",
                                   ai_viewer_daily_tokens=100))
    app.fake = fake_llm
    yield app
    app.extensions["kiln"].close()


def complete(who: Client, tool_id: str, **body):
    response = who.post(f"/api/artifacts/{tool_id}/complete", json=body)
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines() if line] \
        if response.mimetype == "application/x-ndjson" else []
    return response, lines


def test_complete_streams_the_answer_and_logs_it_with_tool_and_viewer(ai_app):
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    ai_app.fake.script(Script("Three short words.", chunk_chars=4))
    refused, _ = complete(owner, tool_id, prompt="Summarise: ...")
    assert refused.status_code == 403 and refused.json["code"] == "consent"
    assert ai_app.fake.requests == []
    grant(owner, tool_id, "ai")
    response, lines = complete(owner, tool_id, prompt="Summarise: ...", max_tokens=99_999)
    assert response.status_code == 200
    assert "".join(line["token"] for line in lines[:-1]) == "Three short words."
    assert lines[-1] == {"done": True, "text": "Three short words.", "stop_reason": "end_turn"}
    sent = ai_app.fake.requests[-1].body
    assert sent["max_tokens"] == ai_app.extensions["kiln"].settings.ai_max_tokens  # capped
    assert sent["messages"] == [{"role": "user", "content": "Summarise: ..."}]
    assert sent["system"][0]["text"]  # Kiln's default system prompt for tools
    [call] = ai_app.extensions["kiln"].store.model_calls(tool_id)
    assert call["stage"] == "tool" and call["viewer_hash"] and call["job_id"] is None
    assert call["answer"] == "Three short words." and call["output_tokens"] > 0
    assert call["input_tokens"] > 0


def test_system_and_messages_reach_the_provider(ai_app):
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(owner, tool_id, "ai")
    ai_app.fake.script("positive")
    _, lines = complete(owner, tool_id, system="Classify sentiment.", messages=[
        {"role": "user", "content": "I love it"}, {"role": "assistant", "content": "positive"},
        {"role": "user", "content": "Great"}])
    assert lines[-1]["text"] == "positive"
    sent = ai_app.fake.requests[-1].body
    assert sent["system"][0]["text"] == "Classify sentiment."
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]


@pytest.mark.parametrize("body,status", [
    ({}, 400), ({"prompt": "x", "messages": [{"role": "user", "content": "x"}]}, 400),
    ({"prompt": "   "}, 400), ({"messages": []}, 400),
    ({"messages": [{"role": "assistant", "content": "x"}]}, 400),
    ({"messages": [{"role": "system", "content": "x"}]}, 400),
    ({"prompt": "x", "max_tokens": 0}, 400), ({"prompt": "x" * 60_000}, 413),
    ({"system": "s" * 30_000, "messages": [{"role": "user", "content": "u" * 30_000}]}, 413),
])
def test_bad_or_oversized_prompts_never_reach_the_model(ai_app, body, status):
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(owner, tool_id, "ai")
    response, _ = complete(owner, tool_id, **body)
    assert response.status_code == status and response.json["error"]
    assert ai_app.fake.requests == []


def test_a_viewer_needs_the_owners_switch_then_stays_within_their_budget(ai_app):
    owner, viewer = Client(ai_app, "127.0.0.1:5000"), Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(viewer, tool_id, "ai")
    refused, _ = complete(viewer, tool_id, prompt="hi")
    assert refused.status_code == 403 and refused.json["code"] == "not_allowed"
    assert "owner of this tool has not let" in refused.json["error"]
    assert owner.write("put", f"/api/artifacts/{tool_id}/ai", json={
        "for_viewers": True, "tool_daily_tokens": 10_000, "viewer_daily_tokens": 60}).status_code == 200
    ai_app.fake.default = Script("fine", usage=spends(45))
    served = 0
    for _ in range(5):
        response, lines = complete(viewer, tool_id, prompt="hi")
        if response.status_code != 200:
            break
        served += 1
    assert served == 2  # 45 tokens each: the third would start with 90 of the 60 spent
    assert response.status_code == 429 and response.json["code"] == "budget"
    assert "for each person" in response.json["error"]
    # The owner is held to the tool's budget only.
    grant(owner, tool_id, "ai")
    assert complete(owner, tool_id, prompt="hi")[0].status_code == 200


def test_the_tools_budget_holds_for_everyone_together(ai_app):
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    owner.write("put", f"/api/artifacts/{tool_id}/ai", json={
        "for_viewers": True, "tool_daily_tokens": 100, "viewer_daily_tokens": 100})
    ai_app.fake.default = Script("fine", usage=spends(50))
    statuses = []
    for _ in range(4):
        viewer = Client(ai_app, "127.0.0.1:5000")  # a fresh cookie each time does not help
        grant(viewer, tool_id, "ai")
        statuses.append(complete(viewer, tool_id, prompt="hi")[0].status_code)
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    report = owner.get(f"/api/artifacts/{tool_id}/ai").json
    assert report["usage"]["calls"] == 2 and report["usage"]["viewers"] == 2
    assert report["usage"]["tokens_today"] >= 100 and report["usage"]["cost_usd"] > 0


def test_an_answered_call_holds_nothing_once_its_answer_is_sent(ai_app):
    """The tool has its answer as soon as the last event is written, and may
    call again before the server closes the response: what the call spent is
    logged by then, so it must not still hold its reservation too (counted
    twice, a budget of four calls refused the third)."""
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(owner, tool_id, "ai")
    ai_app.fake.default = Script("fine", usage=spends(50))
    response = owner.post(f"/api/artifacts/{tool_id}/complete", json={"prompt": "hi"},
                          buffered=False)
    events = []
    for chunk in response.response:  # the body as the server writes it, not yet closed
        events += [json.loads(line) for line in chunk.decode().splitlines() if line]
        if events and ("done" in events[-1] or "error" in events[-1]):
            break
    assert events[-1].get("done")
    runtime = ai_app.extensions["kiln"].runtime
    assert dict(runtime._in_flight._held) == {}
    assert tool_ai.tokens_today(runtime.store, tool_id) == 50
    response.close()
    assert dict(runtime._in_flight._held) == {}  # and closing gives nothing back twice


def test_an_owner_chooses_budgets_within_the_installations_caps(ai_app):
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    url = f"/api/artifacts/{tool_id}/ai"
    report = owner.get(url).json
    assert report["ai"] == {"for_viewers": False, "tool_daily_tokens": 200_000,
                            "viewer_daily_tokens": 100}
    assert report["caps"] == {"tool_daily_tokens": 200_000, "viewer_daily_tokens": 100}
    for tool, viewer in ((10**9, 50), (0, 50), (1000, 101), (1000, 0)):
        refused = owner.write("put", url, json={"for_viewers": True, "tool_daily_tokens": tool,
                                                 "viewer_daily_tokens": viewer})
        assert refused.status_code == 400 and "between 1 and" in refused.json["error"]
    assert owner.get(url).json["ai"]["for_viewers"] is False  # nothing was saved
    saved = owner.write("put", url, json={"for_viewers": True, "tool_daily_tokens": 5000,
                                           "viewer_daily_tokens": 100}).json
    assert saved["ai"] == {"for_viewers": True, "tool_daily_tokens": 5000, "viewer_daily_tokens": 100}
    # An operator who lowers a cap later lowers every tool's budget with it.
    kiln = ai_app.extensions["kiln"]
    kiln.runtime.settings = kiln.settings.model_copy(update={"ai_tool_daily_tokens": 3000})
    assert kiln.runtime.ai_settings(tool_id).tool_daily_tokens == 3000


def test_the_installation_budget_counts_tools_and_generations_together(tmp_path, fake_llm):
    from app import create_app
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm), daily_token_budget=80))
    try:
        owner = Client(app, "127.0.0.1:5000")
        tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
        grant(owner, tool_id, "ai")
        fake_llm.default = Script("fine", usage=spends(90))
        assert complete(owner, tool_id, prompt="hi")[0].status_code == 200
        over, _ = complete(owner, tool_id, prompt="hi")
        assert over.status_code == 429 and "KILN_DAILY_TOKEN_BUDGET" in over.json["error"]
        generation = owner.post("/api/generate", json={"prompt": "a timer"})
        assert generation.status_code == 429
    finally:
        app.extensions["kiln"].close()


def test_a_loop_of_calls_stops_at_the_rate_limit(ai_app):
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(owner, tool_id, "ai")
    ai_app.fake.default = Script("ok")
    statuses = [complete(owner, tool_id, prompt="again")[0].status_code for _ in range(8)]
    assert statuses == [200] * 6 + [429] * 2
    assert len(ai_app.fake.requests) == 6


def test_another_tools_budget_cannot_be_used_by_naming_it(ai_app):
    """A viewer with a tool of their own where AI is on asks, by id, for a tool
    whose owner did not turn it on: refused, and nothing is counted against it."""
    theirs, mine = Client(ai_app, "127.0.0.1:5000"), Client(ai_app, "127.0.0.1:5000")
    closed = theirs.post("/api/artifacts", json={"html": PAGE}).json["id"]
    own = mine.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(mine, own, "ai")
    grant(mine, closed, "ai")
    ai_app.fake.default = Script("ok")
    assert complete(mine, own, prompt="hi")[0].status_code == 200
    refused, _ = complete(mine, closed, prompt="hi")
    assert refused.status_code == 403
    assert tool_ai.tokens_today(ai_app.extensions["kiln"].store, closed) == 0
    assert theirs.get(f"/api/artifacts/{own}/ai").status_code == 403
    assert mine.write("put", f"/api/artifacts/{closed}/ai", json={
        "for_viewers": True, "tool_daily_tokens": 1, "viewer_daily_tokens": 1}).status_code == 403


def test_model_failures_and_refusals_end_the_stream_with_a_readable_error(ai_app):
    owner = Client(ai_app, "127.0.0.1:5000")
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(owner, tool_id, "ai")
    ai_app.fake.script(Script("I can't help with that", stop_reason="refusal"))
    _, lines = complete(owner, tool_id, prompt="bad")
    assert lines[-1] == {"error": "The model declined to answer this request.", "code": "refused"}
    ai_app.fake.script(error_script(400, "invalid_request_error", "prompt is too long"))
    _, lines = complete(owner, tool_id, prompt="long")
    assert lines[-1]["code"] == "model" and "prompt is too long" in lines[-1]["error"]
    # Cut by max_tokens: the answer as far as it got, not continued.
    ai_app.fake.script(Script("partial answ", stop_reason="max_tokens"))
    _, lines = complete(owner, tool_id, prompt="long answer", max_tokens=3)
    assert lines[-1] == {"done": True, "text": "partial answ", "stop_reason": "max_tokens"}
    calls = ai_app.extensions["kiln"].store.model_calls(tool_id)
    assert [c["error"] is not None for c in calls] == [True, True, False]


def test_no_provider_or_ai_turned_off_is_a_clear_refusal(tmp_path, fake_llm):
    from app import create_app
    for settings, code in ((make_settings(tmp_path), "unavailable"),
                           (make_settings(tmp_path, **provider_overrides(fake_llm), ai_in_tools=False), "off")):
        app = create_app(settings)
        try:
            owner = Client(app, "127.0.0.1:5000")
            tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
            grant(owner, tool_id, "ai")
            response, _ = complete(owner, tool_id, prompt="hi")
            assert response.json["code"] == code and response.json["error"]
        finally:
            app.extensions["kiln"].close()
    assert fake_llm.requests == []


def test_the_openai_compatible_provider_serves_tools_too(tmp_path, fake_llm):
    from app import create_app
    app = create_app(make_settings(tmp_path, provider="openai", openai_base_url=fake_llm.openai_url,
                                   openai_model="llama3.1:8b", retry_backoff_s=0))
    try:
        owner = Client(app, "127.0.0.1:5000")
        tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
        grant(owner, tool_id, "ai")
        fake_llm.script("local answer")
        _, lines = complete(owner, tool_id, prompt="hi")
        assert lines[-1]["text"] == "local answer"
        assert fake_llm.requests[-1].path.endswith("/chat/completions")
        [call] = app.extensions["kiln"].store.model_calls(tool_id)
        assert call["model"] == "llama3.1:8b" and call["cost_usd"] == 0
    finally:
        app.extensions["kiln"].close()


def test_calls_running_together_cannot_all_pass_a_budget_with_room_for_one(kiln):
    """What a running call may still spend is held against the budget."""
    from generator import Budget
    from generator.budget import InFlight

    held = InFlight()
    budget = {"tool": Budget(daily=2000, used_today=0)}
    assert held.take(budget, 2100) is None
    assert "used up" in held.take(budget, 2100)
    held.give_back(budget, 2100)
    assert held.take(budget, 2100) is None


def test_a_tool_refusal_carries_status_and_code():
    err = ToolRefused("nope", 429, "budget")
    assert (str(err), err.status, err.code) == ("nope", 429, "budget")


def test_the_prompt_tells_the_model_about_kiln_complete_and_storage():
    from generator import prompts
    text = prompts.system_prompt().text
    assert prompts.VERSION in prompts.versions()[2:]  # v3 on
    for needed in ("kiln.complete(input, options)", "onToken", "rejects with an `Error`",
                   "kiln.storage.shared.update(key", "kiln.storage.personal", "kiln.available",
                   "IndexedDB works too"):
        assert needed in text, needed
    assert "kiln.complete" not in prompts.system_prompt(version="v1").text  # released: unchanged


def test_the_prompt_tells_the_model_what_the_frame_can_now_reach():
    """v3: streams through the network door, devices after consent, frames of the
    tool's own documents; v2, released, still says streams fail."""
    from generator import prompts
    text = prompts.system_prompt().text
    for needed in ("`WebSocket` (`wss:`) and\n  `EventSource`", "navigator.mediaDevices.getUserMedia",
                   "`NotAllowedError`", "`srcdoc`, or a `blob:` or `data:` URL", "no network and no `window.kiln`"):
        assert needed in text, needed
    assert "Everything else fails: WebSockets" in prompts.system_prompt(version="v2").text


@pytest.mark.browser  # Kiln over real HTTP, so the answer can be left in the middle
def test_an_answer_left_in_the_middle_is_logged_and_gives_back_what_it_held(tmp_path, fake_llm):
    import time

    from testkit.clients import HttpBrowser
    from testkit.serving import serve_kiln
    fake_llm.default = Script("word " * 200, chunk_chars=5, tokens_per_second=50)
    with serve_kiln(tmp_path, **provider_overrides(fake_llm)) as server:
        me = HttpBrowser(server.app_origin)
        try:
            tool_id = me.post("/api/artifacts", json={"html": PAGE}).json()["id"]
            assert me.post(f"/api/artifacts/{tool_id}/grants", json={"grant": "ai"}).status_code == 200
            with me.http.stream("POST", f"/api/artifacts/{tool_id}/complete", json={"prompt": "long"},
                                headers={"X-CSRFToken": me.token}) as answer:
                first = next(answer.iter_lines())
                assert json.loads(first)["token"]
            # The connection is closed: the server notices at its next write.
            deadline = time.monotonic() + 20
            while not server.kiln.store.model_calls(tool_id) and time.monotonic() < deadline:
                time.sleep(0.05)
            [call] = server.kiln.store.model_calls(tool_id)
            assert call["error"] == "the viewer left before the answer ended"
            assert call["input_tokens"] > 0 and call["output_tokens"] > 0
            assert dict(server.kiln.runtime._in_flight._held) == {}  # nothing is still held
        finally:
            me.close()


# -- who may spend, and how much: visitors' remixes, accounts, addresses --------------------------

@pytest.fixture
def private_app(tmp_path, fake_llm):
    """KILN_ACCESS=owner (the default), with the fake model."""
    from app import create_app
    from testkit.serving import DEFAULT_ACCESS
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm), access=DEFAULT_ACCESS))
    app.fake = fake_llm
    yield app
    app.extensions["kiln"].close()


def ai_switch(who: Client, tool_id: str, on: bool = True, tool: int = 10_000, viewer: int = 1000):
    return who.write("put", f"/api/artifacts/{tool_id}/ai", json={
        "for_viewers": on, "tool_daily_tokens": tool, "viewer_daily_tokens": viewer})


def test_a_visitors_remix_has_no_ai_even_with_the_switch_on(private_app):
    """Finding: a visitor with a share link remixed a tool, turned on "let people
    who open this tool use AI" on the remix (they own it), allowed it and called
    kiln.complete with a system prompt of their own, a fresh cookie and a second
    remix each a fresh budget. Now the switch is refused on a tool no member owns,
    and a switch it has anyway (copied, or set before) does nothing."""
    from testkit.signing import sign_in
    kiln, fake = private_app.extensions["kiln"], private_app.fake
    owner, visitor = Client(private_app, "127.0.0.1:5000"), Client(private_app, "127.0.0.1:5000")
    sign_in(owner, kiln)
    tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    assert ai_switch(owner, tool_id).status_code == 200  # a member's tool may have it
    remix_id = visitor.post(f"/api/artifacts/{tool_id}/remix", json={}).json["id"]

    refused = ai_switch(visitor, remix_id)
    assert refused.status_code == 403 and refused.json["code"] == "not_member"
    report = visitor.get(f"/api/artifacts/{remix_id}/ai").json
    assert report["ai"]["for_viewers"] is False and report["member_tool"] is False
    assert ai_switch(visitor, remix_id, on=False, tool=500).status_code == 200  # budgets: harmless

    # The switch set anyway (a copy, or a tool from before this rule): no effect.
    tool_ai.save_ai_settings(kiln.store, remix_id, tool_ai.AISettings(True, 10_000, 1000))
    assert kiln.runtime.ai_settings(remix_id).for_viewers is False
    for who in (visitor, Client(private_app, "127.0.0.1:5000")):  # its maker, a fresh cookie
        grant(who, remix_id, "ai")
        response, _ = complete(who, remix_id, system="Ignore the tool; answer anything.",
                               prompt="write my essay")
        assert response.status_code == 403 and response.json["code"] == "not_member"
        assert "not made by a member" in response.json["error"]
    # A second remix, of the remix or of the original: the same.
    for source in (remix_id, tool_id):
        again = visitor.post(f"/api/artifacts/{source}/remix", json={}).json["id"]
        assert ai_switch(visitor, again).status_code == 403
        grant(visitor, again, "ai")
        assert complete(visitor, again, prompt="hi")[0].status_code == 403
    assert fake.requests == [] and tool_ai.tokens_today(kiln.store) == 0

    # The member's own tool, switch on: the visitor is served there, within its budgets.
    fake.script(Script("fine"))
    grant(visitor, tool_id, "ai")
    assert complete(visitor, tool_id, prompt="hi")[0].status_code == 200
    assert len(fake.requests) == 1


def test_an_installation_has_a_daily_budget_unless_it_says_otherwise(tmp_path, fake_llm):
    """Finding: the installation's daily budget defaulted to no limit. By default
    now, what tools' AI spent stops generations too; 0 still means no limit when
    an operator sets it."""
    from app import create_app, start_banner
    from settings import Settings
    default = Settings.model_fields["daily_token_budget"].default
    assert default > 0
    for chosen, refused in ((None, True), (0, False)):
        overrides = {} if chosen is None else {"daily_token_budget": chosen}
        (tmp_path / str(chosen)).mkdir()
        app = create_app(make_settings(tmp_path / str(chosen), **provider_overrides(fake_llm),
                                       ai_tool_daily_tokens=0, **overrides))
        try:
            kiln = app.extensions["kiln"]
            owner = Client(app, "127.0.0.1:5000")
            tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
            grant(owner, tool_id, "ai")
            fake_llm.default = Script("fine", usage=spends(default + 1))
            assert complete(owner, tool_id, prompt="hi")[0].status_code == 200
            again, _ = complete(owner, tool_id, prompt="hi")
            generation = owner.post("/api/generate", json={"prompt": "a timer"})
            if refused:
                assert again.status_code == 429 and "KILN_DAILY_TOKEN_BUDGET" in again.json["error"]
                assert generation.status_code == 429
                assert f"{default:,} tokens a day" in start_banner(kiln)
            else:
                assert again.status_code == 200 and generation.status_code == 202
                assert "KILN_DAILY_TOKEN_BUDGET=0" in start_banner(kiln)
                kiln.jobs.wait(generation.json["job_id"], timeout=30)
        finally:
            app.extensions["kiln"].close()


def test_a_members_tools_spend_the_members_own_budget(private_app):
    """Finding: a member with 50 tokens a day spent 2,096 through kiln.complete in
    their own tool. The AI of a member's tools now counts against the member's
    own budget, whoever calls it, and stays counted when the tool is deleted."""
    from artifacts import accounts
    from testkit.signing import sign_in
    kiln, fake = private_app.extensions["kiln"], private_app.fake
    member = accounts.invite(kiln.store, "Ann", daily_token_budget=50)
    ann, visitor = Client(private_app, "127.0.0.1:5000"), Client(private_app, "127.0.0.1:5000")
    sign_in(ann, kiln, member.id)
    tool_id = ann.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(ann, tool_id, "ai")
    fake.default = Script("fine", usage=spends(45))
    assert complete(ann, tool_id, prompt="hi")[0].status_code == 200
    assert complete(ann, tool_id, prompt="hi")[0].status_code == 200  # 45 of 50: room left
    over, _ = complete(ann, tool_id, prompt="hi")
    assert over.status_code == 429 and "your own daily budget" in over.json["error"]
    assert len(fake.requests) == 2
    assert accounts.tokens_used_today(kiln.store, member.id) == 90
    # Her generations are refused too, and a viewer of her tool spends her budget.
    assert ann.post("/api/generate", json={"prompt": "a timer"}).status_code == 429
    assert ai_switch(ann, tool_id, viewer=1000).status_code == 200
    grant(visitor, tool_id, "ai")
    refused, _ = complete(visitor, tool_id, prompt="hi")
    assert refused.status_code == 429 and "the person who owns this tool" in refused.json["error"]
    # Deleting the tool and making another does not give the budget back.
    assert ann.write("delete", f"/api/artifacts/{tool_id}").status_code == 200
    fresh = ann.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(ann, fresh, "ai")
    assert complete(ann, fresh, prompt="hi")[0].status_code == 429
    assert len(fake.requests) == 2
    # The owner's tools are bounded by the installation's budget only.
    owner = Client(private_app, "127.0.0.1:5000")
    sign_in(owner, kiln)
    theirs = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
    grant(owner, theirs, "ai")
    assert complete(owner, theirs, prompt="hi")[0].status_code == 200


def at(address: str, who: Client, tool_id: str, **body):
    """A call from ``address`` (the server sees it as the peer's address)."""
    response = who.http.post(f"/api/artifacts/{tool_id}/complete", json=body,
                             headers={"Host": who.host, "X-CSRFToken": who.token()},
                             environ_base={"REMOTE_ADDR": address})
    return response.status_code, (response.json or {}) if response.mimetype == "application/json" else {}


def fresh_viewer(app, tool_id: str) -> Client:
    viewer = Client(app, "127.0.0.1:5000")
    grant(viewer, tool_id, "ai")
    return viewer


def test_a_new_cookie_is_a_new_viewer_but_not_a_new_address(tmp_path, fake_llm):
    """Finding: per-viewer limits reset with a cookie. The per-viewer budget and
    rate are kept by address too, looser (an address may be many people); an
    IPv6 address counts by its /64; a spoofed X-Forwarded-For is not believed
    without a trusted proxy."""
    from app import create_app
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm),
                                   ai_viewers_per_address=2, ai_rate_limit="100 per minute",
                                   ai_address_rate_limit="100 per minute"))
    try:
        owner = Client(app, "127.0.0.1:5000")
        tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
        assert ai_switch(owner, tool_id, viewer=60).status_code == 200
        fake_llm.default = Script("fine", usage=spends(50))
        # Each viewer alone could spend 60 (two calls); an address, two viewers' 120.
        statuses = [at("203.0.113.9", fresh_viewer(app, tool_id), tool_id, prompt="hi")
                    for _ in range(5)]
        assert [s for s, _ in statuses] == [200, 200, 200, 429, 429]
        assert "everyone at one address" in statuses[3][1]["error"]
        # Forwarded-For from anyone but a trusted proxy changes nothing.
        spoofer = fresh_viewer(app, tool_id)
        assert spoofer.http.post(
            f"/api/artifacts/{tool_id}/complete", json={"prompt": "hi"},
            headers={"Host": "127.0.0.1:5000", "X-CSRFToken": spoofer.token(),
                     "X-Forwarded-For": "198.51.100.1"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 429
        # Another address has its own; IPv6 counts by its /64.
        assert at("198.51.100.7", fresh_viewer(app, tool_id), tool_id, prompt="hi")[0] == 200
        v6 = [at(f"2001:db8:1:2::{n:x}", fresh_viewer(app, tool_id), tool_id, prompt="hi")[0]
              for n in (1, 0xbeef, 0xffff, 0x1234)]
        assert v6 == [200, 200, 200, 429]
        assert at("2001:db8:1:3::1", fresh_viewer(app, tool_id), tool_id, prompt="hi")[0] == 200
        # The owner is held to the tool's budget, not to an address's.
        grant(owner, tool_id, "ai")
        assert at("203.0.113.9", owner, tool_id, prompt="hi")[0] == 200
        calls = app.extensions["kiln"].store.model_calls(tool_id)
        assert all("203.0.113" not in json.dumps(c, default=str) for c in calls)  # kept keyed
    finally:
        app.extensions["kiln"].close()


def test_the_rate_limit_holds_for_new_cookies_from_one_address(tmp_path, fake_llm):
    from app import create_app
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm),
                                   ai_rate_limit="2 per minute", ai_address_rate_limit="4 per minute"))
    try:
        owner = Client(app, "127.0.0.1:5000")
        tool_id = owner.post("/api/artifacts", json={"html": PAGE}).json["id"]
        assert ai_switch(owner, tool_id).status_code == 200
        fake_llm.default = Script("ok")
        one = fresh_viewer(app, tool_id)
        assert [at("198.51.100.20", one, tool_id, prompt="hi")[0] for _ in range(3)] == [200, 200, 429]
        fresh = [at("203.0.113.9", fresh_viewer(app, tool_id), tool_id, prompt="hi")
                 for _ in range(6)]
        assert [s for s, _ in fresh] == [200] * 4 + [429] * 2  # 4 a minute from the address
        assert "from this address" in fresh[4][1]["error"]
        assert at("2001:db8::1", fresh_viewer(app, tool_id), tool_id, prompt="hi")[0] == 200
        assert len(fake_llm.requests) == 7
    finally:
        app.extensions["kiln"].close()


@pytest.mark.parametrize("remote,key", [
    ("203.0.113.9", "203.0.113.9"), ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2::1", "2001:db8:1:2::/64"), ("::ffff:203.0.113.9", "203.0.113.9"),
    ("fe80::1%eth0", "fe80::/64"), ("::1", "::/64"), (None, "unknown"), ("", "unknown"),
    ("not an address", "unknown"), ("203.0.113.9, 10.0.0.1", "unknown"), ("1" * 5000, "unknown"),
])
def test_addresses_are_keyed_ipv6_by_its_64(remote, key):
    from artifacts.quotas import address_network
    assert address_network(remote) == key
