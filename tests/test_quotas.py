"""Quotas (``artifacts.quotas``): how much people with a share link may make
Kiln keep. The rules on their own; their running totals against the data on
SQLite and PostgreSQL, with writers racing; and through Kiln's HTTP API against
the default access, as visitors at chosen addresses with as many fresh cookies
as they like: per-viewer data (localStorage, personal kiln.storage, IndexedDB)
per tool, per address and per installation; visitors' remixes, versions,
restores and check sets per day, per visitor, per address and for all visitors.
Every refusal names its setting, answers 413 or 429, and loses nothing stored."""
from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app import create_app
from artifacts import Source, VersionIn, accounts, lifecycle, owner_hash, quotas
from artifacts.quotas import (DataCaps, QuotaExceeded, Today, VisitorQuotas, Writer,
                              address_network, data_refusal, grows_past, visitor_refusal)
from artifacts.tables import ArtifactStorage, ToolData
from artifacts.tool_data import DataLimits, ToolDataStore
from testkit.answers import TIP_DOC
from testkit.clients import Client
from testkit.serving import DEFAULT_ACCESS, make_settings, serve_kiln
from testkit.signing import sign_in

HOST = "127.0.0.1:5000"
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


# -- the rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("address,network", [
    ("203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),   # anywhere in the /64
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("::ffff:203.0.113.9", "203.0.113.9"),                       # IPv4 in IPv6: the IPv4 one
    ("fe80::1%eth0", "fe80::/64"),                                # a zone: dropped
    (" 203.0.113.9 ", "203.0.113.9"),
    ("", "unknown"), (None, "unknown"), ("not an address", "unknown"), ("1.2.3.4.5", "unknown"),
])
def test_an_address_counts_as_its_ipv4_address_or_its_ipv6_64(address, network):
    assert address_network(address) == network


def test_the_stored_address_is_keyed_and_tells_nothing():
    key = quotas.address_key("203.0.113.9", "secret")
    assert key == quotas.address_key("203.0.113.9", "secret") != quotas.address_key("203.0.113.9", "x")
    assert "203" not in key and len(key) == 64
    assert quotas.address_key("2001:db8::1", "s") == quotas.address_key("2001:db8::ffff", "s")


def test_a_write_that_shrinks_or_keeps_a_total_always_passes():
    assert grows_past(100, 101, 100)
    assert not grows_past(100, 100, 100) and not grows_past(0, 100, 100)
    assert not grows_past(500, 400, 100)   # over a lowered cap: saving less still works
    assert not grows_past(0, 10**12, 0)    # 0: no cap


CAPS = DataCaps(tool_bytes=1000, address_bytes=300, total_bytes=5000)


def test_data_refusals_name_their_setting_and_spare_members():
    within = dict(tool=(0, 100), address=(0, 100), total=(0, 100))
    assert data_refusal(CAPS, member=False, shared=False, **within) is None
    for field, setting in (("tool", "KILN_VIEWER_DATA_MAX_TOOL_BYTES"),
                           ("address", "KILN_VIEWER_DATA_MAX_ADDRESS_BYTES"),
                           ("total", "KILN_TOOL_DATA_MAX_TOTAL_BYTES")):
        over = {**within, field: (0, 10_000)}
        refusal = data_refusal(CAPS, member=False, shared=False, **over)
        assert isinstance(refusal, QuotaExceeded)
        assert refusal.status == 413 and refusal.code == "too_large" and refusal.setting == setting
        assert setting in str(refusal) and "Nothing new was saved" in str(refusal)
        spared = data_refusal(CAPS, member=True, shared=False, **over)
        shared = data_refusal(CAPS, member=False, shared=True, **over)
        if field == "total":  # everyone meets the installation's cap
            assert spared is not None and shared is not None
        else:
            assert spared is None and shared is None


def test_visitor_refusals_per_visitor_then_address_then_everyone():
    q = VisitorQuotas(remixes=2, versions=3, bytes=1000, all_writes=10, all_bytes=5000)

    nothing = Today()

    def why(kind="remix", size=10, visitor=nothing, address=nothing, everyone=nothing):
        return visitor_refusal(q, kind, size, visitor=visitor, address=address,
                               everyone=everyone, now=NOON)

    assert why() is None
    cases = [
        (dict(visitor=Today(remixes=2)), 429, "KILN_VISITOR_DAILY_REMIXES", "You have made 2 remixes"),
        (dict(address=Today(remixes=2)), 429, "KILN_VISITOR_DAILY_REMIXES", "at your address"),
        (dict(kind="version", visitor=Today(versions=3)), 429, "KILN_VISITOR_DAILY_VERSIONS", "3 versions"),
        (dict(visitor=Today(bytes=995)), 429, "KILN_VISITOR_DAILY_BYTES", "995 bytes"),
        (dict(address=Today(bytes=995)), 429, "KILN_VISITOR_DAILY_BYTES", "at your address"),
        (dict(everyone=Today(remixes=4, versions=6)), 429, "KILN_VISITORS_DAILY_WRITES", "10 remixes"),
        (dict(everyone=Today(bytes=4995)), 429, "KILN_VISITORS_DAILY_BYTES", "4,995 bytes"),
        (dict(size=1001), 413, "KILN_VISITOR_DAILY_BYTES", "1,001 bytes"),
    ]
    for args, status, setting, words in cases:
        refusal = why(**args)
        assert refusal is not None, args
        assert (refusal.status, refusal.setting) == (status, setting), args
        assert setting in str(refusal) and words in str(refusal), str(refusal)
        # A daily quota says when it renews (midnight UTC); too big is never a matter of time.
        assert refusal.retry_after == (12 * 3600 + 1 if status == 429 else None)
    # Remixes and versions are counted apart; bytes together.
    assert why(kind="version", visitor=Today(remixes=2)) is None
    assert why(kind="remix", visitor=Today(versions=3)) is None
    unlimited = VisitorQuotas(0, 0, 0, 0, 0)
    assert visitor_refusal(unlimited, "remix", 10**9, visitor=Today(10**6, 10**6, 10**12),
                           address=Today(), everyone=Today(), now=NOON) is None


# -- the running totals, against the data ------------------------------------------------------

def new_tool(store, owner="owner-token") -> str:
    return store.create_artifact("t", VersionIn(html="<p>t</p>", source=Source.IMPORTED),
                                 owner)[0].id


def held(store, artifact_id) -> dict[str, int]:
    """What the tool's rows hold, added up the slow way: the totals must say the same."""
    with store.reading() as session:
        viewers = session.scalar(select(func.coalesce(func.sum(ArtifactStorage.size), 0))
                                 .where(ArtifactStorage.artifact_id == artifact_id)) or 0
        viewers += session.scalar(select(func.coalesce(func.sum(ToolData.size), 0)).where(
            ToolData.artifact_id == artifact_id, ToolData.scope != "shared")) or 0
        shared = session.scalar(select(func.coalesce(func.sum(ToolData.size), 0)).where(
            ToolData.artifact_id == artifact_id, ToolData.scope == "shared")) or 0
        found = {"": viewers, "shared": shared}
        for table, where in ((ArtifactStorage, ()), (ToolData, (ToolData.scope != "shared",))):
            for address, size in session.execute(
                    select(table.address, func.sum(table.size))
                    .where(table.artifact_id == artifact_id, table.address.is_not(None), *where)
                    .group_by(table.address)):
                found[address] = found.get(address, 0) + int(size)
        return {k: int(v) for k, v in found.items() if v or k in ("", "shared")}


def totals(store, artifact_id) -> dict[str, int]:
    with store.reading() as session:
        found = quotas.usage(session, artifact_id)
    return {k: v for k, v in {"": 0, "shared": 0, **found}.items() if v or k in ("", "shared")}


def installation(store) -> int:
    with store.reading() as session:
        return quotas.installation_total(session)


def test_running_totals_follow_every_kind_of_write(store):
    data = ToolDataStore(store, DataLimits(4096, 64 * 1024, 8192))
    tools = [new_tool(store), new_tool(store)]
    tokens = [f"viewer-{i}" for i in range(4)]
    writers = [Writer(owner_hash(t), f"address-{i % 2}", member=False) for i, t in enumerate(tokens)]
    rng = random.Random(7)
    for _ in range(120):
        tool, who = rng.choice(tools), rng.choice(writers)
        writer = rng.choice([who, Writer(who.visitor, "address-9", False),
                             Writer(who.visitor, "", True), None])
        op = rng.choice(["storage", "set", "delete", "idb", "shared", "unshare"])
        key = rng.choice("abc")
        if op == "storage":
            store.save_storage(tool, who.visitor, {key: "x" * rng.randrange(0, 300)}, writer)
        elif op == "set":
            data.set(tool, "personal", who.visitor, key, json.dumps("y" * rng.randrange(300)),
                     writer=writer)
        elif op == "delete":
            data.delete(tool, "personal", who.visitor, key)
        elif op == "idb":
            data.save_indexeddb(tool, who.visitor, json.dumps(["z" * rng.randrange(300)]), writer)
        elif op == "shared":
            data.set(tool, "shared", "", key, json.dumps(rng.randrange(10**6)), writer=writer)
        else:
            data.delete(tool, "shared", "", key)
        assert totals(store, tool) == held(store, tool)
    assert installation(store) == sum(sum(held(store, t)[h] for h in ("", "shared")) for t in tools)

    # A browser's data follows it to its account: the totals do not change.
    owner = accounts.ensure_owner(store)
    accounts.claim_browser_tools(store, tokens[0], owner.id)
    assert all(totals(store, t) == held(store, t) for t in tools)
    # The owner clears shared data, deletes a tool: the installation's total follows.
    data.clear_shared(tools[0])
    assert totals(store, tools[0]) == held(store, tools[0])
    kept = sum(held(store, tools[1])[h] for h in ("", "shared"))
    lifecycle.delete(store, tools[0], "owner-token")
    assert installation(store) == kept
    assert totals(store, tools[0]) == {"": 0, "shared": 0}


def test_racing_writers_never_pass_a_cap_and_lose_nothing(store):
    caps = DataCaps(tool_bytes=20_000, address_bytes=0, total_bytes=0)
    data = ToolDataStore(store, DataLimits(4096, 64 * 1024, 8192), caps)
    tool = new_tool(store)
    kept, refused = [], []

    def viewer(i: int) -> None:
        writer = Writer(f"{i:064}", f"address-{i}", member=False)
        for n in range(6):
            try:
                if n % 2:
                    data.save_indexeddb(tool, writer.visitor, json.dumps("v" * 990), writer)
                else:
                    data.set(tool, "personal", writer.visitor, f"k{n}", json.dumps("v" * 998),
                             writer=writer)
                kept.append(i)
            except QuotaExceeded:
                refused.append(i)

    threads = [threading.Thread(target=viewer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(kept) + len(refused) == 48 and refused
    assert totals(store, tool) == held(store, tool)
    assert 20_000 - 1002 < held(store, tool)[""] <= 20_000


def test_visitors_racing_for_the_last_remix_get_exactly_the_quota(store):
    q = VisitorQuotas(remixes=5, versions=0, bytes=0, all_writes=0, all_bytes=0)
    won, lost = [], []

    def remix(i: int) -> None:
        try:
            with store.writing() as session:
                quotas.reserve(session, q, Writer(f"{i:064}", "one-address", False), "remix", 10)
            won.append(i)
        except QuotaExceeded as exc:
            assert exc.status == 429
            lost.append(i)

    threads = [threading.Thread(target=remix, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert (len(won), len(lost)) == (5, 7)


def test_yesterday_no_longer_counts(store):
    q = VisitorQuotas(remixes=1, versions=0, bytes=0, all_writes=0, all_bytes=0)
    visitor = Writer("v" * 64, "a", False)
    yesterday = NOON.replace(day=7)
    with store.writing() as session:
        quotas.reserve(session, q, visitor, "remix", 1, now=yesterday)
    with store.writing() as session:
        place = quotas.reserve(session, q, visitor, "remix", 1, now=NOON)
    with pytest.raises(QuotaExceeded), store.writing() as session:
        quotas.reserve(session, q, visitor, "remix", 1, now=NOON)
    with store.writing() as session:  # a write that failed gives its place back
        quotas.give_back(session, place)
    with store.writing() as session:
        quotas.reserve(session, q, visitor, "remix", 1, now=NOON)


def test_the_migration_starts_the_totals_from_what_is_stored(database_url):
    """An installation that kept data before the quotas: its totals start right."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from artifacts import Store
    from artifacts.store import MIGRATIONS

    store = Store(database_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
        before = ScriptDirectory.from_config(config).get_revision("0012_quotas").down_revision
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, str(before))
            now = datetime.now(UTC)
            for tool in ("a", "b", "c"):
                connection.execute(text(
                    "INSERT INTO artifacts (id, title, created_at, updated_at)"
                    " VALUES (:id, 't', :now, :now)"), {"id": tool, "now": now})
            for tool, viewer, size in (("a", "v1", 100), ("a", "v2", 50), ("b", "v1", 7)):
                connection.execute(text(
                    "INSERT INTO artifact_storage (artifact_id, viewer_hash, data, size, updated_at)"
                    " VALUES (:a, :v, '{}', :size, :now)"), {"a": tool, "v": viewer, "size": size,
                                                           "now": now})
            for tool, scope, viewer, key, size in (("a", "personal", "v1", "k", 20),
                                                   ("a", "indexeddb", "v1", "", 30),
                                                   ("a", "shared", "", "k", 400),
                                                   ("c", "shared", "", "k", 9)):
                connection.execute(text(
                    "INSERT INTO tool_data (artifact_id, scope, viewer_hash, key, value, size,"
                    " revision, updated_at) VALUES (:a, :s, :v, :k, '1', :size, 1, :now)"),
                    {"a": tool, "s": scope, "v": viewer, "k": key, "size": size, "now": now})
        store.migrate()
        assert totals(store, "a") == {"": 200, "shared": 400} == held(store, "a")
        assert totals(store, "b") == {"": 7, "shared": 0}
        assert totals(store, "c") == {"": 0, "shared": 9}
        assert installation(store) == 616
    finally:
        store.dispose()


# -- through Kiln's API --------------------------------------------------------------------------

class At(Client):
    """A browser with its own cookies, at one address."""

    def __init__(self, app, address: str):
        super().__init__(app, HOST)
        self.address = address

    def _env(self, kw: dict) -> dict:
        return {**kw, "environ_base": {"REMOTE_ADDR": self.address, **kw.get("environ_base", {})}}

    def get(self, path, **kw):
        return super().get(path, **self._env(kw))

    def write(self, method, path, **kw):
        return super().write(method, path, **self._env(kw))

    def put(self, path, **kw):
        return self.write("put", path, **kw)


@pytest.fixture
def quota_app(tmp_path, request):
    """Kiln with the default access and the settings the test names."""
    app = create_app(make_settings(tmp_path, access=DEFAULT_ACCESS, **request.param))
    app.config["TESTING"] = True
    yield app
    app.extensions["kiln"].close()


def quota_settings(**values):
    return pytest.mark.parametrize("quota_app", [values], indirect=True, ids=[""])


def shared_tool(app, html: str = TIP_DOC) -> str:
    kiln = app.extensions["kiln"]
    return kiln.import_html(html, accounts.ensure_owner(kiln.store).key).artifact.id


def save_local(who: At, tool: str, chars: int, key: str = "k"):
    """The localStorage shim's save: ``chars`` characters, 2 bytes each (+ the key's)."""
    return who.put(f"/api/artifacts/{tool}/storage", json={"data": {key: "x" * chars}})


def save_personal(who: At, tool: str, size: int, key: str = "k"):
    return who.post(f"/api/artifacts/{tool}/data/personal",
                    json={"op": "set", "key": key, "value": json.dumps("p" * (size - 2))})


def save_idb(who: At, tool: str, size: int):
    return who.put(f"/api/artifacts/{tool}/indexeddb", data=json.dumps("i" * (size - 2)),
                   headers={"Content-Type": "application/json"})


def refused(response, status: int, setting: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert setting in response.json["error"] and response.json["setting"] == setting
    assert response.json["code"] == ("too_large" if status == 413 else "quota")


@quota_settings(viewer_data_max_address_bytes=4000, viewer_data_max_tool_bytes=10_000)
def test_fresh_cookies_cannot_fill_a_tool_from_one_address(quota_app):
    kiln, tool = quota_app.extensions["kiln"], shared_tool(quota_app)
    first, second = At(quota_app, "198.51.100.7"), At(quota_app, "198.51.100.7")
    assert save_local(first, tool, 999).status_code == 200           # 2,000 bytes with its key
    assert save_personal(second, tool, 999).status_code == 200       # 1,000
    assert save_idb(At(quota_app, "198.51.100.7"), tool, 1000).status_code == 200  # 1,000: full
    # Every channel, from every fresh cookie at that address: refused, naming the setting.
    for attempt in (save_local(At(quota_app, "198.51.100.7"), tool, 10),
                    save_personal(At(quota_app, "198.51.100.7"), tool, 10),
                    save_idb(At(quota_app, "198.51.100.7"), tool, 10),
                    save_local(first, tool, 1000)):               # growing one's own data too
        refused(attempt, 413, "KILN_VIEWER_DATA_MAX_ADDRESS_BYTES")
    # Nothing already stored is lost; saving less always works.
    assert kiln.store.load_storage(tool, owner_hash_of(quota_app, first)) == {"k": "x" * 999}
    assert save_local(first, tool, 499).status_code == 200
    assert save_personal(At(quota_app, "198.51.100.7"), tool, 998).status_code == 200

    # Other addresses fill the rest of the tool's space for viewers, then meet its cap.
    sizes = []
    for n in range(20):
        response = save_local(At(quota_app, f"203.0.113.{n}"), tool, 999)
        if response.status_code != 200:
            refused(response, 413, "KILN_VIEWER_DATA_MAX_TOOL_BYTES")
            break
        sizes.append(response.json["size"])
    with kiln.store.reading() as session:
        stored = quotas.usage(session, tool)[""]
    assert len(sizes) == 3 and 10_000 - 2000 < stored <= 10_000


def owner_hash_of(app, who: Client) -> str:
    """The viewer key of a test browser, from its signed cookie."""
    from itsdangerous import URLSafeSerializer

    from testkit.signing import owner_cookie_name
    from web.ownership import SALT
    raw = who.http.get_cookie(owner_cookie_name(app), domain="127.0.0.1").value
    return owner_hash(URLSafeSerializer(app.secret_key, salt=SALT).loads(raw))


@quota_settings(viewer_data_max_address_bytes=2000, viewer_data_max_tool_bytes=3000,
                tool_data_max_total_bytes=12_000)
def test_members_meet_only_the_installations_cap(quota_app):
    kiln, tool = quota_app.extensions["kiln"], shared_tool(quota_app)
    owner = At(quota_app, "198.51.100.7")
    sign_in(owner, kiln)
    assert save_local(owner, tool, 2999).status_code == 200          # 6,000 bytes: past both caps
    assert save_personal(owner, tool, 2000).status_code == 200
    # A visitor at the same address is held to the tool's cap, which the owner filled.
    refused(save_local(At(quota_app, "198.51.100.7"), tool, 10), 413,
            "KILN_VIEWER_DATA_MAX_TOOL_BYTES")
    # Shared data has its own cap per tool, but counts in the installation's.
    visitor = At(quota_app, "203.0.113.1")
    assert visitor.post(f"/api/artifacts/{tool}/grants", json={"grant": "shared"}).status_code == 200
    shared = lambda who, n, key: who.post(f"/api/artifacts/{tool}/data/shared", json={  # noqa: E731
        "op": "set", "key": key, "value": json.dumps("s" * n)})
    assert shared(visitor, 1500, "a").status_code == 200
    # The installation's cap holds for everyone: the owner, shared data, another tool.
    other = shared_tool(quota_app)
    assert save_local(owner, other, 1000).status_code == 200
    with kiln.store.reading() as session:
        used = quotas.installation_total(session)
    assert 10_000 < used <= 12_000
    refused(save_local(owner, other, 1500), 413, "KILN_TOOL_DATA_MAX_TOTAL_BYTES")
    refused(shared(visitor, 2000, "b"), 413, "KILN_TOOL_DATA_MAX_TOTAL_BYTES")
    refused(save_personal(owner, other, 2000), 413, "KILN_TOOL_DATA_MAX_TOTAL_BYTES")
    # Deleting a tool makes room again.
    assert owner.post(f"/a/{other}/delete", data={"csrf_token": owner.token()}).status_code == 303
    assert save_personal(owner, tool, 1000, key="again").status_code == 200


def remix(who: At, tool: str):
    return who.post(f"/api/artifacts/{tool}/remix", json={})


@quota_settings(visitor_daily_remixes=2)
def test_visitors_remixes_per_visitor_and_per_address(quota_app):
    kiln, tool = quota_app.extensions["kiln"], shared_tool(quota_app)
    before = count_tools(kiln)
    visitor = At(quota_app, "198.51.100.7")
    assert [remix(visitor, tool).status_code for _ in range(2)] == [201, 201]
    third = remix(visitor, tool)
    refused(third, 429, "KILN_VISITOR_DAILY_REMIXES")
    assert "You have made 2 remixes today" in third.json["error"]
    assert 0 < int(third.headers["Retry-After"]) <= 24 * 3600 + 1
    # A fresh cookie at the same address resets nothing; another address has its own.
    fresh = remix(At(quota_app, "198.51.100.7"), tool)
    refused(fresh, 429, "KILN_VISITOR_DAILY_REMIXES")
    assert "at your address" in fresh.json["error"]
    assert remix(At(quota_app, "198.51.100.8"), tool).status_code == 201
    # IPv6: one /64 is one address, wherever in it the visitor hops.
    for n in ("1", "2"):
        assert remix(At(quota_app, f"2001:db8:1:2::{n}"), tool).status_code == 201
    refused(remix(At(quota_app, "2001:db8:1:2:ffff::9"), tool), 429, "KILN_VISITOR_DAILY_REMIXES")
    assert remix(At(quota_app, "2001:db8:1:3::1"), tool).status_code == 201
    # The form says so too, on the page.
    page = At(quota_app, "198.51.100.7")
    form = page.post(f"/a/{tool}/remix", data={"csrf_token": page.token()})
    assert form.status_code == 429 and b"KILN_VISITOR_DAILY_REMIXES" in form.data
    # The owner remixes as much as they like.
    owner = At(quota_app, "198.51.100.7")
    sign_in(owner, kiln)
    assert [remix(owner, tool).status_code for _ in range(3)] == [201] * 3
    assert count_tools(kiln) == before + 2 + 1 + 2 + 1 + 3  # nothing made by a refusal


def count_tools(kiln) -> int:
    from artifacts.tables import Artifact
    with kiln.store.reading() as session:
        return session.scalar(select(func.count()).select_from(Artifact))


@quota_settings(visitor_daily_versions=3)
def test_visitors_versions_restores_and_check_sets(quota_app):
    kiln, tool = quota_app.extensions["kiln"], shared_tool(quota_app)
    visitor = At(quota_app, "198.51.100.7")
    mine = remix(visitor, tool).json["id"]
    api = f"/api/artifacts/{mine}"
    edit = lambda who, n: who.post(f"{api}/versions", json={  # noqa: E731
        "html": TIP_DOC.replace("0.15", f"0.{n}")})
    # A refusal for bad input counts nothing.
    assert visitor.post(f"{api}/versions", json={"html": ""}).status_code == 400
    assert edit(visitor, 16).status_code == 201
    assert visitor.post(f"{api}/restore", json={"version": 1}).status_code == 201
    assert visitor.put(f"{api}/checks", json={"checks": []}).status_code == 200
    for attempt in (edit(visitor, 17), visitor.post(f"{api}/restore", json={"version": 1}),
                    visitor.put(f"{api}/checks", json={"checks": []})):
        refused(attempt, 429, "KILN_VISITOR_DAILY_VERSIONS")
        assert attempt.headers["Retry-After"]
    form = visitor.post(f"/a/{mine}/versions", data={"html": TIP_DOC, "csrf_token": visitor.token()})
    assert form.status_code == 429 and b"KILN_VISITOR_DAILY_VERSIONS" in form.data
    assert [v.number for v in kiln.store.list_versions(mine)] == [1, 2, 3]  # nothing lost or added
    # A fresh cookie at the address remixes anew (its own quota), but makes no more versions.
    again = At(quota_app, "198.51.100.7")
    theirs = remix(again, tool).json["id"]
    refused(again.post(f"/api/artifacts/{theirs}/versions", json={"html": TIP_DOC}), 429,
            "KILN_VISITOR_DAILY_VERSIONS")
    # The owner's own tool takes every version they save.
    owner = At(quota_app, "198.51.100.7")
    sign_in(owner, kiln)
    assert all(owner.post(f"/api/artifacts/{tool}/versions", json={
        "html": TIP_DOC.replace("0.15", f"0.{n}")}).status_code == 201 for n in range(20, 25))


@quota_settings(visitor_daily_bytes=3 * len(TIP_DOC) + 10, visitors_daily_writes=6)
def test_visitors_bytes_a_day_and_all_visitors_together(quota_app):
    kiln, tool = quota_app.extensions["kiln"], shared_tool(quota_app)
    visitor = At(quota_app, "198.51.100.7")
    mine = remix(visitor, tool).json["id"]
    big = TIP_DOC.replace("</body>", "<!--" + "x" * (4 * len(TIP_DOC)) + "--></body>")
    refused(visitor.post(f"/api/artifacts/{mine}/versions", json={"html": big}), 413,
            "KILN_VISITOR_DAILY_BYTES")
    assert visitor.post(f"/api/artifacts/{mine}/versions", json={"html": TIP_DOC}).status_code == 201
    assert visitor.post(f"/api/artifacts/{mine}/restore", json={"version": 1}).status_code == 201
    refused(visitor.post(f"/api/artifacts/{mine}/versions", json={"html": TIP_DOC}), 429,
            "KILN_VISITOR_DAILY_BYTES")
    # Every visitor together: three more writes from other addresses, then none.
    for n in range(3):
        assert remix(At(quota_app, f"203.0.113.{n}"), tool).status_code == 201
    refused(remix(At(quota_app, "203.0.113.99"), tool), 429, "KILN_VISITORS_DAILY_WRITES")
    assert len(kiln.store.list_versions(mine)) == 3


@pytest.mark.parametrize("proxies,apart", [(1, True), (0, False)])
def test_the_address_is_the_one_flask_sees_behind_trusted_proxies(tmp_path, proxies, apart):
    app = create_app(make_settings(tmp_path, access=DEFAULT_ACCESS, visitor_daily_remixes=1,
                                   trusted_proxies=proxies))
    try:
        tool = shared_tool(app)
        via = lambda address: At(app, "10.0.0.1").post(  # noqa: E731  (all through one proxy)
            f"/api/artifacts/{tool}/remix", json={}, headers={"X-Forwarded-For": address})
        assert via("198.51.100.7").status_code == 201
        assert via("198.51.100.8").status_code == (201 if apart else 429)
        assert via("198.51.100.7").status_code == 429  # a forwarded address is no way around it
    finally:
        app.extensions["kiln"].close()


@pytest.mark.browser  # Kiln over real HTTP
def test_one_address_stores_no_more_than_the_settings_bound(tmp_path, capsys):
    """The disk benchmark's attack (every channel, a fresh cookie each time), at
    small settings: what it stores stops at the bound the settings give."""
    from bench.disk_bench import attack, bound

    small = dict(viewer_data_max_address_bytes=40_000, data_max_value_bytes=4096,
                 data_max_tool_bytes=16_384, indexeddb_max_bytes=8192, max_artifact_bytes=8192,
                 visitor_daily_bytes=30_000)
    with serve_kiln(tmp_path, access=DEFAULT_ACCESS, **small) as server:
        tool = shared_tool(server.app)
        stored = attack(server, tool, rounds=12, seconds=60)
        limit = bound(server.settings)
    with capsys.disabled():
        print(f"\none address, one tool, {stored.rounds} rounds: {stored.total:,} bytes kept "
              f"(per-viewer {stored.viewer_data:,}, shared {stored.shared:,}, remixes "
              f"{stored.remixes:,}); the settings' bound: {limit:,}")
    assert stored.refused and limit is not None
    assert 40_000 - 4096 < stored.viewer_data <= 40_000
    assert 30_000 - 8192 < stored.remixes <= 30_000
    assert stored.total <= limit
