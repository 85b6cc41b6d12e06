"""A JSON body nested too deeply is a clear 400 on every route that reads JSON,
never a 500: Python's parser raises RecursionError (not ValueError) at about a
thousand levels, and what reads a parsed document next may fail sooner."""
from __future__ import annotations

import json

import pytest

from artifacts.json_limits import MAX_JSON_DEPTH, TooDeep, depth, loads

PAGE = "<!doctype html><title>t</title><p>tool</p>"


def nested(levels: int, open_: str = "[", close: str = "]") -> str:
    return open_ * levels + ("1" if open_.endswith(":") else "") + close * levels


HOSTILE = {
    "100k-open-brackets": "[" * 100_000,
    "100k-open-objects": '{"a":' * 100_000,
    "closed-past-python": nested(5_000),
    "just-past-the-limit": nested(MAX_JSON_DEPTH + 1),
    "deep-inside-an-object": json.dumps({"html": "x"})[:-1] + ', "deep": ' + nested(3_000) + "}",
}

# Every route of the JSON API that reads a body (the tool's id filled in).
ROUTES = [
    ("post", "/api/artifacts"),
    ("patch", "/api/artifacts/{id}"),
    ("put", "/api/artifacts/{id}/checks"),
    ("post", "/api/artifacts/{id}/versions"),
    ("post", "/api/artifacts/{id}/restore"),
    ("post", "/api/artifacts/{id}/remix"),
    ("put", "/api/artifacts/{id}/storage"),
    ("post", "/api/artifacts/{id}/network/hosts"),
    ("post", "/api/generate"),
    ("post", "/api/artifacts/{id}/prompt"),
    ("post", "/api/artifacts/{id}/fix"),
    ("post", "/api/artifacts/{id}/complete"),
    ("post", "/api/artifacts/{id}/grants"),
    ("post", "/api/artifacts/{id}/data/personal"),
    ("put", "/api/artifacts/{id}/indexeddb"),
    ("put", "/api/artifacts/{id}/ai"),
    ("post", "/api/arena"),
    ("post", "/api/arena/no-such-battle/vote"),
]


@pytest.fixture
def tool(client):
    response = client.post("/api/artifacts", json={"html": PAGE})
    assert response.status_code == 201
    return response.json["id"]


@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_deeply_nested_body_is_a_clear_400(client, tool, method, path):
    for name, body in HOSTILE.items():
        response = client.write(method, path.format(id=tool), data=body,
                                 headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (name, response.status_code,
                                             response.get_data(as_text=True)[:300])
        assert f"nested more than {MAX_JSON_DEPTH} levels deep" in response.json["error"], name
    # Nothing was kept: the tool is as it was, with one version and its title.
    shown = client.get(f"/api/artifacts/{tool}").json
    assert len(shown["versions"]) == 1 and shown["title"] != "x"


def test_the_limit_itself_is_accepted_and_one_more_is_not(client, tool):
    """A kiln.storage value exactly MAX_JSON_DEPTH deep is kept; one level more is
    refused with the reason (a value is JSON text inside the JSON body)."""
    url = f"/api/artifacts/{tool}/data/personal"
    at_limit = nested(MAX_JSON_DEPTH)
    kept = client.post(url, json={"op": "set", "key": "deep", "value": at_limit})
    assert kept.status_code == 200, kept.json
    over = client.post(url, json={"op": "set", "key": "deeper", "value": nested(MAX_JSON_DEPTH + 1)})
    assert over.status_code == 400 and over.json["code"] == "bad_value"
    assert f"{MAX_JSON_DEPTH} levels" in over.json["error"]
    assert client.post(url, json={"op": "list"}).json == {"keys": ["deep"]}


def test_brackets_inside_strings_are_not_nesting(client, tool):
    brackets = "[" * 100_000
    response = client.post(f"/api/artifacts/{tool}/data/personal",
                           json={"op": "set", "key": "text", "value": json.dumps(brackets)})
    assert response.status_code == 200, response.json
    assert client.post(f"/api/artifacts/{tool}/data/personal",
                       json={"op": "get", "key": "text"}).json["value"] == json.dumps(brackets)


def test_the_reader_counts_depth_without_recursing():
    assert depth(1) == 0 and depth([]) == 1 and depth({"a": [1, {"b": []}]}) == 4
    assert loads(nested(MAX_JSON_DEPTH)) is not None
    for text in ("[" * 100_000, nested(MAX_JSON_DEPTH + 1), nested(MAX_JSON_DEPTH + 1, '{"a":', "}")):
        with pytest.raises(TooDeep):
            loads(text)
    with pytest.raises(ValueError):  # bad JSON is still bad JSON
        loads("[1,")
