"""People: who may do what here, and signing in and out. The web layer keeps
the cookies; every change to who is signed in, and to what a browser owns,
happens here (``artifacts.accounts`` holds the rules)."""
from __future__ import annotations

import os
import shlex
import sys
from typing import NamedTuple

from artifacts import Store, accounts
from artifacts.accounts import AccountOut, BrowserHoldings
from settings import Settings


def command(*args: str) -> str:
    """A Kiln command as it works when typed on this server, from where Kiln runs:
    this Python's flask (a bare ``flask`` is not on a shell's path outside the
    virtualenv)."""
    python = os.path.relpath(sys.executable)
    if python.startswith(".."):
        python = sys.executable
    return " ".join([shlex.quote(python), "-m", "flask", "--app", "app", *args])


class SignedIn(NamedTuple):
    account: AccountOut
    secret: str             # the browser's sign-in token (its session keeps it)
    moved: int              # tools moved to the account (the person chose to)
    kept: BrowserHoldings   # what stayed with this browser (they did not)


class People:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store

    def member_tool(self, artifact_id: str) -> bool:
        """Whether a person who may spend the model here owns this tool: the owner
        or a member (anyone, with KILN_ACCESS=open). A visitor's remix is not one:
        it may not spend the model, and its verdicts wait in the visitors' lane."""
        if self.settings.access == "open":
            self.store.get_artifact(artifact_id)  # an unknown tool is still a 404
            return True
        return accounts.owning_account(self.store, artifact_id) is not None

    def login_link(self, account_id: str | None = None) -> str:
        """A fresh one-time sign-in link for an account (default: the owner's, made
        on first use)."""
        if account_id is None:
            account_id = accounts.ensure_owner(self.store).id
        token = accounts.new_login_link(self.store, account_id, self.settings.login_link_hours)
        return f"{self.settings.app_origin}/login/{token}"

    def signed_in(self, sign_in_token: str | None) -> AccountOut | None:
        """The account a browser's sign-in token holds, if it is still valid (a
        revoked or expired one signs nobody in); marks it seen."""
        return accounts.signed_in(self.store, sign_in_token) if sign_in_token else None

    def offer(self, link_token: str, browser_token: str | None
              ) -> tuple[AccountOut, BrowserHoldings]:
        """Whose sign-in link this is, and what this browser holds that signing in
        could move. Raises ``accounts.LinkInvalid``."""
        return (accounts.peek_link(self.store, link_token),
                accounts.browser_holdings(self.store, browser_token))

    def sign_in(self, link_token: str, user_agent: str, browser_token: str | None,
                move_tools: bool = False) -> SignedIn:
        """Use a one-time sign-in link. Moves the tools (and saved storage) the
        browser made before to the account only with ``move_tools``: the person's
        explicit choice, which defaults to no. Raises ``accounts.LinkInvalid``."""
        account, secret = accounts.redeem_link(self.store, link_token, user_agent,
                                               self.settings.session_days)
        if move_tools:
            moved = accounts.claim_browser_tools(self.store, browser_token, account.id)
            return SignedIn(account, secret, moved, BrowserHoldings())
        return SignedIn(account, secret, 0, accounts.browser_holdings(self.store, browser_token))

    def sign_out(self, sign_in_token: str | None) -> None:
        accounts.sign_out(self.store, sign_in_token)

    def sign_out_everywhere(self, account_id: str) -> int:
        """End every sign-in of an account; how many ended."""
        return accounts.revoke_all(self.store, account_id)
