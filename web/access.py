"""What a person may do here, in plain functions (ask these; do not repeat the rules).

    may_generate()     may this person spend the model (generate, change by
                       prompt, fix) and import? Anyone, with KILN_ACCESS=open;
                       else the owner and invited members, signed in.
    require_member()   the same, raising NotMember (a 403 that says how to get in)
    account()          who is signed in (``web.ownership``), or None
    current_owner()    the owner key for the store (``web.ownership``)

Anyone with a share link may view, download and remix, and change their own
remix by hand: those need no account. Signing in (``sign_in``) moves the tools
this browser made before to the account.
"""
from __future__ import annotations

from typing import NamedTuple

from flask import request, session

from artifacts import accounts
from artifacts.accounts import AccountOut, BrowserHoldings

from . import kiln
from .ownership import SIGN_IN_KEY, account, account_id, browser_token, current_owner
from artifacts.errors import KilnError

__all__ = ["NotMember", "account", "account_id", "current_owner", "may_generate",
           "require_member", "sign_in", "sign_in_offer", "sign_out"]

NOT_MEMBER = ("Only the owner of this Kiln and the people they invite can generate, import or "
              "ask the model for changes. Ask the owner for a sign-in link (they make one with "
              "flask --app app invite). With a share link you can still view, download and remix "
              "a tool, and change your remix by hand.")


class NotMember(KilnError, PermissionError):
    """This person may not spend the model here."""
    status = 403


def may_generate() -> bool:
    return kiln().settings.access == "open" or account() is not None


def require_member() -> None:
    if not may_generate():
        raise NotMember(NOT_MEMBER)


class SignedIn(NamedTuple):
    account: AccountOut
    moved: int              # tools moved to the account (the person chose to)
    kept: BrowserHoldings   # what stayed with this browser (they did not)


def sign_in_offer(token: str) -> tuple[AccountOut, BrowserHoldings]:
    """Whose sign-in link this is, and what this browser holds that signing in
    could move. Raises ``accounts.LinkInvalid``."""
    store = kiln().store
    return accounts.peek_link(store, token), accounts.browser_holdings(store, browser_token())


def sign_in(token: str, move_tools: bool = False) -> SignedIn:
    """Use a one-time sign-in link in this browser. Moves the tools (and saved
    storage) this browser made before to the account only with ``move_tools``:
    the person's explicit choice, which defaults to no. Raises ``accounts.LinkInvalid``."""
    store, settings = kiln().store, kiln().settings
    account_, secret = accounts.redeem_link(store, token, request.user_agent.string or "",
                                            settings.session_days)
    session.clear()  # nothing from before the sign-in carries over, CSRF token included
    session[SIGN_IN_KEY] = secret
    session.permanent = True
    if move_tools:
        return SignedIn(account_, accounts.claim_browser_tools(store, browser_token(), account_.id),
                        BrowserHoldings())
    return SignedIn(account_, 0, accounts.browser_holdings(store, browser_token()))


def sign_out(everywhere: bool = False) -> int:
    """End this browser's sign-in, or every sign-in of its account; returns how many ended."""
    store, found = kiln().store, account()
    ended = 0
    if everywhere and found is not None:
        ended = accounts.revoke_all(store, found.id)
    else:
        token = session.get(SIGN_IN_KEY)
        accounts.sign_out(store, token if isinstance(token, str) else None)
        ended = 1 if found else 0
    session.clear()
    return ended
