"""The smoke tester wired into Kiln: every stored version is tested in the
background and its verdict shown; `flask smoke` tests files and stored artifacts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from app import create_app
from tester.browser_pool import BrowserPool, PoolClosed
from settings import Settings
from testkit.clients import post_artifact
from testkit.serving import make_settings, serve_kiln

ROOT = Path(__file__).resolve().parent.parent
GOOD = "<!doctype html><title>Good</title><h1>Hello</h1><button onclick=\"this.textContent='hi'\">Go</button>"
BROKEN = "<!doctype html><title>Broken</title><h1>Clock</h1><script>\nshowTime(new Date());\n</script>"
HANGS = "<!doctype html><title>Hangs</title><h1>x</h1><script>while(true){}</script>"


@pytest.fixture(scope="module")
def smoke_server(tmp_path_factory):
    """Kiln over real HTTP with the background smoke test on."""
    with serve_kiln(tmp_path_factory.mktemp("smoke-service"), smoke_on_save=True,
                    smoke_concurrency=2) as live:
        yield live


def test_every_stored_version_is_tested_and_its_verdict_shown(smoke_server):
    kiln = smoke_server.kiln
    good = post_artifact(smoke_server.app_origin, GOOD)
    broken = post_artifact(smoke_server.app_origin, BROKEN)
    assert kiln.verdicts.wait(timeout=60)

    ok_version = kiln.store.get_version(good["id"], 1)
    assert ok_version.smoke.ok is True and ok_version.smoke.has_thumbnail
    assert ok_version.smoke.checks["exceptions"]["status"] == "pass"
    bad_version = kiln.store.get_version(broken["id"], 1)
    assert bad_version.smoke.ok is False
    assert bad_version.smoke.checks["exceptions"]["status"] == "fail"
    first_error = bad_version.smoke.errors[0]
    assert first_error.line == 2 and "showTime" in first_error.message

    origin = kiln.settings.app_origin
    with httpx.Client(base_url=origin, timeout=30) as http:
        page = http.get(f"/a/{broken['id']}")
        assert page.status_code == 200
        assert "failed" in page.text and "showTime is not defined" in page.text
        assert f"/a/{broken['id']}/v/1/thumbnail.png" in page.text
        shot = http.get(f"/a/{good['id']}/v/1/thumbnail.png")
        assert shot.status_code == 200 and shot.content.startswith(b"\x89PNG")
        assert "passed" in http.get(f"/a/{good['id']}").text


def test_the_request_does_not_wait_for_the_test(smoke_server):
    kiln = smoke_server.kiln
    created = post_artifact(smoke_server.app_origin, HANGS)  # its test takes the whole load budget
    assert kiln.store.get_version(created["id"], 1).smoke is None
    assert kiln.verdicts.wait(timeout=60)
    smoke = kiln.store.get_version(created["id"], 1).smoke
    assert smoke.ok is False and smoke.checks["hang"]["status"] == "fail"


def test_new_versions_are_tested_too(smoke_server):
    kiln = smoke_server.kiln
    created = kiln.import_html(BROKEN, owner="owner-token")
    kiln.new_version(created.artifact.id, "owner-token", GOOD)  # the owner fixes it
    assert kiln.verdicts.wait(timeout=60)
    versions = kiln.store.list_versions(created.artifact.id)
    assert [v.smoke.ok for v in versions] == [False, True]


# -- the CLI ---------------------------------------------------------------
@pytest.fixture
def cli_app(tmp_path):
    app = create_app(make_settings(tmp_path))
    yield app
    app.extensions["kiln"].close()


@pytest.mark.browser
def test_cli_smoke_json_lines_and_exit_status(cli_app, tmp_path):
    good, broken = tmp_path / "good.html", tmp_path / "broken.html"
    good.write_text(GOOD)
    broken.write_text(BROKEN)
    runner = cli_app.test_cli_runner()

    passed = runner.invoke(args=["smoke", str(good), "--json"])
    assert passed.exit_code == 0, passed.output
    line = json.loads(passed.output.strip())
    assert line["input"] == str(good) and line["ok"] is True
    assert set(line) >= {"input", "ok", "checks", "errors", "duration_ms"}
    assert line["checks"]["blank"]["status"] == "pass"

    mixed = runner.invoke(args=["smoke", str(good), str(broken), "--json", "--concurrency", "2"])
    assert mixed.exit_code == 1
    lines = [json.loads(x) for x in mixed.output.strip().splitlines()]
    assert [x["ok"] for x in lines] == [True, False]
    assert lines[1]["errors"][0]["line"] == 2


@pytest.mark.browser
def test_cli_smoke_stored_artifact_saves_the_verdict(cli_app):
    kiln = cli_app.extensions["kiln"]
    created = kiln.import_html(BROKEN, owner=None)
    assert kiln.store.get_version(created.artifact.id, 1).smoke is None  # smoke on save is off here
    result = cli_app.test_cli_runner().invoke(args=["smoke", created.artifact.id])
    assert result.exit_code == 1
    assert result.output.startswith(f"FAIL {created.artifact.id}")
    assert "showTime is not defined" in result.output
    assert kiln.store.get_version(created.artifact.id, 1).smoke.ok is False
    by_number = cli_app.test_cli_runner().invoke(args=["smoke", f"{created.artifact.id}:1", "--json"])
    assert json.loads(by_number.output)["ok"] is False


@pytest.mark.parametrize("args,message", [
    (["no-such-artifact-or-file"], "neither a file nor a stored artifact"),
    (["abc:xyz"], "neither a file nor an artifact id"),
])
def test_cli_smoke_unknown_input_is_a_clear_error(cli_app, args, message):
    result = cli_app.test_cli_runner().invoke(args=["smoke", *args, "--json"])
    assert result.exit_code == 1
    line = json.loads(result.output)
    assert line["ok"] is False and message in line["error"]


def test_cli_smoke_refuses_empty_and_binary_files(cli_app, tmp_path):
    empty, binary = tmp_path / "empty.html", tmp_path / "blob.bin"
    empty.write_text("")
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    result = cli_app.test_cli_runner().invoke(args=["smoke", str(empty), str(binary)])
    assert result.exit_code == 1
    assert "ERROR" in result.output and "empty" in result.output and "binary" in result.output


@pytest.mark.browser
def test_flask_smoke_command_in_a_real_process(tmp_path):
    page = tmp_path / "tool.html"
    page.write_text(GOOD)
    env = {**os.environ, "KILN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
           "KILN_SECRET_KEY": "cli-test", "KILN_SMOKE_ON_SAVE": "false"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "smoke", str(page), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["ok"] is True


# -- the pool --------------------------------------------------------------
@pytest.mark.browser
def test_pool_recycles_restarts_and_closes():
    pool = BrowserPool(Settings().resolved_chromium_path(), concurrency=2, recycle_after=2)

    async def version(browser):
        return browser.version

    async def kill(browser):
        await browser.close()  # as if it crashed
        return "closed"

    try:
        assert all(pool.submit(version).result(60) for _ in range(5))
        assert pool.launches == 3  # 2 + 2 + 1 jobs
        assert pool.submit(kill).result(60) == "closed"
        assert pool.submit(version).result(60)  # a new browser took over
        assert pool.launches == 4
        # Many threads at once, each with its own future.
        results = []
        threads = [threading.Thread(target=lambda: results.append(pool.submit(version).result(60)))
                   for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 6 and all(results)
    finally:
        pool.close()
    with pytest.raises(PoolClosed):
        pool.submit(version)


@pytest.mark.browser
def test_spare_runs_are_made_only_for_a_browser_that_will_serve_again():
    """One run is prepared ahead per browser, but never for a browser about to be
    retired: that context would be thrown away unused (and would slow the bench's
    new-browser-per-artifact baseline with work it never needs)."""
    from tester.smoke import SmokeTester

    made = {}
    for recycle_after in (1, 100):
        with SmokeTester.for_settings(Settings(_env_file=None), concurrency=1,
                                      recycle_after=recycle_after) as tester:
            prepare = tester._prepare
            count = [0]

            async def counting(browser, prepare=prepare, count=count):
                count[0] += 1
                return await prepare(browser)
            tester._prepare = counting
            assert all(tester.run(GOOD).ok for _ in range(3))
            made[recycle_after] = (count[0], tester.pool.launches)
    assert made[1] == (3, 3)      # a new browser and exactly one context per artifact
    assert made[100] == (4, 1)    # one browser, and one context always ready ahead


@pytest.mark.browser
def test_pool_knows_which_browser_serves_again():
    pool = BrowserPool(Settings().resolved_chromium_path(), concurrency=1, recycle_after=2)

    async def again(browser):
        return pool.will_serve_again(browser)

    try:
        assert [pool.submit(again).result(60) for _ in range(3)] == [True, False, True]
    finally:
        pool.close()
