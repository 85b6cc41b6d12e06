"""Generating with files attached, through Kiln's HTTP API, the real anthropic SDK
and the fake provider on loopback: the model is told each file's profile (never
the rows past its sample), the tool's versions keep the files, and a refused file
starts nothing."""
from __future__ import annotations

import json

from testkit.answers import TIP_DOC
from testkit.clients import HttpBrowser

ANSWER = f"A table of the data.\n\n```html\n{TIP_DOC}\n```\n"
ROWS = 500
CSV = ("order,customer,amount\n" + "".join(
    f"{n},customer-{n:04d},{n * 3}.50\n" for n in range(1, ROWS + 1))).encode()


def finish(server, job_id):
    return server.kiln.jobs.wait(job_id, timeout=30)


def said_to_model(server, index=0) -> str:
    return json.dumps(server.fake.requests[index].body["messages"])


def test_a_csv_attached_sends_its_profile_and_not_its_rows(server):
    server.fake.script(ANSWER, ANSWER)
    me = HttpBrowser(server.app_origin)
    started = me.post("/api/generate", data={"prompt": "a dashboard of my orders"},
                      files=[("file", ("orders.csv", CSV, "text/csv"))])
    assert started.status_code == 202, started.text
    job = finish(server, started.json()["job_id"])
    assert job.status == "done", job.error
    told = said_to_model(server)
    assert "orders.csv" in told and "kiln.files" in told
    assert "amount" in told and "integer" in told or "number" in told
    assert str(ROWS) in told  # the row count
    assert "customer-0001" in told  # a sample row
    assert "customer-0400" not in told and "customer-0499" not in told  # never the rest
    artifact_id = job.result["artifact_id"]
    version = server.kiln.store.get_version(artifact_id, 1)
    assert [(f.name, f.size) for f in version.files] == [("orders.csv", len(CSV))]
    # a follow-up keeps the files, and tells the model of them again
    again = me.post(f"/api/artifacts/{artifact_id}/prompt", json={"prompt": "sort by amount"})
    assert finish(server, again.json()["job_id"]).status == "done"
    assert "orders.csv" in said_to_model(server, 1)
    assert [f.name for f in server.kiln.store.get_version(artifact_id, 2).files] == ["orders.csv"]


def test_a_follow_up_may_attach_more_files(server):
    server.fake.script(ANSWER, ANSWER)
    me = HttpBrowser(server.app_origin)
    job = finish(server, me.post("/api/generate", data={"prompt": "orders"},
                                 files=[("file", ("orders.csv", CSV, "text/csv"))]
                                 ).json()["job_id"])
    artifact_id = job.result["artifact_id"]
    people = b'[{"customer": "customer-0001", "city": "Oslo"}]'
    again = me.post(f"/api/artifacts/{artifact_id}/prompt", data={"prompt": "join the cities"},
                    files=[("file", ("people.json", people, "application/json"))])
    assert again.status_code == 202, again.text
    assert finish(server, again.json()["job_id"]).status == "done"
    told = said_to_model(server, 1)
    assert "people.json" in told and "orders.csv" in told
    names = [f.name for f in server.kiln.store.get_version(artifact_id, 2).files]
    assert names == ["orders.csv", "people.json"]


def test_an_image_attached_is_shown_to_the_model_and_kept(server):
    import base64
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAj"
                           "CB0C8AAAAASUVORK5CYII=")
    server.fake.script(ANSWER)
    me = HttpBrowser(server.app_origin)
    started = me.post("/api/generate", data={"prompt": "a tool like this"},
                      files=[("file", ("shot.png", png, "image/png"))])
    job = finish(server, started.json()["job_id"])
    assert job.status == "done", job.error
    content = server.fake.requests[0].body["messages"][0]["content"]
    assert any(block.get("type") == "image" for block in content)
    files = server.kiln.store.get_version(job.result["artifact_id"], 1).files
    assert [(f.name, f.kind, f.mime) for f in files] == [("shot.png", "image", "image/png")]


def test_a_refused_file_starts_nothing_and_calls_no_model(server):
    me = HttpBrowser(server.app_origin)
    before = len(server.kiln.store.list_artifacts(None))
    answer = me.post("/api/generate", data={"prompt": "explore this"},
                     files=[("file", ("dump.json", b'{"broken": ', "application/json"))])
    assert answer.status_code == 400
    assert "dump.json" in answer.json()["error"]
    assert server.fake.requests == []
    assert server.kiln.jobs is not None
    assert len(server.kiln.store.list_artifacts(None)) == before
    root = server.kiln.files.disk.root
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_an_empty_prompt_with_files_is_refused_before_any_file_is_kept(server):
    me = HttpBrowser(server.app_origin)
    answer = me.post("/api/generate", data={"prompt": "  "},
                     files=[("file", ("orders.csv", CSV, "text/csv"))])
    assert answer.status_code == 400
    root = server.kiln.files.disk.root
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]
