"""Composition: ``Kiln`` holds the parts and three services along Kiln's own
seams, each a small class with a typed interface:

    verdicts     every version scanned and smoke-tested, the verdict stored
    generation   what may spend the model, starting and stopping jobs, a job's work
    runtime      what a running tool does on the server (kiln.complete,
                 kiln.storage, the storage shims, network hosts)
    people       who owns a tool, sign-in links, signing in and out
    budgets      the daily token budgets generation and the runtime share

Routes and CLI commands read through the store if they like, but every write
they make goes through here (``scripts/check_layers.py`` enforces it)."""
from .kiln import Created, Kiln, unwrap_pasted_answer
from .runtime import NOT_A_MEMBERS_TOOL, ToolCall

__all__ = ["Created", "Kiln", "NOT_A_MEMBERS_TOOL", "ToolCall", "unwrap_pasted_answer"]
