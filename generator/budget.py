"""The daily token budget: one rule, checked before a job starts and before
each model request inside it (a repair round may find it spent)."""
from __future__ import annotations

from dataclasses import dataclass


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
