"""The tester's Chromium, held in on the host: its own sandbox (read from the
kernel's view of its renderers, not from a flag) and a memory cap that counts
what V8's heap limit does not (ArrayBuffers), after which the browser and the
next page carry on."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from settings import Settings
from tester.confine import Confine, own_cgroups
from tester.smoke import SmokeTester, SmokeUnavailable

FINE = "<!doctype html><title>ok</title><h1>Still working</h1><button onclick=\"this.textContent='done'\">Go</button>"
# 64 ArrayBuffers of 64 MB, each written to (so the pages are really there): 4 GB.
HOLDS_4GB = ("<!doctype html><title>hoard</title><h1>x</h1><script>const kept = [];"
             "for (let i = 0; i < 64; i++) { const b = new ArrayBuffer(64 * 1024 * 1024);"
             " new Uint8Array(b).fill(1); kept.push(b) }"
             "document.querySelector('h1').textContent = 'holding ' + kept.length * 64 + ' MB'</script>")


def status_of(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}


def renderers(tester: SmokeTester) -> dict[int, tuple[dict[str, str], str]]:
    """The member lane's renderers, with a page open, as the browser itself
    reports them: each one's /proc status and user namespace."""
    async def job(browser):
        page = await browser.new_page()
        try:
            await page.goto("data:text/html,<h1>here</h1>")
            cdp = await browser.new_browser_cdp_session()
            info = await cdp.send("SystemInfo.getProcessInfo")
            await cdp.detach()
            return {p["id"]: (status_of(p["id"]), os.readlink(f"/proc/{p['id']}/ns/user"))
                    for p in info["processInfo"] if p["type"] == "renderer"}
        finally:
            await page.close()
    return tester.pool.submit(job).result(60)


@pytest.mark.browser
def test_the_testers_renderers_run_in_chromiums_sandbox():
    """Seccomp in filter mode, their own PID and user namespaces, and (Kiln being
    root here, as in CI) not root: what Chromium's sandbox gives a renderer."""
    with SmokeTester.for_settings(Settings(_env_file=None), concurrency=1) as tester:
        assert tester.run(FINE).ok
        found = renderers(tester)
        assert found
        for status, user_namespace in found.values():
            assert status["Seccomp"] == "2", status  # 2: a seccomp-bpf filter
            assert len(status["NSpid"].split()) > 1, status  # inside a PID namespace of its own
            assert user_namespace != os.readlink("/proc/self/ns/user")
            if os.geteuid() == 0:
                assert status["Uid"].split() != ["0"] * 4, status
        assert tester.pool.confinement.sandboxed is True


@pytest.mark.browser
def test_a_page_holding_4gb_of_arraybuffers_fails_for_memory_and_the_next_passes(smoke_tester):
    assert smoke_tester.run(FINE).ok  # the browser is up
    launches = smoke_tester.pool.launches
    report = smoke_tester.run(HOLDS_4GB)
    assert not report.ok
    memory = report.checks["memory"]
    assert memory.status.value == "fail", report.checks
    assert "more memory than the smoke tester allows" in memory.detail
    assert report.errors[0].kind == "memory", report.errors
    assert report.checks["crash"].status.value != "fail"  # named for what it was
    after = smoke_tester.run(FINE)
    assert after.ok, after.for_model()
    assert after.checks["memory"].status.value == "pass"
    assert smoke_tester.pool.launches == launches  # the same browser carried on


@pytest.mark.browser
def test_where_no_cgroup_can_be_had_an_rlimit_holds_the_page():
    settings = Settings(_env_file=None)
    with SmokeTester(settings.resolved_chromium_path(), settings.sandbox_origin,
                     settings.app_origin, concurrency=1,
                     confine=Confine(memory_mb=1024, cgroup=False)) as tester:
        report = tester.run(HOLDS_4GB)
        assert report.checks["memory"].status.value == "fail", report.checks
        assert "each of the browser's processes" in report.checks["memory"].detail
        assert tester.run(FINE).ok
        assert tester.pool.launches == 1


@pytest.mark.browser
def test_without_the_sandbox_auto_warns_and_on_refuses(caplog):
    """A host where Chromium's sandbox cannot start (here: the user to run it as
    does not exist) still tests pages under "auto", saying so; "on" refuses."""
    if os.geteuid() != 0:
        pytest.skip("the user switch happens only when Kiln runs as root")
    settings = Settings(_env_file=None)
    args = (settings.resolved_chromium_path(), settings.sandbox_origin, settings.app_origin)
    with caplog.at_level(logging.WARNING):
        with SmokeTester(*args, concurrency=1,
                         confine=Confine(user="no-such-kiln-user", memory_mb=0)) as tester:
            assert tester.run(FINE).ok
            assert tester.pool.confinement.sandboxed is False
    assert "no-such-kiln-user is no user here" in caplog.text
    with SmokeTester(*args, concurrency=1,
                     confine=Confine(sandbox="on", user="no-such-kiln-user", memory_mb=0)) as tester:
        with pytest.raises(SmokeUnavailable, match="KILN_CHROMIUM_SANDBOX=on"):
            tester.run(FINE)


def test_own_cgroups_are_found_in_a_container_and_on_a_host(tmp_path):
    cgroup, mountinfo = tmp_path / "cgroup", tmp_path / "mountinfo"
    cgroup.write_text("4:memory:/kiln/worker\n0::/system.slice/kiln.service\n")
    mountinfo.write_text(
        "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "31 25 0:27 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
    assert own_cgroups(cgroup, mountinfo) == {
        "v1": Path("/sys/fs/cgroup/memory/kiln/worker"),
        "v2": Path("/sys/fs/cgroup/unified/system.slice/kiln.service")}
    # A container sees its part of the hierarchy mounted at its own root.
    cgroup.write_text("0::/docker/abc\n")
    mountinfo.write_text("40 30 0:28 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    assert own_cgroups(cgroup, mountinfo) == {"v2": Path("/sys/fs/cgroup")}
    assert own_cgroups(tmp_path / "missing", mountinfo) == {}
