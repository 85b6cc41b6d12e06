"""People: the installation's owner and the members they invite, one-time
sign-in links and revocable sign-ins (one per signed-in browser).

Nothing here is a password. A sign-in link carries a random token that works
once; a signed-in browser holds another random token (in Kiln's signed session
cookie). The database keeps only the hashes of both, so a copy of it signs
nobody in.

Ownership stays what it was: a string, the *owner key*, whose hash artifacts
and jobs keep (``store.owner_hash``). A browser that has not signed in is
known by the random token in its owner cookie; an account's key is
``account_key(id)``. Signing in moves the browser's tools to the account
(``claim_browser_tools``), so they follow the person to any device, but only
when the person chose that on the sign-in page: a link can be someone else's.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, delete, func, select, update

from .models import Usage
from .store import Store, new_artifact_id, owner_hash, rows_changed
from .tables import Account, ArtifactStorage, Artifact, Job, LoginLink, ModelCall, SignIn, utcnow

OWNER, MEMBER = "owner", "member"
_ACCOUNT_PREFIX = "account:"


class LinkInvalid(LookupError):
    """A sign-in link that is unknown, already used or expired."""


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    role: str
    daily_token_budget: int | None
    created_at: datetime

    @property
    def key(self) -> str:
        return account_key(self.id)


class SignInOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    account_id: str
    user_agent: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def account_key(account_id: str) -> str:
    """The owner key of an account. Browser tokens are URL-safe base64 and never
    contain a colon, so no browser token can be mistaken for an account."""
    return _ACCOUNT_PREFIX + account_id


def account_of_key(owner_key: str | None) -> str | None:
    """The account id in an owner key, or None for a browser's own token."""
    if owner_key and owner_key.startswith(_ACCOUNT_PREFIX):
        return owner_key[len(_ACCOUNT_PREFIX):]
    return None


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every time Kiln stores is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- accounts -------------------------------------------------------------------------------

def owner_account(store: Store) -> AccountOut | None:
    with store.reading() as session:
        row = session.scalar(select(Account).where(Account.role == OWNER).limit(1))
        return AccountOut.model_validate(row) if row else None


def ensure_owner(store: Store, name: str = "Owner") -> AccountOut:
    """The installation's one owner, made on first use."""
    with store.writing() as session:
        row = session.scalar(select(Account).where(Account.role == OWNER).limit(1))
        if row is None:
            row = Account(id=new_artifact_id(), name=name, role=OWNER)
            session.add(row)
            session.flush()
        return AccountOut.model_validate(row)


def invite(store: Store, name: str, daily_token_budget: int | None = None) -> AccountOut:
    """A new member. Names are for people to read; they need not be unique."""
    name = " ".join(name.split())[:200] or "Member"
    with store.writing() as session:
        row = Account(id=new_artifact_id(), name=name, role=MEMBER,
                      daily_token_budget=daily_token_budget)
        session.add(row)
        session.flush()
        return AccountOut.model_validate(row)


def get_account(store: Store, account_id: str) -> AccountOut | None:
    with store.reading() as session:
        row = session.get(Account, account_id)
        return AccountOut.model_validate(row) if row else None


def find_account(store: Store, name_or_id: str) -> AccountOut | None:
    """An account by id, else the newest one with that name."""
    found = get_account(store, name_or_id)
    if found:
        return found
    with store.reading() as session:
        row = session.scalar(select(Account).where(Account.name == name_or_id)
                             .order_by(Account.created_at.desc()).limit(1))
        return AccountOut.model_validate(row) if row else None


def list_accounts(store: Store) -> list[AccountOut]:
    with store.reading() as session:
        return [AccountOut.model_validate(row) for row in
                session.scalars(select(Account).order_by(Account.created_at))]


def owning_account(store: Store, artifact_id: str) -> AccountOut | None:
    """The account (the owner or a member) that owns a tool, or None when a browser
    that never signed in owns it (a visitor's remix, say). Artifacts keep only the
    hash of their owner key, so it is matched against each account's key: there
    are few accounts. Raises ArtifactNotFound for an unknown tool."""
    with store.reading() as session:
        artifact = Store._artifact(session, artifact_id)  # 404, or 410 for a deleted tool
        if artifact.owner_hash is None:
            return None
        for row in session.scalars(select(Account)):
            if owner_hash(account_key(row.id)) == artifact.owner_hash:
                return AccountOut.model_validate(row)
        return None


# -- sign-in links --------------------------------------------------------------------------

def new_login_link(store: Store, account_id: str, hours: float) -> str:
    """A token for one sign-in within ``hours``; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    with store.writing() as session:
        session.add(LoginLink(token_hash=owner_hash(token), account_id=account_id,
                              expires_at=utcnow() + timedelta(hours=hours)))
    return token


def _usable_link(token: str) -> tuple[ColumnElement[bool], ...]:  # shared by peek and redeem
    return (LoginLink.token_hash == owner_hash(token), LoginLink.used_at.is_(None),
            LoginLink.expires_at > utcnow())


def peek_link(store: Store, token: str) -> AccountOut:
    """Whose link this is, without using it up. Raises LinkInvalid."""
    if not token:
        raise LinkInvalid("no such sign-in link")
    with store.reading() as session:
        row = session.scalar(select(Account).join(LoginLink).where(*_usable_link(token)))
        if row is None:
            raise LinkInvalid("This sign-in link is unknown, already used or expired.")
        return AccountOut.model_validate(row)


def redeem_link(store: Store, token: str, user_agent: str, days: float) -> tuple[AccountOut, str]:
    """Use the link (once: a second use, even at the same moment, fails) and
    open a sign-in for this browser; returns the account and the browser's token."""
    if not token:
        raise LinkInvalid("no such sign-in link")
    browser_token = secrets.token_urlsafe(32)
    with store.writing() as session:
        used = session.execute(update(LoginLink).where(*_usable_link(token))
                               .values(used_at=utcnow()).returning(LoginLink.account_id)).first()
        if used is None:
            raise LinkInvalid("This sign-in link is unknown, already used or expired.")
        account = session.get(Account, used[0])
        if account is None:
            raise LinkInvalid("The account of this sign-in link no longer exists.")
        session.add(SignIn(id=new_artifact_id(), token_hash=owner_hash(browser_token),
                           account_id=account.id, user_agent=user_agent[:300],
                           expires_at=utcnow() + timedelta(days=days)))
        return AccountOut.model_validate(account), browser_token


# -- sign-ins ---------------------------------------------------------------------------------

TOUCH_EVERY = timedelta(minutes=5)  # how stale "last seen" may get, to spare writes


def signed_in(store: Store, browser_token: str | None) -> AccountOut | None:
    """The account a browser's sign-in token belongs to, if that sign-in is
    still valid (not revoked, not expired)."""
    if not browser_token:
        return None
    now = utcnow()
    with store.reading() as session:
        found = session.execute(
            select(SignIn, Account).join(Account)
            .where(SignIn.token_hash == owner_hash(browser_token), SignIn.revoked_at.is_(None),
                   SignIn.expires_at > now)).first()
        if found is None:
            return None
        sign_in, account = found
        stale = now - _aware(sign_in.last_seen_at) > TOUCH_EVERY
        result = AccountOut.model_validate(account)
    if stale:
        with store.writing() as session:
            session.execute(update(SignIn).where(SignIn.id == sign_in.id)
                            .values(last_seen_at=now))
    return result


def sign_out(store: Store, browser_token: str | None) -> None:
    if browser_token:
        with store.writing() as session:
            session.execute(update(SignIn).where(SignIn.token_hash == owner_hash(browser_token),
                                                 SignIn.revoked_at.is_(None))
                            .values(revoked_at=utcnow()))


def revoke(store: Store, sign_in_id: str) -> bool:
    """End one sign-in (by the id ``sign_ins`` lists); False if there was none to end."""
    with store.writing() as session:
        ended = update(SignIn).where(SignIn.id == sign_in_id, SignIn.revoked_at.is_(None))
        return rows_changed(session.execute(ended.values(revoked_at=utcnow()))) > 0


def revoke_all(store: Store, account_id: str) -> int:
    """Sign the account out everywhere; returns how many sign-ins ended. Its
    unused sign-in links go too."""
    with store.writing() as session:
        in_force = update(SignIn).where(SignIn.account_id == account_id,
                                        SignIn.revoked_at.is_(None))
        ended = rows_changed(session.execute(in_force.values(revoked_at=utcnow())))
        session.execute(delete(LoginLink).where(LoginLink.account_id == account_id,
                                                LoginLink.used_at.is_(None)))
        return ended


def sign_ins(store: Store, account_id: str | None = None) -> list[tuple[SignInOut, AccountOut]]:
    """Sign-ins still in force (all accounts', or one's), newest first."""
    query = (select(SignIn, Account).join(Account)
             .where(SignIn.revoked_at.is_(None), SignIn.expires_at > utcnow())
             .order_by(SignIn.created_at.desc()))
    if account_id:
        query = query.where(SignIn.account_id == account_id)
    with store.reading() as session:
        return [(SignInOut.model_validate(s), AccountOut.model_validate(a))
                for s, a in session.execute(query)]


# -- what follows a person --------------------------------------------------------------------

class BrowserHoldings(BaseModel):
    """What a browser made and saved before signing in: what ``claim_browser_tools``
    would move (the sign-in page asks before it does)."""
    tools: int = 0   # tools it owns
    saved: int = 0   # tools (its own or others') it keeps saved storage in

    def __bool__(self) -> bool:
        return bool(self.tools or self.saved)


def browser_holdings(store: Store, browser_token: str | None) -> BrowserHoldings:
    if not browser_token:
        return BrowserHoldings()
    old = owner_hash(browser_token)
    with store.reading() as session:
        tools = session.scalar(select(func.count()).select_from(Artifact)
                               .where(Artifact.owner_hash == old)) or 0
        saved = session.scalar(select(func.count()).select_from(ArtifactStorage)
                               .where(ArtifactStorage.viewer_hash == old)) or 0
    return BrowserHoldings(tools=tools, saved=saved)


def claim_browser_tools(store: Store, browser_token: str | None, account_id: str) -> int:
    """Move what a browser made before it signed in (tools, jobs, the tools'
    saved storage) to the account; returns how many tools moved."""
    if not browser_token:
        return 0
    old, new = owner_hash(browser_token), owner_hash(account_key(account_id))
    with store.writing() as session:
        moved = rows_changed(session.execute(
            update(Artifact).where(Artifact.owner_hash == old).values(owner_hash=new)))
        session.execute(update(Job).where(Job.owner_hash == old).values(owner_hash=new))
        # The browser's saved data in each tool, unless the account has its own there.
        taken = select(ArtifactStorage.artifact_id).where(ArtifactStorage.viewer_hash == new)
        session.execute(update(ArtifactStorage).where(ArtifactStorage.viewer_hash == old,
                                                      ArtifactStorage.artifact_id.not_in(taken))
                        .values(viewer_hash=new))
        return moved


def tokens_used_today(store: Store, account_id: str) -> int:
    """Tokens the model read and wrote today (UTC) for this account: for the jobs
    it started, and for the AI calls (``kiln.complete``) made in the tools it
    owns, whoever opened them."""
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    counted = func.coalesce(func.sum(sum(getattr(ModelCall, name)
                                         for name in Usage.BUDGET_FIELDS)), 0)
    with store.reading() as session:
        jobs = session.scalar(
            select(counted).join(Job, ModelCall.job_id == Job.id)
            .where(Job.account_id == account_id, ModelCall.created_at >= midnight)) or 0
        tools = session.scalar(
            select(counted).where(ModelCall.account_id == account_id,
                                  ModelCall.job_id.is_(None),
                                  ModelCall.created_at >= midnight)) or 0
        return int(jobs) + int(tools)
