"""A person's steps on Kiln's pages in a real browser (a Playwright page):
importing a tool through the home page, opening a stored tool's page (with
files attached, as its owner or as anyone with the link), waiting until the
workspace has written one."""
from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from playwright.sync_api import FrameLocator, Page

from artifacts.file_store import Upload

from .signing import owner_cookie

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


def store_tool(server: LiveServer, html: str, files: Mapping[str, bytes] | None = None,
               owner: str | None = None) -> str:
    """Store ``html`` as a new tool of ``owner`` (an owner token; None: nobody's),
    with ``files`` (name → bytes) kept and profiled as uploads are; its id."""
    attached = server.kiln.files.accept(
        [Upload(name, io.BytesIO(data)) for name, data in (files or {}).items()])
    return server.kiln.import_html(html, owner, files=attached).artifact.id


def open_tool(page: Page, server: LiveServer, html: str, files: Mapping[str, bytes] | None = None,
              owner: str | None = None) -> tuple[str, FrameLocator]:
    """Store ``html`` as a new tool (with ``files``) and open its page: its id and
    its frame. ``owner``: this browser owns it (it gets that owner's cookie), so
    the page is its workspace; else the page is what anyone with the link sees."""
    tool_id = store_tool(server, html, files, owner)
    if owner is not None:
        cookie = owner_cookie(server.app, owner)
        page.context.add_cookies([{"name": name, "value": value, "url": server.app_origin}
                                  for name, value in cookie.items()])
    page.goto(server.kiln.page_url(tool_id))
    return tool_id, page.frame_locator("#artifact-frame")


def wait_for_written(page: Page, timeout: float = 30_000) -> str:
    """Wait until the workspace follows no job (the tool's generation, or a change,
    ended and the page was brought up to date in place); returns the artifact id."""
    page.wait_for_url(re.compile(r"/a/[\w-]+"), timeout=timeout)
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-workspace]');"
        " return r && !r.dataset.jobId && !r.dataset.streaming"
        " && !document.querySelector('[data-composer][aria-busy]'); }", timeout=timeout)
    return page.url.split("/a/", 1)[1].split("/")[0].split("?")[0]
