"""How Kiln launches Chromium: the same flags for the smoke tester and the tests.

The smoke tester's pools add what holds the browser in on the host (its own
sandbox, a memory cap: :mod:`tester.confine`). The tests' own browser does not:
it stands in for a viewer's browser opening Kiln's pages, runs no page as the
server does, and keeps Playwright's download folder its own."""
from __future__ import annotations

from typing import Any

# This machine class has no network: without these, Chromium floods the closed
# network with update, metrics and field-trial requests at every start.
QUIET_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--disable-breakpad",
    "--disable-quic",
    "--disable-gpu",
    "--mute-audio",
    # Kiln serves artifacts on http://localhost and the app on 127.0.0.1: keep
    # Chromium from upgrading or probing them.
    "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,MediaRouter,"
    "OptimizationHints,Translate,InterestFeedContentSuggestions",
]


# Camera and microphone are Chromium's fake ones (a test pattern, a beep), taken
# as granted without a prompt: in the tests a viewer's browser captures for Kiln's
# page with them; a tool's own frame never captures (the media channel).
MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def launch_options(executable_path: str | None) -> dict[str, Any]:
    """Keyword arguments for Playwright's ``chromium.launch``."""
    options: dict[str, Any] = {"headless": True, "args": list(QUIET_FLAGS) + MEDIA_FLAGS}
    if executable_path:
        options["executable_path"] = executable_path
    # Playwright adds --no-sandbox itself when chromium_sandbox is False (the
    # default): the tester's pools turn it on (tester.confine).
    return options
