"""The daily token budgets: the installation's (generations and tools' AI
together) and each person's own. Generation and the tool runtime both spend
them, so both ask here."""
from __future__ import annotations

from artifacts import Store, accounts, tool_ai
from generator import Budget
from generator.budget import tightest
from settings import Settings

OWN_BUDGET = "your own daily budget; the owner sets it with flask --app app invite --budget"


class Budgets:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store

    def of(self, account_id: str | None = None) -> Budget:
        """The installation's daily budget and, for a signed-in person, their own:
        whichever has less left."""
        whole = Budget(self.settings.daily_token_budget,
                       self.store.tokens_used_today() + tool_ai.tokens_today(self.store))
        account = accounts.get_account(self.store, account_id) if account_id else None
        if account is None:
            return whole
        return tightest(whole, self.own(account))

    def own(self, account: accounts.AccountOut, setting: str = OWN_BUDGET) -> Budget:
        """A person's own daily budget: their generations and the AI of their tools."""
        daily = account.daily_token_budget
        if daily is None:  # the owner's is the installation's; a member's the setting's
            daily = 0 if account.role == accounts.OWNER else self.settings.member_daily_token_budget
        return Budget(daily, accounts.tokens_used_today(self.store, account.id), setting=setting)
