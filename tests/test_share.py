"""Anyone with the link can view, download and remix; only the owner can change."""
from testkit.clients import Client
from testkit.serving import make_settings
from testkit.signing import owner_cookie_name


def create(client, html="<!doctype html><title>Shared</title><p>v1</p>"):
    response = client.post("/api/artifacts", json={"html": html})
    assert response.status_code == 201
    return response.json["id"]


def test_owner_cookie_is_signed_and_http_only(client, app):
    response = client.post("/api/artifacts", json={"html": "<p>x</p>"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("kiln_owner_5000=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert owner_cookie_name(app) == "kiln_owner_5000"


def test_owner_can_add_versions_and_others_cannot(client, other_client, kiln):
    artifact_id = create(client)
    ok = client.post(f"/api/artifacts/{artifact_id}/versions", json={"html": "<p>v2</p>"})
    assert ok.status_code == 201 and ok.json["version"] == 2

    refused = other_client.post(f"/api/artifacts/{artifact_id}/versions", json={"html": "<p>evil</p>"})
    assert refused.status_code == 403 and "remix" in refused.json["error"]
    assert other_client.patch(f"/api/artifacts/{artifact_id}", json={"title": "pwned"}).status_code == 403
    assert other_client.post(f"/api/artifacts/{artifact_id}/restore", json={"version": 1}).status_code == 403
    form = other_client.post(f"/a/{artifact_id}/versions", data={"html": "<p>evil</p>",
                                                                 "csrf_token": other_client.token()})
    assert form.status_code == 403
    assert kiln.store.get_artifact(artifact_id).latest_version == 2
    assert kiln.store.get_artifact(artifact_id).title == "Shared"


def test_forged_owner_cookie_grants_nothing(client, other_client, app):
    artifact_id = create(client)
    name = owner_cookie_name(app)
    real = client.http.get_cookie(name, domain="127.0.0.1").value
    other_client.http.set_cookie(name, real[:-2] + "xx", domain="127.0.0.1")
    refused = other_client.post(f"/api/artifacts/{artifact_id}/versions", json={"html": "<p>x</p>"})
    assert refused.status_code == 403


def test_viewer_sees_the_share_page_without_edit_controls(client, other_client):
    artifact_id = create(client)
    mine = client.get(f"/a/{artifact_id}").text
    theirs = other_client.get(f"/a/{artifact_id}").text
    assert "Save as a new version" in mine and "Save as a new version" not in theirs
    for page in (mine, theirs):
        assert f"http://127.0.0.1:5000/a/{artifact_id}" in page and "Remix" in page


def test_pinned_version_in_the_url(client, kiln):
    artifact_id = create(client)
    client.post(f"/api/artifacts/{artifact_id}/versions", json={"html": "<p>v2</p>"})
    pinned = client.get(f"/a/{artifact_id}/v/1").text
    assert f"/raw/{artifact_id}/1\"" in pinned and f"http://127.0.0.1:5000/a/{artifact_id}/v/1" in pinned
    latest = client.get(f"/a/{artifact_id}").text
    assert f"/raw/{artifact_id}/2\"" in latest


def test_remix_copies_the_pinned_version_to_a_new_owner(client, other_client, kiln):
    artifact_id = create(client)
    client.post(f"/api/artifacts/{artifact_id}/versions", json={"html": "<p>v2 secret prompt</p>"})
    remix = other_client.post(f"/api/artifacts/{artifact_id}/remix", json={"version": 1})
    assert remix.status_code == 201
    remix_id = remix.json["id"]
    assert remix_id != artifact_id
    info = other_client.get(f"/api/artifacts/{remix_id}").json
    assert info["owned"] and info["forked_from_id"] == artifact_id and info["forked_from_version"] == 1
    assert [v["source"] for v in info["versions"]] == ["remixed"]
    assert kiln.store.get_version(remix_id).html == "<!doctype html><title>Shared</title><p>v1</p>"
    # the remixer can change the copy; the original owner cannot; the original is unchanged
    assert other_client.post(f"/api/artifacts/{remix_id}/versions", json={"html": "<p>mine</p>"}).status_code == 201
    assert client.post(f"/api/artifacts/{remix_id}/versions", json={"html": "<p>x</p>"}).status_code == 403
    assert kiln.store.get_artifact(artifact_id).latest_version == 2


def test_remix_by_form_redirects_to_the_copy(client, other_client):
    artifact_id = create(client)
    response = other_client.post(f"/a/{artifact_id}/remix", data={"csrf_token": other_client.token()})
    assert response.status_code == 303
    copy = other_client.get(response.headers["Location"]).text
    assert "Save as a new version" in copy and "Remixed" in copy


def test_restore_makes_a_new_version(client, kiln):
    artifact_id = create(client)
    client.post(f"/api/artifacts/{artifact_id}/versions", json={"html": "<p>v2</p>"})
    restored = client.post(f"/api/artifacts/{artifact_id}/restore", json={"version": 1})
    assert restored.status_code == 201 and restored.json["version"] == 3
    v3 = kiln.store.get_version(artifact_id, 3)
    assert v3.source.value == "restored" and v3.parent_number == 1
    assert v3.html == kiln.store.get_version(artifact_id, 1).html
    assert client.post(f"/api/artifacts/{artifact_id}/restore", json={"version": 9}).status_code == 404


def test_home_lists_only_my_artifacts(client, other_client):
    create(client, "<!doctype html><title>Only mine</title>")
    assert "Only mine" in client.get("/").text
    assert "Only mine" not in other_client.get("/").text


def test_form_writes_are_rate_limited_like_the_api(tmp_path):
    from app import create_app
    app = create_app(make_settings(tmp_path, write_rate_limit="2 per minute"))
    try:
        browser = Client(app, "127.0.0.1:5000")
        codes = [browser.post("/import", data={"html": "<p>x</p>", "csrf_token": browser.token()}
                              ).status_code for _ in range(3)]
        assert codes == [303, 303, 429]
    finally:
        app.extensions["kiln"].close()
