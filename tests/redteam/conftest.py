"""The red-team fixtures: one Kiln over real HTTP for the whole run, a loopback
sink that hostile artifacts try to reach (and must not), a second sink for the
positive control, and a browser context as a viewer's. The harness that runs
artifacts is harness.py."""
from __future__ import annotations

import pytest

from testkit.serving import serve_kiln

from .harness import KilnServer
from .sink import Sink


@pytest.fixture(scope="session")
def kiln_server(tmp_path_factory):
    with serve_kiln(tmp_path_factory.mktemp("redteam")) as live:
        yield KilnServer(live)


@pytest.fixture(scope="session")
def sink():
    """The attacker's server that Kiln-served artifacts aim at: it must hear nothing."""
    target = Sink()
    yield target
    heard = list(target.events)
    target.close()
    assert heard == [], f"the sink heard something over the whole run: {heard}"


@pytest.fixture(scope="session")
def control_sink():
    """A second sink for the positive control, which must hear the same attacks."""
    target = Sink()
    yield target
    target.close()


@pytest.fixture
def redteam_context(browser):
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(5_000)
    yield context
    context.close()
