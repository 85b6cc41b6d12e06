"""A person's steps on Kiln's pages in a real browser (a Playwright page):
importing a tool through the home page, opening a stored tool's page, waiting
until the workspace has written one."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import FrameLocator, Page

if TYPE_CHECKING:
    from .serving import LiveServer


def import_in_browser(page: Page, app_origin: str, html: str, title: str = "") -> str:
    """Import through the home page, so this browser owns the artifact; returns its id."""
    page.goto(app_origin)
    page.locator("#import").evaluate("details => { details.open = true; }")
    page.fill("#title", title)
    page.fill("#html", html)
    page.locator("#import").get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/a/"))
    return page.url.rsplit("/a/", 1)[1]


def open_tool(page: Page, server: LiveServer, html: str) -> tuple[str, FrameLocator]:
    """Store ``html`` as a new tool and open its page: its id and its frame."""
    created = server.kiln.import_html(html, None)
    page.goto(server.kiln.page_url(created.artifact.id))
    return created.artifact.id, page.frame_locator("#artifact-frame")


def wait_for_written(page: Page, timeout: float = 30_000) -> str:
    """Wait until the workspace follows no job (the tool's generation, or a change,
    ended and the page was brought up to date in place); returns the artifact id."""
    page.wait_for_url(re.compile(r"/a/[\w-]+"), timeout=timeout)
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-workspace]');"
        " return r && !r.dataset.jobId && !r.dataset.streaming"
        " && !document.querySelector('[data-composer][aria-busy]'); }", timeout=timeout)
    return page.url.split("/a/", 1)[1].split("/")[0].split("?")[0]
