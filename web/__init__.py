"""Kiln's own pages and JSON API on the app origin (thin routes only)."""
from flask import current_app


def kiln():
    """The running app's ``services.Kiln`` (settings, store, jobs, tester)."""
    return current_app.extensions["kiln"]
