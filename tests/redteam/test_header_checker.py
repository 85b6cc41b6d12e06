"""drHEADer, a maintained third-party header checker, run with its default rules
against every kind of response Kiln sends over real HTTP on loopback.

Every finding it reports is either fixed in sandbox/policy.py or accepted below
with the reason (docs/security/testing.md, "What the header checker says", says the same).
A new finding fails this test until it is fixed or explained.
"""
from __future__ import annotations

import re

import httpx
import pytest
from drheader import Drheader

from artifacts.links import NOTHING_KEPT

# (which responses, rule) -> why the finding stands.
ACCEPTED = {
    ("*", "Pragma"): "HTTP/1.0 only; Cache-Control governs every browser Kiln supports",
    ("*", "Server"): "the development server names itself; production runs behind a real "
                     "server or proxy that sets or strips it",
    ("*", "Strict-Transport-Security"): "sent when KILN_APP_ORIGIN is https; over http "
                                        "browsers ignore it",
    ("app", "Cache-Control"): "pages and API JSON are no-store (max-age=0 adds nothing to "
                              "it); static files and thumbnails keep their own validation",
    ("app", "Set-Cookie - kiln_session"): "Secure is set when the app origin is https; over "
                                          "http a Secure cookie would never come back",
    ("app", "Set-Cookie - kiln_owner"): "Secure (and the __Host- prefix) are set when the app "
                                        "origin is https; over http a Secure cookie would "
                                        "never come back",
    ("artifact", "Cache-Control"): "no-store alone forbids storing; max-age=0 adds nothing",
    ("artifact", "Content-Security-Policy - script-src"): "artifact code is inline and may "
        "use eval (Babel and friends); it runs in an opaque origin with no network",
    ("artifact", "Content-Security-Policy - style-src"): "artifact styles are inline; CSS "
        "cannot fetch anything (default-src 'none', img/font only data:, /lib/)",
    ("sandbox", "Cache-Control"): "errors on the sandbox origin hold nothing private; the "
                                  "library mirror that lives there should be cached",
    ("artifact", "X-Frame-Options"): "artifacts must be framed by the app origin; "
        "X-Frame-Options cannot name another origin, frame-ancestors does (test_framing.py)",
}


def responses(kiln_server):
    page_url, raw_url = kiln_server.store("<!doctype html><title>x</title><p>x</p>")
    artifact_id = page_url.rsplit("/", 1)[1]
    app, sandbox = kiln_server.app_origin, kiln_server.settings.sandbox_origin
    asset = re.search(r'src="(/assets/[^"]+)"', httpx.get(f"{app}/").text)
    assert asset, "the page's module at its fingerprinted address"
    return {
        "app": [f"{app}/", page_url, f"{app}/api/artifacts/{artifact_id}", f"{app}/nope",
                f"{app}/static/app.js", f"{app}{asset.group(1)}"],
        # With a viewer's storage token (never stored) and for a viewer who keeps nothing
        # (kept privately, revalidated).
        "artifact": [raw_url, f"{raw_url}?st={NOTHING_KEPT}", f"{raw_url}/download"],
        "sandbox": [f"{sandbox}/nope"],
    }


def test_header_checker_finds_nothing_unexplained(kiln_server):
    unexplained = []
    for kind, urls in responses(kiln_server).items():
        for url in urls:
            # Loopback only: never through a proxy from the environment.
            findings = Drheader(url=url, method="get", proxies={"http": None}).analyze()
            for finding in findings:
                # A cookie's name carries the installation's port (kiln_owner_5000).
                rule = re.sub(r"^(Set-Cookie - kiln_[a-z]+)_\d+$", r"\1", finding["rule"])
                if (kind, rule) not in ACCEPTED and ("*", rule) not in ACCEPTED:
                    unexplained.append((kind, url, rule, finding.get("message"),
                                        finding.get("value")))
    assert unexplained == [], "\n".join(map(str, unexplained))


@pytest.mark.parametrize("rule", ["X-Content-Type-Options", "Referrer-Policy",
                                  "Content-Security-Policy", "X-XSS-Protection"])
def test_header_checker_would_complain_about_a_bare_response(rule):
    """The checker is live: the same rules flag a response with no policy."""
    findings = Drheader(headers={"Content-Type": "text/html"}).analyze()
    assert rule in {finding["rule"] for finding in findings}
