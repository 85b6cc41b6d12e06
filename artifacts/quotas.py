"""Quotas: how much people with a share link may make the server keep.

A viewer is any cookie Kiln mints, so a limit per viewer bounds nothing by
itself. These rules bound the disk:

- **Per-viewer data** (a tool's localStorage, personal ``kiln.storage`` and
  IndexedDB): all viewers of one tool together, and within that the part
  written from one address; and everything every tool keeps (shared data too)
  on the installation. The owner and members are held to the installation's
  cap only.
- **Visitors' remixes and versions** (a visitor may not generate, but may remix
  any tool they have the link of and change the remix by hand): per day, for
  each visitor and, apart, for each address (a fresh cookie resets nothing),
  and for all visitors together.

A refusal is a ``QuotaExceeded``: a message for a person that names the
setting, the HTTP status (413: it does not fit; 429: a daily quota, until
midnight UTC) and a code the tool's page acts on. Every check runs in the
transaction of the write it guards, before anything is committed, so a refusal
loses nothing already stored; a write that shrinks what is kept always passes.

Nothing here adds up every viewer's rows: per-tool and installation totals are
running sums (``DataUsage``, ``UsageTotal``) changed in the same transaction as
the data, and a daily count reads an index of the visitors' log, at most a
quota's worth of rows.

The rules (``address_network``, ``grows_past``, ``data_refusal``,
``visitor_refusal``) are plain functions; the rest applies them to a session.
"""
from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from .tables import Artifact, DataUsage, UsageTotal, VisitorWrite, utcnow
from .errors import KilnError

VIEWERS = ""          # DataUsage.holder: all viewers' data in one tool
SHARED = "shared"     # DataUsage.holder: the tool's shared data
TOTAL = "tool_data"   # UsageTotal.name: everything every tool keeps
REMIX, VERSION = "remix", "version"
# Visitors' writes serialise on this PostgreSQL advisory lock, so two at once
# cannot both take a quota's last place (SQLite's writers are serial already).
VISITOR_LOCK = 7270612

__all__ = ["DataCaps", "Held", "QuotaExceeded", "Today", "VisitorQuotas", "Writer",
           "address_key", "address_network", "charge", "data_refusal", "forget_tool",
           "give_back", "grows_past", "hold_tool", "release_shared", "reserve",
           "visitor_refusal"]


class QuotaExceeded(KilnError):
    """A write refused by a cap or a quota. ``status`` is the HTTP answer (413
    or 429), ``setting`` the variable that sets the limit, ``code`` what the
    tool's page may act on, ``retry_after`` the seconds until a daily quota
    renews (None for a cap)."""

    def __init__(self, message: str, status: int, setting: str, retry_after: int | None = None):
        super().__init__(message, status, "too_large" if status == 413 else "quota")
        self.setting = setting
        self.retry_after = retry_after

    def details(self) -> dict[str, Any]:
        return {"setting": self.setting}


@dataclass(frozen=True)
class Writer:
    """Who asks to write, as the quotas count them."""
    visitor: str   # their owner hash: the viewer key, or a visitor's
    address: str   # ``address_key`` of where the request came from
    member: bool   # may generate here: held to the installation's caps only


@dataclass(frozen=True)
class DataCaps:
    tool_bytes: int      # all viewers' data in one tool (0: no limit)
    address_bytes: int   # of that, what viewers from one address hold
    total_bytes: int     # everything every tool keeps on the installation


@dataclass(frozen=True)
class VisitorQuotas:
    remixes: int         # a day, per visitor and per address (0: no limit)
    versions: int        # the same, for versions, restores and check sets
    bytes: int           # what those hold, per visitor and per address
    all_writes: int      # every visitor's remixes and versions together, a day
    all_bytes: int       # what those hold


@dataclass(frozen=True)
class Held:
    """A row as it was before a write: the address it counts against, its size."""
    address: str | None
    size: int


@dataclass(frozen=True)
class Today:
    """What one visitor, one address or everyone wrote today."""
    remixes: int = 0
    versions: int = 0
    bytes: int = 0

    @property
    def writes(self) -> int:
        return self.remixes + self.versions


# -- the rules ---------------------------------------------------------------------------------

def address_network(remote_addr: str | None) -> str:
    """The network an address is counted as: an IPv4 address as it is, an IPv6
    address by its /64 (what one home or one server is given, so hopping
    inside it changes nothing), an IPv4-mapped IPv6 address as the IPv4 one.
    Anything unreadable counts as one address, "unknown"."""
    try:
        ip = ipaddress.ip_address((remote_addr or "").strip().split("%", 1)[0])
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def address_key(remote_addr: str | None, secret: str) -> str:
    """What an address is stored as: its network, keyed with the app's secret,
    so the database keeps no address and no one can list addresses from it."""
    return hmac.new(secret.encode(), address_network(remote_addr).encode(), "sha256").hexdigest()


def grows_past(before: int, after: int, cap: int) -> bool:
    """Whether a write makes a total grow beyond its cap (0: no cap). A write
    that shrinks a total or keeps it passes, even over a lowered cap, so
    anyone can always delete or save less."""
    return cap > 0 and after > before and after > cap


def data_refusal(caps: DataCaps, *, member: bool, shared: bool, tool: tuple[int, int],
                 address: tuple[int, int] | None,
                 total: tuple[int, int]) -> QuotaExceeded | None:
    """Why a write of tool data does not fit, if it does not. Each total is
    (before, after). ``tool`` is the tool's viewers' data (or its shared data,
    which has its own cap elsewhere); ``address`` the part written from the
    writer's address. A member, and shared data, meet the installation's cap only."""
    if grows_past(*total, caps.total_bytes):
        return QuotaExceeded(
            f"Kiln's space for what tools keep is full: this would make it {total[1]:,} bytes; "
            f"the limit is {caps.total_bytes:,} (KILN_TOOL_DATA_MAX_TOTAL_BYTES). Nothing new was "
            "saved; what was saved before is kept.", 413, "KILN_TOOL_DATA_MAX_TOTAL_BYTES")
    if member or shared:
        return None
    if grows_past(*tool, caps.tool_bytes):
        return QuotaExceeded(
            f"This tool's space for the data of everyone who uses it is full: this would make it "
            f"{tool[1]:,} bytes; the limit is {caps.tool_bytes:,} "
            "(KILN_VIEWER_DATA_MAX_TOOL_BYTES). Nothing new was saved; what was saved before is "
            "kept.", 413, "KILN_VIEWER_DATA_MAX_TOOL_BYTES")
    if address is not None and grows_past(*address, caps.address_bytes):
        return QuotaExceeded(
            f"People at your address keep {address[0]:,} bytes in this tool; this would make it "
            f"{address[1]:,}, and the limit is {caps.address_bytes:,} "
            "(KILN_VIEWER_DATA_MAX_ADDRESS_BYTES). Nothing new was saved; what was saved before "
            "is kept.", 413, "KILN_VIEWER_DATA_MAX_ADDRESS_BYTES")
    return None


def seconds_to_midnight(now: datetime) -> int:
    """Until the daily quotas renew (midnight UTC), at least a second."""
    midnight = day_start(now) + timedelta(days=1)
    return max(1, int((midnight - now).total_seconds()) + 1)


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


_WHAT = {REMIX: ("remixes", "KILN_VISITOR_DAILY_REMIXES"),
         VERSION: ("versions", "KILN_VISITOR_DAILY_VERSIONS")}
_AFTER = ("Try again after midnight UTC, or ask the owner of this Kiln for a sign-in link "
          "(members have no daily quota).")


def visitor_refusal(quotas: VisitorQuotas, kind: str, size: int, *, visitor: Today,
                    address: Today, everyone: Today, now: datetime) -> QuotaExceeded | None:
    """Why a visitor may not make one more ``kind`` (REMIX or VERSION) of
    ``size`` bytes today, if they may not: each quota is for the visitor and,
    apart, for their address; then for all visitors together."""
    retry = seconds_to_midnight(now)
    if quotas.bytes and size > quotas.bytes:  # too big on any day: not a matter of waiting
        return QuotaExceeded(
            f"This is {size:,} bytes; a visitor may add {quotas.bytes:,} a day "
            "(KILN_VISITOR_DAILY_BYTES).", 413, "KILN_VISITOR_DAILY_BYTES")
    things, setting = _WHAT[kind]
    count_cap = quotas.remixes if kind == REMIX else quotas.versions
    for whose, today in (("You have", visitor), ("Visitors at your address have", address)):
        made = today.remixes if kind == REMIX else today.versions
        if count_cap and made + 1 > count_cap:
            return QuotaExceeded(
                f"{whose} made {made:,} {things} today; a visitor may make {count_cap:,} a day "
                f"({setting}). {_AFTER}", 429, setting, retry)
        if quotas.bytes and today.bytes + size > quotas.bytes:
            return QuotaExceeded(
                f"{whose} added {today.bytes:,} bytes of remixes and versions today; this one "
                f"({size:,} bytes) would pass the {quotas.bytes:,} a visitor may add a day "
                f"(KILN_VISITOR_DAILY_BYTES). {_AFTER}", 429, "KILN_VISITOR_DAILY_BYTES", retry)
    if quotas.all_writes and everyone.writes + 1 > quotas.all_writes:
        return QuotaExceeded(
            f"Visitors to this Kiln have made {everyone.writes:,} remixes and versions today, "
            f"all it takes from visitors in a day (KILN_VISITORS_DAILY_WRITES). {_AFTER}",
            429, "KILN_VISITORS_DAILY_WRITES", retry)
    if quotas.all_bytes and everyone.bytes + size > quotas.all_bytes:
        return QuotaExceeded(
            f"Visitors to this Kiln have added {everyone.bytes:,} bytes of remixes and versions "
            f"today; this one would pass the {quotas.all_bytes:,} it takes from visitors in a day "
            f"(KILN_VISITORS_DAILY_BYTES). {_AFTER}", 429, "KILN_VISITORS_DAILY_BYTES", retry)
    return None


# -- applied: tool data -----------------------------------------------------------------------

def hold_tool(session: Session, artifact_id: str) -> bool:
    """Whether the tool exists, keeping it from being deleted until this
    transaction ends (PostgreSQL's FOR KEY SHARE; SQLite's writers are serial).
    Every write of tool data takes this first, so it and a deletion always
    lock in the same order: tool, data, totals."""
    found = session.scalar(select(Artifact.id).where(Artifact.id == artifact_id)
                           .with_for_update(read=True, key_share=True))
    return found is not None


def charge(session: Session, caps: DataCaps | None, artifact_id: str, *, shared: bool,
           old: Held | None, size: int, writer: Writer | None) -> str | None:
    """Count a write of one row of tool data (``old``: the row before, None
    when new; ``size``: after, 0 when deleted) against the caps, or raise
    QuotaExceeded and change nothing. Returns the address the row now counts
    against (None: shared data, a member's, or no writer). ``caps`` None: count
    only. No writer: held like a member (Kiln's own writes)."""
    address = None if shared or writer is None or writer.member else writer.address
    old_size = old.size if old else 0
    old_address = None if shared or old is None else old.address
    holder = SHARED if shared else VIEWERS
    # Locked in one order (the tool's total, its addresses sorted, the
    # installation's) so that two writers never wait for each other in a circle.
    addresses = sorted({a for a in (old_address, address) if a})
    used = _usage(session, artifact_id, [holder, *addresses])
    total = _total(session)
    delta = size - old_size
    mine: tuple[int, int] | None = None
    if address is not None:
        mine = (used[address],
                used[address] - (old_size if old_address == address else 0) + size)
    refusal = caps and data_refusal(
        caps, member=writer is None or writer.member, shared=shared,
        tool=(used[holder], used[holder] + delta), address=mine, total=(total, total + delta))
    if refusal:
        raise refusal
    changes = {holder: delta}
    if old_address:
        changes[old_address] = changes.get(old_address, 0) - old_size
    if address:
        changes[address] = changes.get(address, 0) + size
    for name, change in changes.items():
        if change:
            _add(session, artifact_id, name, change)
    if delta:
        session.execute(update(UsageTotal).where(UsageTotal.name == TOTAL)
                        .values(bytes=UsageTotal.bytes + delta))
    return address


def release_shared(session: Session, artifact_id: str) -> None:
    """All of a tool's shared data is gone (its owner cleared it)."""
    freed = _usage(session, artifact_id, [SHARED])[SHARED]
    if freed:
        _add(session, artifact_id, SHARED, -freed)
        _total(session)
        session.execute(update(UsageTotal).where(UsageTotal.name == TOTAL)
                        .values(bytes=UsageTotal.bytes - freed))


def forget_tool(session: Session, artifact_id: str) -> None:
    """A tool is being deleted: what it kept leaves the installation's total
    (its own rows go with it, by the database's cascade)."""
    rows = select(DataUsage.holder).where(DataUsage.artifact_id == artifact_id).with_for_update()
    session.execute(rows).all()  # locked before the total, as every writer does
    freed = session.scalar(select(func.coalesce(func.sum(DataUsage.bytes), 0)).where(
        DataUsage.artifact_id == artifact_id, DataUsage.holder.in_((VIEWERS, SHARED)))) or 0
    if freed:
        _total(session)
        session.execute(update(UsageTotal).where(UsageTotal.name == TOTAL)
                        .values(bytes=UsageTotal.bytes - freed))


def usage(session: Session, artifact_id: str) -> dict[str, int]:
    """A tool's running totals by holder (for the owner's panel and tests)."""
    return {holder: int(size) for holder, size in session.execute(
        select(DataUsage.holder, DataUsage.bytes).where(DataUsage.artifact_id == artifact_id))}


def installation_total(session: Session) -> int:
    return int(session.scalar(select(UsageTotal.bytes).where(UsageTotal.name == TOTAL)) or 0)


def _usage(session: Session, artifact_id: str, holders: list[str]) -> dict[str, int]:
    """The tool's totals for ``holders``, locked (rows made at 0 when missing)."""
    query = (select(DataUsage.holder, DataUsage.bytes)
             .where(DataUsage.artifact_id == artifact_id, DataUsage.holder.in_(holders))
             .order_by(DataUsage.holder).with_for_update())
    found = {holder: size for holder, size in session.execute(query)}
    missing = [h for h in holders if h not in found]
    if missing:
        _insert_missing(session, DataUsage, [{"artifact_id": artifact_id, "holder": h, "bytes": 0}
                                             for h in missing])
        found = {holder: size for holder, size in session.execute(query)}
    return {h: int(found.get(h, 0)) for h in holders}


def _total(session: Session) -> int:
    query = select(UsageTotal.bytes).where(UsageTotal.name == TOTAL).with_for_update()
    value = session.scalar(query)
    if value is None:
        _insert_missing(session, UsageTotal, [{"name": TOTAL, "bytes": 0}])
        value = session.scalar(query)
    return int(value or 0)


def _add(session: Session, artifact_id: str, holder: str, change: int) -> None:
    where = (DataUsage.artifact_id == artifact_id, DataUsage.holder == holder)
    session.execute(update(DataUsage).where(*where).values(bytes=DataUsage.bytes + change))
    if holder not in (VIEWERS, SHARED):  # an address's part that is gone: no row kept for it
        session.execute(delete(DataUsage).where(*where, DataUsage.bytes <= 0))


def _insert_missing(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows unless they are there already (another writer may add the
    same row at the same moment: its insert wins, ours does nothing)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        session.execute(pg_insert(table).values(rows).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        session.execute(sqlite_insert(table).values(rows).on_conflict_do_nothing())


# -- applied: visitors' remixes and versions ----------------------------------------------------

def reserve(session: Session, quotas: VisitorQuotas, writer: Writer, kind: str, size: int,
            now: datetime | None = None) -> int:
    """Count one remix or version of a visitor's, or raise QuotaExceeded.
    Returns its place in the log, to ``give_back`` if the write then fails."""
    now = now or utcnow()
    start = day_start(now)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": VISITOR_LOCK})
    # Yesterday's entries are no longer counted: two days are kept, then dropped.
    session.execute(delete(VisitorWrite).where(VisitorWrite.created_at < start - timedelta(days=1)))
    refusal = visitor_refusal(
        quotas, kind, size, now=now,
        visitor=_today(session, start, VisitorWrite.visitor == writer.visitor),
        address=_today(session, start, VisitorWrite.address == writer.address),
        everyone=_today(session, start))
    if refusal:
        raise refusal
    row = VisitorWrite(kind=kind, visitor=writer.visitor, address=writer.address, bytes=size,
                       created_at=now)
    session.add(row)
    session.flush()
    return row.id


def give_back(session: Session, place: int) -> None:
    """The write a reservation was for did not happen: it does not count."""
    session.execute(delete(VisitorWrite).where(VisitorWrite.id == place))


def _today(session: Session, start: datetime, *where: Any) -> Today:
    rows = session.execute(
        select(VisitorWrite.kind, func.count(), func.coalesce(func.sum(VisitorWrite.bytes), 0))
        .where(*where, VisitorWrite.created_at >= start).group_by(VisitorWrite.kind))
    counts = {kind: (int(n), int(size)) for kind, n, size in rows}
    return Today(remixes=counts.get(REMIX, (0, 0))[0], versions=counts.get(VERSION, (0, 0))[0],
                 bytes=sum(size for _, size in counts.values()))
