"""Visitors' versions (a remix by someone with only a share link, and their hand
edits of it) are tested in a lane of their own: a member's verdict never waits
behind them, and a visitor has only so many waiting, past which a version is
stored untested and they are told. Over Kiln's real HTTP API, in one process;
the same with worker processes is in tests/test_production.py."""
from __future__ import annotations

import pytest

from testkit.clients import HttpBrowser
from testkit.serving import DEFAULT_ACCESS, serve_kiln
from testkit.signing import sign_in
from testkit.waiting import eventually

pytestmark = pytest.mark.browser

FINE = "<!doctype html><title>Fine</title><h1>Fine</h1><button onclick=\"this.textContent='hi'\">Go</button>"
# Takes the tester's whole load budget, spinning a core.
SPIN = "<!doctype html><title>Spin</title><h1>{n}</h1><script>while (true) {{}}</script>"
QUOTA = 4


@pytest.fixture
def lanes(tmp_path):
    with serve_kiln(tmp_path, access=DEFAULT_ACCESS, smoke_on_save=True,
                    smoke_waiting_per_visitor=QUOTA) as live:
        owner, visitor = HttpBrowser(live.app_origin), HttpBrowser(live.app_origin)
        sign_in(owner, live.kiln)
        yield live, owner, visitor
        owner.close()
        visitor.close()


def verdict(kiln, artifact_id, number):
    return kiln.store.get_version(artifact_id, number).smoke


def test_a_members_verdict_never_waits_behind_a_visitors_versions(lanes):
    live, owner, visitor = lanes
    kiln = live.kiln
    tool = owner.post("/api/artifacts", json={"html": FINE}).json()["id"]
    eventually(lambda: verdict(kiln, tool, 1) is not None, timeout=60)
    remix = visitor.post(f"/api/artifacts/{tool}/remix", json={})
    assert remix.status_code == 201, remix.text
    mine = remix.json()["id"]
    eventually(lambda: verdict(kiln, mine, 1) is not None, timeout=60)

    # A hand edit that spins, then as many as the quota allows, then one more.
    answers = [visitor.post(f"/api/artifacts/{mine}/versions", json={"html": SPIN.format(n=n)})
               for n in range(QUOTA + 1)]
    assert [a.status_code for a in answers] == [201] * (QUOTA + 1)
    assert all(a.json()["notices"] == [] for a in answers[:QUOTA]), [a.json() for a in answers]
    over = answers[QUOTA].json()
    assert over["version"] == QUOTA + 2
    assert any("will not be smoke-tested" in n and "KILN_SMOKE_WAITING_PER_VISITOR" in n
               for n in over["notices"]), over
    # Stored all the same: nothing is lost.
    stored = visitor.http.get(f"/api/artifacts/{mine}/versions/{QUOTA + 2}")
    assert stored.status_code == 200 and SPIN.format(n=QUOTA) in stored.json()["html"]

    # The owner's next version gets its verdict while the visitor's still wait.
    change = owner.post(f"/api/artifacts/{tool}/versions", json={"html": FINE.replace("Fine", "Finer")})
    assert change.status_code == 201 and change.json()["notices"] == []
    eventually(lambda: verdict(kiln, tool, 2) is not None, timeout=60)
    assert verdict(kiln, tool, 2).ok
    waiting = [n for n in range(2, QUOTA + 2) if verdict(kiln, mine, n) is None]
    assert len(waiting) >= QUOTA - 1, waiting  # at most the one being tested is done

    # Once the visitor's have their verdicts, restoring the untested one tests it.
    assert kiln.verdicts.wait(timeout=120)
    assert all(verdict(kiln, mine, n).checks["hang"]["status"] == "fail" for n in range(2, QUOTA + 2))
    assert verdict(kiln, mine, QUOTA + 2) is None
    again = visitor.post(f"/api/artifacts/{mine}/restore", json={"version": QUOTA + 2})
    assert again.status_code == 201 and again.json()["notices"] == [], again.text
    assert kiln.verdicts.wait(timeout=60)
    assert verdict(kiln, mine, QUOTA + 3).checks["hang"]["status"] == "fail"
    # Two lanes, two browsers: the visitors' pages never ran in the members' Chromium.
    assert kiln.verdicts.tester.lane("member").launches == 1 and kiln.verdicts.tester.lane("visitor").launches == 1
