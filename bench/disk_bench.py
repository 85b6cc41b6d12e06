"""How much one address can make Kiln keep for one tool, with a fresh cookie
for every request, for at most a minute: per-viewer data (localStorage,
personal kiln.storage, IndexedDB), shared data, and remixes of the tool with
versions saved into them. Kiln over real HTTP on loopback with the default
settings and access, as a visitor with a share link, once with the quotas as
they are by default and once with them all turned off (the baseline, in the
same run): with them, what is stored stops at the bound the settings give;
without, it grows with every cookie and version.

    .venv/bin/python -m bench.disk_bench [--seconds 60] [--rounds 8]

Each save is as large as the per-viewer limits allow, so the attack reaches
the bound as fast as it can. The run with the quotas goes on for --seconds;
the one without stops after --rounds (it would fill the disk otherwise).
Loopback only; the rate limits answer past their rate (counted as refused).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from artifacts import accounts, quotas  # noqa: E402
from artifacts.store import STORAGE_QUOTA  # noqa: E402
from artifacts.tables import Artifact, Version  # noqa: E402
from testkit.answers import TIP_DOC  # noqa: E402
from testkit.clients import HttpBrowser  # noqa: E402
from testkit.serving import DEFAULT_ACCESS, serve_kiln  # noqa: E402

MIB = 1024 * 1024
# Every quota off: what the same attack stores when only the per-viewer limits hold.
NO_QUOTAS = dict(viewer_data_max_tool_bytes=0, viewer_data_max_address_bytes=0,
                 tool_data_max_total_bytes=0, visitor_daily_remixes=0, visitor_daily_versions=0,
                 visitor_daily_bytes=0, visitors_daily_writes=0, visitors_daily_bytes=0)


@dataclass
class Stored:
    viewer_data: int = 0
    shared: int = 0
    remixes: int = 0       # the remixes and the versions saved into them
    seconds: float = 0.0
    rounds: int = 0
    requests: int = 0
    refused: int = 0       # answers 413 or 429

    @property
    def total(self) -> int:
        return self.viewer_data + self.shared + self.remixes


def bound(settings) -> int | None:
    """The most one address may make Kiln keep for one tool, by the settings:
    its part of the tool's per-viewer data (or all of it, if that is smaller),
    the tool's shared data, and what visitors there may add a day in remixes
    and versions. None: no bound (a quota is off)."""
    caps = [c for c in (settings.viewer_data_max_address_bytes,
                        settings.viewer_data_max_tool_bytes) if c]
    if not caps or not settings.visitor_daily_bytes:
        return None
    return min(caps) + settings.data_max_tool_bytes + settings.visitor_daily_bytes


def attack(server, tool: str, rounds: int, seconds: float) -> Stored:
    """One address, every channel at its largest, in rounds until ``rounds``
    or ``seconds`` run out. A round: a fresh cookie saves all the per-viewer
    data it may; one more shared value; one version into a remix of the tool
    (a fresh cookie remixes it whenever the last remix takes no more)."""
    settings, store = server.settings, server.kiln.store
    value_chars = settings.data_max_value_bytes - 64           # one kiln.storage value
    per_viewer = settings.data_max_tool_bytes // (value_chars + 16)
    big = TIP_DOC.replace("</body>", "<!--" + "v" * (settings.max_artifact_bytes - len(TIP_DOC)
                                                     - 64) + "--></body>")
    statuses: list[int] = []
    base = f"/api/artifacts/{tool}"

    def send(me: HttpBrowser, method: str, path: str, **kw) -> int:
        response = me.http.request(method, path, headers={"X-CSRFToken": me.token,
                                                          **kw.pop("headers", {})}, **kw)
        statuses.append(response.status_code)
        return response.status_code

    sharer = HttpBrowser(server.app_origin)
    send(sharer, "POST", f"{base}/grants", json={"grant": "shared"})
    remix: tuple[HttpBrowser, str] | None = None
    started = time.monotonic()
    done = 0
    while done < rounds and time.monotonic() - started < seconds:
        done += 1
        me = HttpBrowser(server.app_origin)
        try:
            send(me, "PUT", f"{base}/storage",
                 json={"data": {"k": "x" * (STORAGE_QUOTA // 2 - 1)}})
            for n in range(per_viewer):
                send(me, "POST", f"{base}/data/personal",
                     json={"op": "set", "key": f"k{n}", "value": json.dumps("p" * value_chars)})
            send(me, "PUT", f"{base}/indexeddb",
                 content=json.dumps("i" * (settings.indexeddb_max_bytes - 64)),
                 headers={"Content-Type": "application/json"})
        finally:
            me.close()
        send(sharer, "POST", f"{base}/data/shared",
             json={"op": "set", "key": f"s{done}", "value": json.dumps("s" * value_chars)})
        if remix is None:
            me = HttpBrowser(server.app_origin)
            answer = me.post(f"{base}/remix", json={})
            statuses.append(answer.status_code)
            if answer.status_code != 201:
                me.close()
                continue
            remix = (me, answer.json()["id"])
        if send(remix[0], "POST", f"/api/artifacts/{remix[1]}/versions", json={"html": big}) != 201:
            remix[0].close()
            remix = None
    elapsed = time.monotonic() - started
    sharer.close()
    if remix is not None:
        remix[0].close()

    with store.reading() as session:
        usage = quotas.usage(session, tool)
        remixed = session.scalar(
            select(func.coalesce(func.sum(func.length(Version.html)), 0)).join(Artifact)
            .where(Artifact.forked_from_id == tool)) or 0
    return Stored(viewer_data=usage.get(quotas.VIEWERS, 0), shared=usage.get(quotas.SHARED, 0),
                  remixes=int(remixed), seconds=elapsed, rounds=done,
                  refused=sum(s in (413, 429) for s in statuses), requests=len(statuses))


def run(overrides: dict, rounds: int, seconds: float) -> tuple[Stored, int | None]:
    with tempfile.TemporaryDirectory() as tmp, \
            serve_kiln(Path(tmp), access=DEFAULT_ACCESS, **overrides) as server:
        owner = accounts.ensure_owner(server.kiln.store)
        tool = server.kiln.import_html(TIP_DOC, owner.key).artifact.id
        return attack(server, tool, rounds, seconds), bound(server.settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="the run with the quotas")
    parser.add_argument("--rounds", type=int, default=8,
                        help="the run without them (each round keeps up to 11 MiB)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    on, limit = run({}, 100_000, args.seconds)
    off, _ = run(NO_QUOTAS, args.rounds, args.seconds)
    assert limit is not None
    rows = [("per-viewer data", on.viewer_data, off.viewer_data),
            ("shared data", on.shared, off.shared),
            ("remixes and their versions", on.remixes, off.remixes),
            ("total", on.total, off.total)]
    print("One address, one tool, a fresh cookie for every viewer and remix, every save as "
          "large as the per-viewer limits allow.")
    print(f"{'':30}{'quotas (defaults)':>20}{'quotas off':>14}")
    for name, a, b in rows:
        print(f"{name:30}{a / MIB:>16.1f} MiB{b / MIB:>10.1f} MiB")
    for name, a, b in (("seconds", f"{on.seconds:.1f}", f"{off.seconds:.1f}"),
                       ("rounds", on.rounds, off.rounds), ("requests", on.requests, off.requests),
                       ("refused (413 or 429)", on.refused, off.refused)):
        print(f"{name:30}{a:>20}{b:>14}")
    print(f"The most one address stored for one tool in {on.seconds:.0f} s with the defaults: "
          f"{on.total / MIB:.1f} MiB; the settings bound it by {limit / MIB:.1f} MiB "
          "(KILN_VIEWER_DATA_MAX_ADDRESS_BYTES + KILN_DATA_MAX_TOOL_BYTES + "
          "KILN_VISITOR_DAILY_BYTES, the last per day).")
    print(f"Without the quotas, {off.rounds} rounds stored {off.total / max(on.total, 1):.1f}x "
          "as much, and each further round adds about "
          f"{off.total / max(off.rounds, 1) / MIB:.0f} MiB.")
    if on.total > limit:
        raise SystemExit("over the bound: a quota does not hold")


if __name__ == "__main__":
    main()
