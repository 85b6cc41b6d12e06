"""Kiln's HTTP: its own pages and JSON API on the app origin, raw tools, relays
and the library mirror on the sandbox origin (thin routes only)."""
from __future__ import annotations

from flask import current_app

from services import Kiln


def kiln() -> Kiln:
    """The running app's composition (``services.Kiln``)."""
    found: Kiln = current_app.extensions["kiln"]
    return found
