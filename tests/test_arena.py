"""The arena: battles between two models (or prompt versions), blind votes, and
the Bradley–Terry leaderboard, checked against fits computed here another way."""
from __future__ import annotations

import math
import re

import pytest

from app import create_app
from artifacts import lifecycle
from artifacts import evals_store
from evals import ranking
from generator import prompts
from testkit.answers import TIP_ANSWER
from testkit.clients import Client
from testkit.fake_llm import Script
from testkit.serving import make_settings, provider_overrides

V = prompts.VERSION
OWN, OTHER = f"anthropic:claude-sonnet-5-5@{V}", f"anthropic:model-b@{V}"


# -- Bradley–Terry -------------------------------------------------------------------------

def test_two_models_fit_by_hand():
    # A beat B three times in four: the MLE has p_A / p_B = 3, i.e. 400·log10(3) Elo
    # points apart, and strengths multiplying to 1 put them 200·log10(3) either side of 1000.
    games = [("A", "B", 1.0)] * 3 + [("A", "B", 0.0)]
    fitted = ranking.strengths(games, prior=0)
    assert fitted["A"] / fitted["B"] == pytest.approx(3.0)
    scores = {r.model: r.score for r in ranking.ratings(games, prior=0, rounds=0)}
    assert scores["A"] == pytest.approx(1000 + 200 * math.log10(3), abs=0.05)   # 1095.4
    assert scores["B"] == pytest.approx(1000 - 200 * math.log10(3), abs=0.05)   # 904.6


def reference_fit(games, prior, steps=20_000, rate=0.05):
    """Gradient ascent on the log-likelihood itself (θ = ln p; every model also plays
    ``prior`` wins and ``prior`` losses against a reference at θ = 0)."""
    sigma = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    theta = {p: 0.0 for a, b, _ in games for p in (a, b)}
    for _ in range(steps):
        grad = {p: prior * (1 - 2 * sigma(t)) for p, t in theta.items()}
        for a, b, s in games:
            expected = sigma(theta[a] - theta[b])
            grad[a] += s - expected
            grad[b] -= s - expected
        for p in theta:
            theta[p] += rate * grad[p]
    return {p: 1000 + 400 * t / math.log(10) for p, t in theta.items()}


def test_three_models_with_ties_match_a_reference_fit():
    games = ([("A", "B", 1.0)] * 3 + [("B", "A", 1.0)] + [("B", "C", 1.0)] * 2
             + [("C", "A", 0.5)] + [("C", "B", 1.0)])
    expected = reference_fit(games, prior=ranking.PRIOR)
    found = {r.model: r for r in ranking.ratings(games)}
    for model, score in expected.items():
        assert found[model].score == pytest.approx(score, abs=0.1)
        assert found[model].low <= found[model].score <= found[model].high
    assert [r.model for r in ranking.ratings(games)] == sorted(expected, key=expected.get,
                                                               reverse=True)
    assert (found["A"].votes, found["B"].votes, found["C"].votes) == (5, 7, 4)
    # Five votes or more, which disagree: an interval; C's four are too few.
    assert (found["A"].interval_known, found["B"].interval_known,
            found["C"].interval_known) == (True, True, False)
    assert ranking.ratings([]) == []
    # Votes that all agree resample to themselves: a zero-width interval is not one.
    same = ranking.ratings([("x", "y", 1.0)] * 6)
    assert all(r.low == r.high and not r.interval_known for r in same)


def test_votes_become_games_ties_and_both_bad_as_halves():
    assert ranking.games_from_votes([("x", "y", "a"), ("x", "y", "b"), ("x", "y", "tie"),
                                     ("x", "y", "both_bad"), ("x", "y", "nonsense")]) == [
        ("x", "y", 1.0), ("x", "y", 0.0), ("x", "y", 0.5), ("x", "y", 0.5)]
    # A model whose only vote is a loss still gets a finite score below the winner's.
    only = {r.model: r.score for r in ranking.ratings([("x", "y", 1.0)])}
    assert 800 < only["y"] < 1000 < only["x"] < 1200
    assert only["x"] - 1000 == pytest.approx(1000 - only["y"], abs=0.2)


# -- battles over the API -------------------------------------------------------------------

@pytest.fixture
def arena_app(tmp_path, fake_llm):
    fake_llm.default = Script(TIP_ANSWER)
    fake_llm.default_for["model-b"] = Script(TIP_ANSWER.replace("Tip calculator", "Tips"))
    app = create_app(make_settings(tmp_path, arena_models="anthropic:model-b",
                                   **provider_overrides(fake_llm)))
    app.config["TESTING"] = True
    yield app
    app.extensions["kiln"].close()


def battle(client, models, prompt="A tip calculator"):
    answer = client.post("/api/arena", json={"prompt": prompt, "models": models})
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()


def finish(app, started):
    for job in started["jobs"]:
        assert app.extensions["kiln"].jobs.wait(job, timeout=60).status == "done"


def test_a_battle_runs_both_models_blind_until_the_vote(arena_app, fake_llm):
    client = Client(arena_app, "127.0.0.1:5000")
    started = battle(client, [OWN, OTHER])
    assert set(started) == {"battle", "jobs", "url"} and len(started["jobs"]) == 2
    early = client.post(f"/api/arena/{started['battle']}/vote", json={"winner": "a"})
    assert early.status_code == 409 and "both tools" in early.get_json()["error"]
    finish(arena_app, started)
    assert sorted(r.body["model"] for r in fake_llm.requests if r.body) == [
        "claude-sonnet-5-5", "model-b"]

    view = client.get(f"/api/arena/{started['battle']}").get_json()
    assert "models" not in view and view["ready"] and view["winner"] is None
    assert all(side["raw_url"] and side["status"] == "done" for side in view["sides"].values())
    page = client.get(f"/arena/{started['battle']}").get_data(as_text=True)
    assert "model-b" not in page and "claude-sonnet" not in page and 'name="winner" value="a"' in page
    for job in started["jobs"]:  # the jobs' own streams leave the model out too
        usage = [e for e in arena_app.extensions["kiln"].store.job_events(job) if e.type == "usage"]
        assert usage and all(e.data["model"] is None for e in usage)
    # Arena tools stay out of the gallery.
    assert "data-artifact" not in client.get("/").get_data(as_text=True)

    voted = client.post(f"/api/arena/{started['battle']}/vote", json={"winner": "b"})
    assert voted.status_code == 200
    models = voted.get_json()["models"]
    assert sorted(models.values()) == sorted([OWN, OTHER])
    assert client.post(f"/api/arena/{started['battle']}/vote",
                       json={"winner": "a"}).status_code == 409
    revealed = client.get(f"/arena/{started['battle']}").get_data(as_text=True)
    assert models["a"] in revealed and models["b"] in revealed and "data-winner" in revealed

    board = client.get("/api/arena/leaderboard").get_json()
    assert [row["model"] for row in board] == [models["b"], models["a"]]
    assert all(set(row) >= {"model", "score", "low", "high", "votes"} for row in board)
    assert [row["votes"] for row in board] == [1, 1]
    expected = {r.model: r.score for r in ranking.ratings([(models["a"], models["b"], 0.0)])}
    assert {row["model"]: row["score"] for row in board} == expected
    html = client.get("/arena/leaderboard").get_data(as_text=True)
    assert models["a"] in html and "95% interval" in html
    # One vote says nothing of an interval: "too few votes", never "1131 – 1131".
    assert [row["interval_known"] for row in board] == [False, False]
    assert html.count("too few votes") == 2


def test_the_tools_api_names_no_model_until_the_vote(arena_app):
    """Finding: the voter could read each side's model through the tools' own JSON
    API (GET /api/artifacts/ID, /versions/N) before the blind vote. Until the vote
    the API leaves the model out, for the voter (who owns both tools) as for
    anyone; the vote itself and the battle page work as before, and afterwards
    the models are named, there and in the API."""
    kiln = arena_app.extensions["kiln"]
    client = Client(arena_app, "127.0.0.1:5000")
    started = battle(client, [OWN, OTHER])
    finish(arena_app, started)
    view = client.get(f"/api/arena/{started['battle']}").get_json()
    tools = {side: view["sides"][side]["artifact"] for side in ("a", "b")}
    stored = {side: kiln.store.get_version(tool).model for side, tool in tools.items()}
    assert sorted(stored.values()) == ["claude-sonnet-5-5", "model-b"]
    for tool in tools.values():
        for path in (f"/api/artifacts/{tool}", f"/api/artifacts/{tool}/versions/1"):
            answer = client.get(path)
            assert answer.status_code == 200
            assert "model-b" not in answer.get_data(as_text=True)
            assert "claude-sonnet-5-5" not in answer.get_data(as_text=True)
        shown = client.get(f"/api/artifacts/{tool}").get_json()
        assert shown["owned"] and [v["model"] for v in shown["versions"]] == [None]
        # Nor the cost, which names a model by its price (model-b has none here).
        assert shown["usage"] is None and shown["versions"][0]["usage"] is None
        assert shown["versions"][0]["prompt"] == "A tip calculator"  # the voter's own prompt
        assert client.get(f"/api/artifacts/{tool}/versions/1").get_json()["model"] is None
        # Nor the job's own events (the status line while it streams), nor the workspace.
        job = lifecycle.last_job(kiln.store, tool)
        spent = [e.data for e in kiln.store.job_events(job.id) if e.type == "usage"]
        assert spent and all(s["model"] is None and s["cost_usd"] == 0 and not s["price_known"]
                             for s in spent)
        assert "tokens so far" in client.get(f"/a/{tool}").get_data(as_text=True)
        assert "$" not in client.get(f"/a/{tool}").get_data(as_text=True).split("tokens so far")[1][:20]
    # The battle page still has what the vote needs: both tools framed, the buttons.
    page = client.get(f"/arena/{started['battle']}").get_data(as_text=True)
    assert page.count('class="arena-frame"') == 2 and 'name="winner" value="b"' in page

    assert client.post(f"/api/arena/{started['battle']}/vote", json={"winner": "a"}).status_code == 200
    page = client.get(f"/arena/{started['battle']}").get_data(as_text=True)
    for side, tool in tools.items():
        assert client.get(f"/api/artifacts/{tool}").get_json()["versions"][0]["model"] == stored[side]
        assert client.get(f"/api/artifacts/{tool}/versions/1").get_json()["model"] == stored[side]
        assert client.get(f"/api/artifacts/{tool}").get_json()["usage"]["input_tokens"] > 0
    assert "model-b" in page and "claude-sonnet-5-5" in page


def test_two_prompt_versions_of_one_model_get_their_own_prompts(arena_app, fake_llm):
    client = Client(arena_app, "127.0.0.1:5000")
    finish(arena_app, battle(client, [f"anthropic:claude-sonnet-5-5@{V}",
                                      "anthropic:claude-sonnet-5-5@v1"]))
    libraries = arena_app.extensions["kiln"].generation.parts.libraries()
    systems = {"".join(b["text"] for b in r.body["system"]) if isinstance(r.body["system"], list)
               else r.body["system"] for r in fake_llm.requests if r.body}
    assert systems == {prompts.system_prompt(libraries, V).text,
                       prompts.system_prompt(libraries, "v1").text}


def test_the_leaderboard_follows_many_votes(arena_app):
    client = Client(arena_app, "127.0.0.1:5000")
    kiln = arena_app.extensions["kiln"]
    for winner in ("a", "a", "tie", "both_bad", "b"):
        started = battle(client, [OWN, OTHER])
        finish(arena_app, started)
        assert client.post(f"/api/arena/{started['battle']}/vote",
                           json={"winner": winner}).status_code == 200
    battles = evals_store.voted_battles(kiln.store)
    games = ranking.games_from_votes([(b.model_a, b.model_b, b.winner) for b, _, _ in battles])
    expected = {r.model: (r.score, r.low, r.high) for r in ranking.ratings(games)}
    board = client.get("/api/arena/leaderboard").get_json()
    assert {row["model"]: (row["score"], row["low"], row["high"]) for row in board} == expected
    assert [row["votes"] for row in board] == [5, 5]


def test_a_side_may_be_a_plan_of_models_per_purpose(arena_app, fake_llm):
    """A plan whose new tools are written by model-b, against the installation's
    model: each side's request goes to its own, and the vote names the plan."""
    client = Client(arena_app, "127.0.0.1:5000")
    plan = f"{OWN},create={OTHER}"
    started = battle(client, [OWN, "anthropic:claude-sonnet-5-5, create=anthropic:model-b"])
    finish(arena_app, started)
    assert sorted(r.body["model"] for r in fake_llm.requests if r.body) == [
        "claude-sonnet-5-5", "model-b"]
    voted = client.post(f"/api/arena/{started['battle']}/vote", json={"winner": "tie"})
    assert sorted(voted.get_json()["models"].values()) == sorted([OWN, plan])
    board = client.get("/api/arena/leaderboard").get_json()
    assert {row["model"] for row in board} == {OWN, plan}


@pytest.mark.parametrize("body, status, says", [
    ({"prompt": "x", "models": [OWN, "anthropic:nope"]}, 400, "not a model this Kiln offers"),
    ({"prompt": "x", "models": [OWN, f"{OWN},repair=anthropic:nope"]}, 400,
     f"names anthropic:nope@{V}, which is not a model this Kiln offers"),
    ({"prompt": "x", "models": [OWN, f"{OWN},draft={OTHER}"]}, 400, "'draft' is not a purpose"),
    ({"prompt": "x", "models": [OWN, f"{OWN},repair={OTHER},repair={OWN}"]}, 400,
     "names the model for repair twice"),
    ({"prompt": "x", "models": [f"{OWN},tries={OTHER}", f"{OWN}, tries={OTHER}"]}, 400,
     "two different"),
    ({"prompt": "x", "models": [OWN, OWN]}, 400, "two different"),
    ({"prompt": "x", "models": [OWN, "gpt:y"]}, 400, "anthropic:NAME"),
    ({"prompt": "x", "models": [OWN]}, 400, "models"),
    ({"prompt": "", "models": [OWN, OTHER]}, 400, "prompt is empty"),
    ({"prompt": "x", "models": [OWN, OTHER], "extra": 1}, 400, "extra"),
])
def test_a_bad_battle_is_refused(arena_app, body, status, says):
    answer = Client(arena_app, "127.0.0.1:5000").post("/api/arena", json=body)
    assert answer.status_code == status and says in answer.get_json()["error"]
    assert not evals_store.voted_battles(arena_app.extensions["kiln"].store)


def test_votes_on_unknown_or_other_peoples_battles_and_bad_winners(arena_app):
    mine, theirs = Client(arena_app, "127.0.0.1:5000"), Client(arena_app, "127.0.0.1:5000")
    started = battle(mine, [OWN, OTHER])
    finish(arena_app, started)
    assert mine.post("/api/arena/no-such-battle/vote", json={"winner": "a"}).status_code == 404
    assert theirs.post(f"/api/arena/{started['battle']}/vote",
                       json={"winner": "a"}).status_code == 404
    assert theirs.get(f"/arena/{started['battle']}").status_code == 404
    bad = mine.post(f"/api/arena/{started['battle']}/vote", json={"winner": "c"})
    assert bad.status_code == 400 and "winner" in bad.get_json()["error"]
    assert mine.post(f"/api/arena/{started['battle']}/vote", json={}).status_code == 400
    assert mine.get("/api/arena/leaderboard").get_json() == []


def test_the_battle_pages_vote_form_counts_once_and_says_why_it_refuses(arena_app):
    mine, theirs = Client(arena_app, "127.0.0.1:5000"), Client(arena_app, "127.0.0.1:5000")
    started = battle(mine, [OWN, OTHER])
    url = f"/arena/{started['battle']}"

    def vote(who, winner):
        answer = who.post(f"{url}/vote", data={"winner": winner})
        assert answer.status_code == 303 and answer.headers["Location"].endswith(url)
        return who.get(url).get_data(as_text=True)

    assert "Wait until both tools are finished" in vote(mine, "a")
    finish(arena_app, started)
    assert "winner&#34; is one of" in vote(mine, "first")
    assert theirs.post(f"{url}/vote", data={"winner": "a"}).status_code == 404
    no_token = mine.http.post(f"{url}/vote", data={"winner": "a"}, headers={"Host": mine.host})
    assert no_token.status_code == 400
    revealed = vote(mine, "tie")
    assert "data-winner" in revealed and "a tie" in revealed and OTHER in revealed
    assert "has its vote already" in vote(mine, "a")
    assert [b.winner for b, _, _ in evals_store.voted_battles(arena_app.extensions["kiln"].store)] == ["tie"]


def test_the_arena_page_offers_what_is_configured(arena_app, tmp_path):
    page = Client(arena_app, "127.0.0.1:5000").get("/arena").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]+)</option>", page)
    assert set(options) == {f"anthropic:{name}@{version}" for version in prompts.versions()
                            for name in ("claude-sonnet-5-5", "model-b")}
    assert {OWN, OTHER} <= set(options)
    (tmp_path / "bare").mkdir()
    bare = create_app(make_settings(tmp_path / "bare"))
    try:
        empty = Client(bare, "127.0.0.1:5000").get("/arena").get_data(as_text=True)
        assert "data-arena-unavailable" in empty and "no model is configured" in empty
    finally:
        bare.extensions["kiln"].close()


@pytest.mark.browser
def test_a_person_battles_and_votes_in_the_browser(tmp_path, fake_llm, page):
    from playwright.sync_api import expect

    from testkit.serving import serve_kiln
    fake_llm.default = Script(TIP_ANSWER, tokens_per_second=400, chunk_chars=20)
    fake_llm.default_for["model-b"] = Script(TIP_ANSWER.replace("Tip calculator", "Tips"))
    with serve_kiln(tmp_path, arena_models="anthropic:model-b",
                    **provider_overrides(fake_llm)) as live:
        page.goto(f"{live.app_origin}/arena")
        page.fill("#arena-prompt", "A tip calculator")
        page.fill("input[name=model_b]", OTHER)
        page.get_by_role("button", name="Start the battle").click()
        page.wait_for_url(re.compile(r"/arena/[\w-]+$"))
        vote = page.get_by_role("button", name="B is better")
        expect(vote).to_be_enabled(timeout=30_000)
        expect(page.locator("iframe.arena-frame")).to_have_count(2)
        assert page.locator("[data-model]").count() == 0   # blind
        vote.click()
        expect(page.locator("[data-winner]")).to_contain_text("Tool B")
        expect(page.locator("[data-model]")).to_have_count(2)
        named = sorted(page.locator("[data-model]").all_inner_texts())
        assert named == sorted([OWN, OTHER])
