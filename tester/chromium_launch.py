"""Start the tester's Chromium confined: in its memory cgroup (or under an
rlimit), at its CPU priority, and, when Kiln runs as root, as an unprivileged
user, so that Chromium's own sandbox can work (it refuses to run as root).

Playwright starts ``tester/chromium-launch`` (a two-line shell script) as if it
were Chromium; the script runs this file, which reads what to do from the
environment (:mod:`tester.confine` writes it) and then replaces itself with the
real binary, keeping its process id, arguments and the pipe to Playwright.

Standard library only, and nothing of Kiln's: it runs before any of that could
matter, once per browser start.
"""
from __future__ import annotations

import os
import pwd
import resource
import sys

REAL = "KILN_CHROMIUM_REAL"          # the Chromium binary to run
CGROUP = "KILN_CHROMIUM_CGROUP"      # a cgroup.procs file to join
RLIMIT = "KILN_CHROMIUM_RLIMIT_DATA"  # bytes: each process's data segment, where no cgroup is
NICE = "KILN_CHROMIUM_NICE"          # added to the CPU niceness
USER = "KILN_CHROMIUM_USER"          # run as this user (only when started as root)
USER_DATA_DIR = "--user-data-dir="


def main(argv: list[str]) -> None:
    real = os.environ.pop(REAL, "")
    if not real:
        sys.exit(f"{__file__}: {REAL} names no Chromium to start")
    cgroup = os.environ.pop(CGROUP, "")
    if cgroup:
        # Before anything else: every process Chromium starts is born in it.
        with open(cgroup, "w") as procs:
            procs.write(str(os.getpid()))
    limit = os.environ.pop(RLIMIT, "")
    if limit:
        resource.setrlimit(resource.RLIMIT_DATA, (int(limit), int(limit)))
    nice = os.environ.pop(NICE, "")
    if nice and int(nice):
        os.nice(int(nice))
    user = os.environ.pop(USER, "")
    if user and os.geteuid() == 0:
        become(user, argv)
    os.execv(real, [real, *argv])


def become(name: str, argv: list[str]) -> None:
    """Hand the browser's profile to ``name`` and drop every privilege of root."""
    account = pwd.getpwnam(name)
    uid, gid = account.pw_uid, account.pw_gid
    if uid == 0:
        sys.exit(f"{__file__}: {USER}={name} is root; name an unprivileged user")
    profile = next((a[len(USER_DATA_DIR):] for a in argv if a.startswith(USER_DATA_DIR)), "")
    if profile:
        # Playwright made it (as root, mode 0700) and may have put files in it.
        for folder, dirs, files in os.walk(profile):
            for entry in dirs + files:
                os.lchown(os.path.join(folder, entry), uid, gid)
        os.chown(profile, uid, gid)
        # Fonts, caches and the like go in the profile, never in root's home.
        os.environ["HOME"] = profile
        os.environ["XDG_CONFIG_HOME"] = os.path.join(profile, ".config")
        os.environ["XDG_CACHE_HOME"] = os.path.join(profile, ".cache")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.geteuid() == 0 or os.getegid() == 0:  # never go on as root by mistake
        sys.exit(f"{__file__}: could not drop root")


if __name__ == "__main__":
    main(sys.argv[1:])
