"""The network channel's server side: the refused address classes (with the
spellings a URL parser accepts), the relay and its policy, the API that keeps a
viewer's Allow, and what Kiln's page is told. No browser here; the same rules
in the page are tested in tests/test_network.py."""
from __future__ import annotations

import ipaddress
import json
import re

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from artifacts import network_grants
from sandbox import network, policy
from sandbox.policy import Kind
from testkit.clients import directives

APP, SANDBOX = "http://127.0.0.1:5000", "http://localhost:5000"
OWN = ("127.0.0.1", "localhost")


@pytest.mark.parametrize("host,why", [
    # loopback, in every spelling the WHATWG URL parser reads as 127.0.0.1
    ("127.0.0.1", "a loopback address"), ("127.1", "a loopback address"),
    ("127.0.1", "a loopback address"), ("0x7f.0.0.1", "a loopback address"),
    ("0X7F.1", "a loopback address"), ("0177.0.0.1", "a loopback address"),
    ("00177.0.0.01", "a loopback address"), ("2130706433", "a loopback address"),
    ("0x7f000001", "a loopback address"), ("017700000001", "a loopback address"),
    ("127.0.0.1.", "a loopback address"), ("127.255.255.254", "a loopback address"),
    ("[::1]", "a loopback address"), ("[0:0:0:0:0:0:0:1]", "a loopback address"),
    ("[::ffff:127.0.0.1]", "a loopback address"), ("[::ffff:7f00:1]", "a loopback address"),
    ("[::127.0.0.1]", "a loopback address"),
    # the unspecified address, which reaches this computer
    ("0.0.0.0", "the unspecified address"), ("0", "the unspecified address"),
    ("0x0", "the unspecified address"), ("[::]", "the unspecified address"),
    # private, link-local, carrier-grade NAT, unique-local
    ("10.0.0.1", "a private address"), ("012.1", "a private address"),
    ("172.16.0.1", "a private address"), ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"), ("0xc0.0xa8.0x01.0x01", "a private address"),
    ("3232235777", "a private address"), ("[::ffff:192.168.1.1]", "a private address"),
    ("[64:ff9b::c0a8:101]", "a private address"), ("[2002:c0a8:101::1]", "a private address"),
    ("169.254.169.254", "a link-local address"), ("[fe80::1]", "a link-local address"),
    ("100.64.0.1", "a carrier-grade NAT address"), ("100.127.255.255", "a carrier-grade NAT address"),
    ("[fc00::1]", "a unique-local address"), ("[fd12:3456::1]", "a unique-local address"),
    # the other special ranges
    ("224.0.0.251", "a multicast address"), ("255.255.255.255", "a reserved address"),
    ("198.18.0.1", "a benchmarking address"), ("192.0.2.1", "a documentation address"),
    ("[2001:db8::1]", "a documentation address"), ("[ff02::1]", "a multicast address"),
    # names
    ("localhost", network.THIS_COMPUTER), ("LOCALHOST", network.THIS_COMPUTER),
    ("localhost.", network.THIS_COMPUTER), ("app.localhost", network.THIS_COMPUTER),
    ("printer.local", network.LOCAL_NETWORK), ("db.internal", network.LOCAL_NETWORK),
    ("router.home.arpa", network.LOCAL_NETWORK), ("box.localdomain", network.LOCAL_NETWORK),
    ("nas", network.SINGLE_LABEL), ("intranet", network.SINGLE_LABEL),
    # not a host at all: never reaches a relay or a header
    ("1.2.3.4.5", network.NOT_A_HOST), ("256.1.1.1", network.NOT_A_HOST),
    ("0x1g.1.1.1", network.NOT_A_HOST), ("a..b", network.NOT_A_HOST),
    ("x.com; script-src *", network.NOT_A_HOST), ("x.com:80", network.NOT_A_HOST),
    ("[::1", network.NOT_A_HOST), ("[zz::1]", network.NOT_A_HOST), ("", network.NOT_A_HOST),
    # public IPv6 literals: CSP cannot name them, so only by name
    ("[2606:4700::1111]", network.IPV6_BY_NAME), ("[::ffff:8.8.8.8]", network.IPV6_BY_NAME),
])
def test_refused_hosts_in_every_spelling(host, why):
    assert network.host_refusal(host, OWN) == why


@pytest.mark.parametrize("host", ["api.github.com", "pypi.org", "en.wikipedia.org", "8.8.8.8",
                                  "1.1.1.1", "100.128.0.1", "172.32.0.1", "xn--bcher-kva.example",
                                  "api.tools.example", "exa_mple.com"])
def test_public_hosts_may_be_asked_for(host):
    assert network.host_refusal(host, OWN) is None
    assert network.canonical_host(host) == host
    assert network.reachable_host(host, OWN) == host


def test_kiln_itself_is_refused_on_any_port_and_scheme():
    own = ("kiln.example.com", "sandbox.kiln-usercontent.example", "203.0.114.7")
    assert network.host_refusal("kiln.example.com", own) == network.KILN_ITSELF
    assert network.host_refusal("203.0.114.7", own) == network.KILN_ITSELF
    assert network.url_refusal("https://sandbox.kiln-usercontent.example:8443/x", own) == \
        network.KILN_ITSELF
    assert network.host_refusal("api.example.com", own) is None


@pytest.mark.parametrize("url,why", [
    ("ftp://example.com/", network.NOT_HTTP), ("file:///etc/passwd", network.NOT_HTTP),
    ("data:text/plain,x", network.NOT_HTTP), ("javascript:alert(1)", network.NOT_HTTP),
    ("ws://example.com/", network.NOT_HTTP), ("gopher://127.0.0.1:6379/_x", network.NOT_HTTP),
    ("http://[::1]:8080/", "a loopback address"), ("http://user:pw@0177.1/", "a loopback address"),
    ("HTTP://LocalHost/", network.THIS_COMPUTER), ("http:///nohost", network.NOT_A_HOST),
])
def test_urls(url, why):
    assert network.url_refusal(url, OWN) == why


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f.1", "API.GITHUB.COM", "api.github.com.",
                                  "010.1.1.1", "134744072", "[2606:4700::1111]", "a;b.com"])
def test_only_hosts_written_as_browsers_write_them_are_reachable(host):
    assert network.canonical_host(host) is None
    with pytest.raises(network.HostRefused):
        network.reachable_host(host, OWN)


@hypothesis_settings(max_examples=1000, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_no_ipv4_address_python_calls_non_global_is_reachable(value):
    """Python's ipaddress is the referee: nothing it calls non-global may be
    reachable (Kiln refuses a little more: multicast, 6to4 relays)."""
    address = ipaddress.IPv4Address(value)
    refused = network.host_refusal(str(address)) is not None
    if not address.is_global:
        assert refused, address
    assert refused == (not address.is_global or address.is_multicast
                       or address in ipaddress.IPv4Network("192.0.0.0/24")
                       or address in ipaddress.IPv4Network("192.88.99.0/24")), address


@hypothesis_settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_every_ipv6_literal_is_refused(value):
    assert network.host_refusal(f"[{ipaddress.IPv6Address(value)}]") is not None


def test_the_embedded_ipv4_of_a_v6_literal_decides_its_class():
    for prefix in ("::ffff:", "64:ff9b::", "::"):
        assert network.host_refusal(f"[{prefix}10.1.2.3]") == "a private address"
    assert network.host_refusal("[2002:0a01:0203::]") == "a private address"
    assert network.host_refusal("[2002:0808:0808::]") == network.IPV6_BY_NAME


# -- the relay ---------------------------------------------------------------------------

def test_the_relay_policy_names_one_host():
    headers = policy.headers_for(Kind.RELAY, app_origin=APP, sandbox_origin=SANDBOX,
                                 host="api.github.com")
    csp = directives(headers["Content-Security-Policy"])
    assert csp["connect-src"] == ("http://api.github.com:* https://api.github.com:* "
                                  "ws://api.github.com:* wss://api.github.com:*")
    assert csp["sandbox"] == "allow-scripts"
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == f"'{network.RELAY_SCRIPT_HASH}'"
    assert csp["frame-ancestors"] == APP
    assert csp["form-action"] == "'none'" and csp["base-uri"] == "'none'"
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers and "Connection-Allowlist" not in headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    # The hash is the relay's script itself.
    import base64
    import hashlib
    assert network.RELAY_SCRIPT_HASH == "sha256-" + base64.b64encode(
        hashlib.sha256(network.RELAY_JS.encode()).digest()).decode()
    assert f"<script>{network.RELAY_JS}</script>" in network.RELAY_DOCUMENT


def test_a_relay_on_https_may_open_wss_only():
    """Mixed content, as a browser decides it: a page served over https opens no ws:."""
    headers = policy.headers_for(Kind.RELAY, app_origin="https://kiln.example",
                                 sandbox_origin="https://sandbox.kiln-usercontent.example",
                                 host="stream.example.com")
    csp = directives(headers["Content-Security-Policy"])
    assert csp["connect-src"] == ("http://stream.example.com:* https://stream.example.com:* "
                                  "wss://stream.example.com:*")
    assert "ws://" not in headers["Content-Security-Policy"]


@pytest.mark.parametrize("url,schemes,why", [
    ("wss://stream.example.com/feed", network.WEBSOCKET_SCHEMES, None),
    ("ws://127.0.0.1:9000/", network.WEBSOCKET_SCHEMES, "a loopback address"),
    ("wss://[::1]/", network.WEBSOCKET_SCHEMES, "a loopback address"),
    ("https://stream.example.com/", network.WEBSOCKET_SCHEMES, network.NOT_WS),
    ("ws://stream.example.com/", network.HTTP_SCHEMES, network.NOT_HTTP),
])
def test_websocket_urls(url, schemes, why):
    assert network.url_refusal(url, OWN, schemes) == why


@pytest.mark.parametrize("host", ["127.0.0.1", "x.com; script-src *", "x.com\r\nSet-Cookie: a=b",
                                  "*", "", "localhost", "0x7f.1"])
def test_the_relay_policy_never_takes_a_refused_or_strange_host(host):
    with pytest.raises(ValueError):
        policy.relay_csp(APP, host)


def test_the_relay_is_served_on_the_sandbox_origin_only(app, sandbox_client, client):
    response = sandbox_client.get("/net/api.github.com")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == network.RELAY_DOCUMENT
    assert directives(response.headers["Content-Security-Policy"])["connect-src"] == \
        "http://api.github.com:* https://api.github.com:* ws://api.github.com:* wss://api.github.com:*"
    assert client.get("/net/api.github.com").status_code == 404  # never on the app origin


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0x7f.1", "2130706433", "10.0.0.1",
                                  "printer.local", "nas", "API.GITHUB.COM", "%31%32%37.0.0.1",
                                  "[::1]", "a;b.com"])
def test_no_relay_for_a_refused_host(sandbox_client, host):
    response = sandbox_client.get(f"/net/{host}")
    assert response.status_code == 404
    assert "connect-src" not in response.headers.get("Content-Security-Policy", "")


# -- what Kiln's page is told ----------------------------------------------------------------

CONFIG = re.compile(r'<script type="application/json" id="kiln-config">(.*?)</script>', re.S)


def test_the_page_gets_the_rules_and_limits_from_the_server(client, settings):
    config = json.loads(CONFIG.search(client.get("/").get_data(as_text=True)).group(1))["network"]
    assert config["refused_networks"] == [list(p) for p in network.REFUSED_NETWORKS]
    assert config["embedded_ipv4"] == [list(p) for p in network.EMBEDDED_IPV4]
    assert config["own_hosts"] == ["127.0.0.1", "localhost"]
    assert config["relay"] == f"{settings.sandbox_origin}/net/"
    assert config["per_minute"] == settings.network_requests_per_minute == 60
    assert config["max_response_bytes"] == settings.network_max_response_bytes == 10 * 1024 * 1024
    assert config["max_request_bytes"] == settings.network_max_request_bytes
    assert config["phrases"]["kiln_itself"] == network.KILN_ITSELF


def test_the_network_limits_are_settings(monkeypatch):
    from settings import SettingsError, load_settings
    monkeypatch.setenv("KILN_NETWORK_REQUESTS_PER_MINUTE", "5")
    monkeypatch.setenv("KILN_NETWORK_MAX_RESPONSE_BYTES", "2048")
    loaded = load_settings(_env_file=None)
    assert (loaded.network_requests_per_minute, loaded.network_max_response_bytes) == (5, 2048)
    monkeypatch.setenv("KILN_NETWORK_REQUESTS_PER_MINUTE", "0")
    with pytest.raises(SettingsError, match="KILN_NETWORK_REQUESTS_PER_MINUTE"):
        load_settings(_env_file=None)


# -- the viewer's Allow, kept on the server ----------------------------------------------------

def hosts_url(artifact_id: str) -> str:
    return f"/api/artifacts/{artifact_id}/network/hosts"


def test_allow_is_kept_per_tool_and_viewer_and_can_be_revoked(client, other_client, kiln):
    artifact_id = kiln.import_html("<p>x</p>", None).artifact.id
    second = kiln.import_html("<p>y</p>", None).artifact.id
    assert client.get(hosts_url(artifact_id)).json == {"hosts": []}
    for host in ("api.github.com", "pypi.org", "api.github.com"):
        response = client.post(hosts_url(artifact_id), json={"host": host})
        assert response.status_code == 201
    assert client.get(hosts_url(artifact_id)).json == {"hosts": ["api.github.com", "pypi.org"]}
    assert client.get(hosts_url(second)).json == {"hosts": []}           # another tool
    assert other_client.get(hosts_url(artifact_id)).json == {"hosts": []}  # another viewer
    # The page of the tool renders this viewer's list for the bridge.
    page = client.get(f"/a/{artifact_id}").get_data(as_text=True)
    assert """data-hosts='["api.github.com", "pypi.org"]'""" in page

    revoked = client.http.delete(f"{hosts_url(artifact_id)}/pypi.org",
                                 headers={"Host": client.host, "X-CSRFToken": client.token()})
    assert revoked.status_code == 200 and revoked.json == {"hosts": ["api.github.com"]}
    assert client.get(hosts_url(artifact_id)).json == {"hosts": ["api.github.com"]}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.1", "0x7f.1", "printer.local",
                                  "API.GITHUB.COM", "[::1]", "a;b.com", "x" * 254])
def test_a_refused_host_cannot_be_allowed(client, kiln, host):
    artifact_id = kiln.import_html("<p>x</p>", None).artifact.id
    response = client.post(hosts_url(artifact_id), json={"host": host})
    assert response.status_code == 400 and response.json["error"]
    assert client.get(hosts_url(artifact_id)).json == {"hosts": []}


def test_allowing_needs_the_csrf_token_and_a_real_artifact(client, kiln):
    artifact_id = kiln.import_html("<p>x</p>", None).artifact.id
    forged = client.http.post(hosts_url(artifact_id), json={"host": "api.github.com"},
                              headers={"Host": client.host})
    assert forged.status_code == 400
    assert client.post(hosts_url("nope"), json={"host": "api.github.com"}).status_code == 404
    assert client.post(hosts_url(artifact_id), json={"host": 7}).status_code == 400
    assert client.get(hosts_url(artifact_id)).json == {"hosts": []}


def test_a_tool_may_be_allowed_only_so_many_hosts(store):
    from artifacts import Source, VersionIn
    artifact, _ = store.create_artifact("t", VersionIn(html="<p>x</p>", source=Source.IMPORTED), None)
    for i in range(network_grants.MAX_HOSTS):
        network_grants.allow_host(store, artifact.id, "viewer", f"api{i}.example.com")
    with pytest.raises(network_grants.TooManyHosts):
        network_grants.allow_host(store, artifact.id, "viewer", "one-more.example.com")
    # Allowing one already there is not one more.
    assert len(network_grants.allow_host(store, artifact.id, "viewer", "api0.example.com")) == \
        network_grants.MAX_HOSTS
    assert network_grants.allowed_hosts(store, artifact.id, "someone else") == []
