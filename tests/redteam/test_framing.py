"""A third-party site (another loopback origin) tries to frame Kiln.

Framing an artifact would let a stranger's page dress Kiln's sandbox up as its
own; framing Kiln's pages would allow clickjacking of Remix, Restore and the
other buttons. The third-party page also frames a page of its own, which must
load: that is the control that shows the page works.
"""
from __future__ import annotations

import pytest

from .harness import new_token
from .sink import Sink

ANNOUNCE = """<!doctype html><title>framed</title>
<script>parent.postMessage("loaded:{name}", "*")</script><p>framed</p>"""

THIRD_PARTY = """<!doctype html><title>a stranger's page</title>
<script>
  window.heard = [];
  addEventListener("message", e => window.heard.push(String(e.data)));
</script>
<iframe name="artifact" src="{artifact}"></iframe>
<iframe name="app-page" src="{app_page}"></iframe>
<iframe name="app-home" src="{app_home}"></iframe>
<iframe name="control" src="/control"></iframe>"""


@pytest.fixture(scope="module")
def third_party():
    site = Sink()
    yield site
    site.close()


def test_a_third_party_page_cannot_frame_artifacts_or_app_pages(kiln_server, third_party,
                                                                 redteam_context):
    token = new_token("framed")
    page_url, raw_url = kiln_server.store(ANNOUNCE.format(name=token))
    html = {"Content-Type": "text/html; charset=utf-8"}
    third_party.pages["/control"] = (ANNOUNCE.format(name="control"), html)
    third_party.pages["/"] = (THIRD_PARTY.format(
        artifact=raw_url, app_page=page_url, app_home=f"{kiln_server.app_origin}/"), html)

    page = redteam_context.new_page()
    # goto returns on the page's load event, which waits for every frame to load
    # its document (or Chromium's error page, for a refused one); the control's
    # message shows the frames' messages get through. A refused frame runs no
    # script of the artifact's, so it can announce nothing later: the checks of
    # the frames' URLs below prove it was refused.
    page.goto(f"{third_party.origin}/")
    page.wait_for_function("window.heard.includes('loaded:control')", timeout=5_000)

    assert f"loaded:{token}" not in page.evaluate("window.heard"), "the artifact ran in the frame"
    frames = {frame.name: frame.url for frame in page.frames if frame != page.main_frame}
    assert frames["control"] == f"{third_party.origin}/control"
    for name in ("artifact", "app-page", "app-home"):
        # Chromium replaces a frame refused by frame-ancestors/X-Frame-Options with its error page.
        assert frames[name].startswith("chrome-error://"), f"{name} was framed: {frames}"
    page.close()
