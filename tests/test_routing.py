"""Raw artifacts only on the sandbox origin; the UI and API only on the app origin."""
import pytest


@pytest.fixture
def artifact(kiln):
    return kiln.import_html("<!doctype html><p>routed</p>", None).artifact


def test_raw_is_served_on_the_sandbox_origin(sandbox_client, artifact):
    response = sandbox_client.get(f"/raw/{artifact.id}/1")
    assert response.status_code == 200 and b"routed" in response.data


def test_raw_is_a_404_on_the_app_origin(client, artifact):
    for path in (f"/raw/{artifact.id}/1", f"/raw/{artifact.id}/1/download"):
        response = client.get(path)
        assert response.status_code == 404
        assert b"routed" not in response.data


@pytest.mark.parametrize("path", ["/", "/a/{id}", "/api/artifacts/{id}", "/static/style.css",
                                  "/a/{id}/v/1"])
def test_app_routes_are_a_404_on_the_sandbox_origin(sandbox_client, artifact, path):
    response = sandbox_client.get(path.format(id=artifact.id))
    assert response.status_code == 404
    assert b"<form" not in response.data and b"csrf" not in response.data


def test_writes_are_refused_on_the_sandbox_origin(sandbox_client, artifact):
    response = sandbox_client.http.post(f"/api/artifacts/{artifact.id}/remix", json={},
                                        headers={"Host": sandbox_client.host})
    assert response.status_code == 404


def test_unknown_hosts_get_a_helpful_404(app, artifact):
    http = app.test_client()
    for host in ("evil.example", "127.0.0.1:9999", "localhost:5001"):
        response = http.get(f"/raw/{artifact.id}/1", headers={"Host": host})
        assert response.status_code == 404
        assert b"routed" not in response.data
    assert b"http://127.0.0.1:5000" in http.get("/", headers={"Host": "evil.example"}).data


def test_real_http_routing(live_server):
    kiln = live_server.kiln
    artifact = kiln.import_html("<p>live</p>", None).artifact
    with live_server.http() as http:
        assert http.get(kiln.raw_url(artifact.id, 1)).status_code == 200
        wrong = kiln.raw_url(artifact.id, 1).replace(live_server.sandbox_origin,
                                                      live_server.app_origin)
        assert http.get(wrong).status_code == 404
        assert http.get(f"{live_server.sandbox_origin}/").status_code == 404
        assert http.get(f"{live_server.app_origin}/").status_code == 200
