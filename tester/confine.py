"""What holds the tester's Chromium in on the host: Chromium's own sandbox and
a memory cap for the whole browser, applied when it starts.

Every artifact, a visitor's too, runs in that Chromium, so it must not be able
to use more of the host than a browser tab should:

* **The sandbox.** Chromium's renderers normally run in their own namespaces
  under a seccomp filter; Chromium refuses that as root, and Playwright then
  adds ``--no-sandbox``. When Kiln runs as root, the browser is started through
  ``tester/chromium-launch``, which hands its profile to an unprivileged user
  (``KILN_CHROMIUM_USER``) and drops root before Chromium starts, so the
  sandbox works. Where it cannot (no unprivileged user namespaces, say),
  ``KILN_CHROMIUM_SANDBOX=auto`` goes on without it and logs a warning; ``on``
  refuses to.
* **The memory cap** (``KILN_SMOKE_MEMORY_MB``). A V8 heap limit does not count
  ArrayBuffers, images or canvases, so the cap is the kernel's: a memory cgroup
  of the browser's own (cgroup v1, or v2 where Kiln may make one), in which the
  kernel kills the biggest renderer when the browser goes over it. Chromium
  makes renderers the first choice of the OOM killer, so the page that grew
  dies and the browser and the other pages carry on. Where no cgroup can be
  had, each Chromium process gets an rlimit on its data segment instead: the
  page's allocations fail ("Array buffer allocation failed").
"""
from __future__ import annotations

import errno
import logging
import os
import pwd
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TYPE_CHECKING

if TYPE_CHECKING:
    from settings import Settings

log = logging.getLogger(__name__)

LAUNCHER = Path(__file__).with_name("chromium-launch")
SandboxMode = Literal["auto", "on", "off"]
# What a page's allocation failure says when the rlimit (not a cgroup) stopped it.
ALLOCATION_FAILED = "Array buffer allocation failed"
MB = 1024 * 1024


@dataclass(frozen=True)
class Confine:
    """How to confine one pool's browsers (from Kiln's settings)."""
    sandbox: SandboxMode = "auto"
    user: str = "nobody"
    memory_mb: int = 1024     # 0: no cap
    nice: int = 0             # added to the browser's CPU niceness
    cgroup: bool = True       # False: the rlimit even where a cgroup could be had (tests)

    @classmethod
    def for_settings(cls, settings: Settings) -> Confine:
        return cls(sandbox=settings.chromium_sandbox, user=settings.chromium_user,
                   memory_mb=settings.smoke_memory_mb)


@dataclass
class MemoryCap:
    """The memory cap of one pool's browsers, as set up on this host."""
    kind: Literal["cgroup v1", "cgroup v2", "rlimit", "none"]
    limit_bytes: int = 0
    path: Path | None = None          # the cgroup's directory
    made: list[Path] = field(default_factory=list)  # directories to remove at the end

    @property
    def procs(self) -> Path | None:
        return self.path / "cgroup.procs" if self.path else None

    def oom_kills(self) -> int:
        """How many processes the kernel has killed in the cgroup for memory."""
        if self.path is None:
            return 0
        name = "memory.oom_control" if self.kind == "cgroup v1" else "memory.events"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def describe(self) -> str:
        if self.kind == "none":
            return "no memory cap"
        where = ("the browser's processes together" if self.kind != "rlimit"
                 else "each of the browser's processes")
        return f"{self.limit_bytes // MB} MB for {where}"

    def close(self, wait_s: float = 2.0) -> None:
        """Remove the cgroup once the browser's last process has left it (a closed
        browser's children take a moment to exit); a later start clears it if not."""
        deadline = time.monotonic() + wait_s
        for folder in reversed(self.made):
            while _read(folder / "cgroup.procs").strip() and time.monotonic() < deadline:
                time.sleep(0.05)
            try:
                folder.rmdir()
            except OSError:
                pass


class Confinement:
    """One pool's confinement: made when the pool starts, closed with it."""

    def __init__(self, confine: Confine, name: str) -> None:
        self.confine = confine
        limit = confine.memory_mb * MB
        self.memory = (MemoryCap("none") if not limit else memory_cap(limit, name)
                       if confine.cgroup else MemoryCap("rlimit", limit))
        # None until a browser started: whether its sandbox is on.
        self.sandboxed: bool | None = None
        self.as_user = os.geteuid() == 0 and confine.sandbox != "off"
        if self.as_user and confine.sandbox == "auto" and not _user_exists(confine.user):
            log.warning("KILN_CHROMIUM_USER=%s is no user here: the tester's Chromium runs as "
                        "root, without its sandbox", confine.user)
            self.as_user = False
            self.sandboxed = False
        if confine.sandbox == "off":
            log.warning("KILN_CHROMIUM_SANDBOX=off: the tester's Chromium runs without its sandbox")
        log.info("the tester's Chromium (%s): memory cap %s (%s)", name, self.memory.describe(),
                 self.memory.kind)

    def wants_sandbox(self) -> bool:
        """Whether the next launch should try Chromium's sandbox."""
        return self.confine.sandbox != "off" and self.sandboxed is not False

    def launch_options(self, real: str, sandbox: bool) -> dict[str, Any]:
        """What to add to Playwright's launch options: the launcher, what it is
        to do (in its environment), and whether Chromium keeps its sandbox."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KILN_CHROMIUM_")}
        env["KILN_CHROMIUM_PYTHON"] = sys.executable
        env["KILN_CHROMIUM_REAL"] = real
        if self.memory.kind.startswith("cgroup") and self.memory.procs:
            env["KILN_CHROMIUM_CGROUP"] = str(self.memory.procs)
        elif self.memory.kind == "rlimit":
            env["KILN_CHROMIUM_RLIMIT_DATA"] = str(self.memory.limit_bytes)
        if self.confine.nice:
            env["KILN_CHROMIUM_NICE"] = str(self.confine.nice)
        if self.as_user:
            env["KILN_CHROMIUM_USER"] = self.confine.user
        return {"executable_path": str(LAUNCHER), "env": env, "chromium_sandbox": sandbox}

    def close(self) -> None:
        self.memory.close()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def memory_cap(limit: int, name: str, proc: Path = Path("/proc")) -> MemoryCap:
    """A cgroup of the pool's own under this process's memory cgroup (v1), or
    under its cgroup where v2 lets Kiln make one; else an rlimit per process."""
    mine = own_cgroups(proc / "self" / "cgroup", proc / "self" / "mountinfo")
    for make in (_cgroup_v1, _cgroup_v2):
        try:
            cap = make(mine, limit, name)
        except OSError as exc:
            log.info("no memory cgroup of the tester's own (%s): %s", make.__name__, exc)
            continue
        if cap is not None:
            return cap
    return MemoryCap("rlimit", limit)


def own_cgroups(cgroup_file: Path, mountinfo: Path) -> dict[str, Path]:
    """This process's cgroup directories: "v1" (the memory controller's) and "v2"."""
    try:
        lines = cgroup_file.read_text().splitlines()
        mounts = mountinfo.read_text().splitlines()
    except OSError:
        return {}
    paths: dict[str, str] = {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            paths["v1"] = path
        elif controllers == "":
            paths["v2"] = path
    found: dict[str, Path] = {}
    for mount in mounts:
        fields = mount.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        root, point, kind = fields[3], fields[4], fields[dash + 1]
        options = fields[dash + 3].split(",") if len(fields) > dash + 3 else []
        key = "v1" if kind == "cgroup" and "memory" in options else "v2" if kind == "cgroup2" else ""
        if key and key in paths and key not in found:
            path = paths[key]
            # In a cgroup namespace (a container), the mount's root is where paths start.
            relative = path[len(root):] if root != "/" and path.startswith(root) else path
            found[key] = Path(point) / relative.lstrip("/")
    return found


def _clear_leftovers(base: Path) -> None:
    """Remove the empty cgroups of Kiln processes that ended without closing theirs
    (killed, say): their browsers are gone, and the kernel keeps an empty cgroup."""
    for folder in base.glob("kiln-smoke-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            try:
                folder.rmdir()
            except OSError:
                pass


def _cgroup_v1(mine: dict[str, Path], limit: int, name: str) -> MemoryCap | None:
    base = mine.get("v1")
    if base is None or not (base / "memory.limit_in_bytes").exists():
        return None
    _clear_leftovers(base)
    group = base / name
    group.mkdir(exist_ok=True)
    cap = MemoryCap("cgroup v1", limit, group, [group])
    try:
        (group / "memory.limit_in_bytes").write_text(str(limit))
        swap = group / "memory.memsw.limit_in_bytes"
        if swap.exists():  # with swap, the cap would only move pages to disk
            _write_quietly(swap, str(limit))
        if not os.access(group / "cgroup.procs", os.W_OK):
            raise OSError(errno.EACCES, "cannot move a process into it")
    except OSError:
        cap.close()
        raise
    return cap


def _cgroup_v2(mine: dict[str, Path], limit: int, name: str) -> MemoryCap | None:
    base = mine.get("v2")
    if base is None or "memory" not in _read(base / "cgroup.controllers").split():
        return None
    made: list[Path] = []
    if "memory" not in _read(base / "cgroup.subtree_control").split():
        # A cgroup with processes in it cannot hand controllers to children. When
        # this process is alone in its cgroup (a worker in its own service or
        # container), it moves into a child of its own first.
        try:
            (base / "cgroup.subtree_control").write_text("+memory")
        except OSError as exc:
            if exc.errno != errno.EBUSY or _read(base / "cgroup.procs").split() != [str(os.getpid())]:
                raise
            home = base / "kiln"
            home.mkdir(exist_ok=True)
            (home / "cgroup.procs").write_text(str(os.getpid()))
            (base / "cgroup.subtree_control").write_text("+memory")
    _clear_leftovers(base)
    group = base / name
    group.mkdir(exist_ok=True)
    made.append(group)
    cap = MemoryCap("cgroup v2", limit, group, made)
    try:
        (group / "memory.max").write_text(str(limit))
        _write_quietly(group / "memory.swap.max", "0")
    except OSError:
        cap.close()
        raise
    return cap


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write_quietly(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass
