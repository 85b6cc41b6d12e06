"""The daily token budget: one rule, checked before a job starts and before
each model request inside it (a repair round may find it spent)."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Budget:
    daily: int                 # tokens a day (UTC); 0 means no limit
    used_today: int            # counted as ``Usage.budget_tokens``
    setting: str = "KILN_DAILY_TOKEN_BUDGET"

    @property
    def left(self) -> int | None:
        """Tokens left today, or None when there is no limit."""
        return None if self.daily <= 0 else self.daily - self.used_today

    def refusal(self) -> str | None:
        """Why nothing may be sent to the model now, or None when something may."""
        left = self.left
        if left is None or left > 0:
            return None
        return (f"Today's token budget of {self.daily:,} tokens is used up ({self.setting}). "
                "Nothing was sent to the model; try again tomorrow or raise the budget.")


def tightest(*budgets: Budget) -> Budget:
    """Of several budgets that all apply, the one with the least left."""
    return min(budgets, key=lambda b: float("inf") if b.left is None else b.left)
class InFlight:
    """Tokens that calls still running may spend, held against named budgets and
    counted as used, so that calls started together cannot all pass a budget
    that has room for one. (Per process: a second process holds its own.)"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()

    def take(self, budgets: Mapping[str, Budget], tokens: int) -> str | None:
        """Hold ``tokens`` against every budget, or return the refusal of the
        first that is spent (what running calls hold counts as used)."""
        with self._lock:
            for name, budget in budgets.items():
                refusal = replace(budget, used_today=budget.used_today + self._held[name]).refusal()
                if refusal:
                    return refusal
            for name in budgets:
                self._held[name] += tokens
        return None

    def give_back(self, names: Iterable[str], tokens: int) -> None:
        with self._lock:
            for name in names:
                self._held[name] -= tokens
                if self._held[name] <= 0:
                    del self._held[name]
