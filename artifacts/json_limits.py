"""How deep a JSON document Kiln reads, for everything that reads JSON from outside.

Python's parser recurses once per level: about a thousand ``[`` raise
RecursionError (not ValueError), which every caller that expects bad JSON to be
a ValueError lets through as a 500. A document under that limit may still be
too deep for what reads it next (pydantic, ``json.dumps``, the bootstrap), at a
depth that depends on how deep the stack already is. So there is one bound,
checked here, well under both.
"""
from __future__ import annotations

import json
from typing import Any

# Twice what any honest document needs: an IndexedDB snapshot wraps each value
# in eight levels and the bootstrap refuses values nested deeper than 100
# (sandbox/static/bootstrap/40-indexeddb.js); serde_json's default is the same.
MAX_JSON_DEPTH = 128


class TooDeep(ValueError):
    """JSON nested more deeply than MAX_JSON_DEPTH (a ValueError, as bad JSON is)."""

    def __init__(self) -> None:
        super().__init__(f"it is nested more than {MAX_JSON_DEPTH} levels deep")


def depth(value: Any) -> int:
    """How many arrays and objects deep ``value`` goes (0 for a scalar), without
    recursing, so a deep value cannot exhaust the stack here either."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:  # no need to walk the rest
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads``, but a document nested more than MAX_JSON_DEPTH levels raises
    TooDeep, whether or not Python's own parser could have read it."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise TooDeep() from None
    if depth(value) > MAX_JSON_DEPTH:
        raise TooDeep()
    return value
