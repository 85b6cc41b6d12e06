"""Estimated cost of a call from a per-model price table (USD per million tokens)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from artifacts import Usage
from settings import ModelPrice


def price_for(model: str | None, prices: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """The entry whose key is the longest prefix of ``model`` (dated ids find their family)."""
    if not model:
        return None
    model = model.strip().lower()
    best = None
    for key, price in prices.items():
        key = key.lower()
        if model == key or model.startswith(key + "-") or model.startswith(key + "@"):
            if best is None or len(key) > len(best[0]):
                best = (key, price)
    return best[1] if best else None


def cost_usd(usage: Usage, price: ModelPrice | None) -> float:
    if price is None:
        return 0.0
    return (usage.input_tokens * price.input + usage.output_tokens * price.output
            + usage.cache_write_tokens * price.cache_write
            + usage.cache_read_tokens * price.cache_read) / 1_000_000


def priced(usage: Usage, model: str | None,
           prices: Mapping[str, ModelPrice]) -> tuple[Usage, bool]:
    """``usage`` with its cost filled in, and whether the model's price is known
    (an unknown price costs 0 and should be shown as "unknown", not as free)."""
    price = price_for(model, prices)
    cost = round(cost_usd(usage, price), 6)
    return usage.model_copy(update={"cost_usd": cost}), price is not None


def total(usages: Iterable[Usage]) -> Usage:
    result = Usage()
    for usage in usages:
        result = result + usage
    return result

