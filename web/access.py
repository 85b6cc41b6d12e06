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

from flask import request, session

from artifacts.accounts import AccountOut, BrowserHoldings
from artifacts.errors import KilnError
from services.people import SignedIn, command

from . import kiln
from .ownership import SIGN_IN_KEY, account, account_id, browser_token, current_owner

__all__ = ["NotMember", "account", "account_id", "current_owner", "may_generate",
           "require_member", "sign_in", "sign_in_offer", "sign_out"]

NOT_MEMBER = ("Only the owner of this Kiln and the people they invite can generate, import or "
              "ask the model for changes. Ask the owner for a sign-in link (they make one with "
              f"{command('invite', '--name', 'NAME')}). With a share link you can still view, "
              "download and remix a tool, and change your remix by hand.")


class NotMember(KilnError, PermissionError):
    """This person may not spend the model here."""
    status = 403


def may_generate() -> bool:
    return kiln().settings.access == "open" or account() is not None


def require_member() -> None:
    if not may_generate():
        raise NotMember(NOT_MEMBER)


def sign_in_offer(token: str) -> tuple[AccountOut, BrowserHoldings]:
    """Whose sign-in link this is, and what this browser holds that signing in
    could move. Raises ``accounts.LinkInvalid``."""
    return kiln().people.offer(token, browser_token())


def sign_in(token: str, move_tools: bool = False) -> SignedIn:
    """Use a one-time sign-in link in this browser (``People.sign_in``): a new
    session, nothing from before carried over, the CSRF token included."""
    signed = kiln().people.sign_in(token, request.user_agent.string or "", browser_token(),
                                   move_tools)
    session.clear()
    session[SIGN_IN_KEY] = signed.secret
    session.permanent = True
    return signed


def sign_out(everywhere: bool = False) -> int:
    """End this browser's sign-in, or every sign-in of its account; returns how many ended."""
    people, found = kiln().people, account()
    if everywhere and found is not None:
        ended = people.sign_out_everywhere(found.id)
    else:
        token = session.get(SIGN_IN_KEY)
        people.sign_out(token if isinstance(token, str) else None)
        ended = 1 if found else 0
    session.clear()
    return ended
