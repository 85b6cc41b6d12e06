"""Background jobs: events streamed live over real HTTP, resumable, persisted."""
import threading

import httpx
import pytest

from jobs import JobFailed
from jobs.events import Status
from testkit.clients import parse_sse
from testkit.signing import owner_cookie


def test_job_streams_live_and_resumes(live_server):
    kiln = live_server.kiln
    gate = threading.Event()

    def work(log):
        log.emit(Status("generating"))
        for word in ("Hello", " ", "world"):
            log.delta(word)
        gate.wait(10)
        log.delta("!")
        return {"answer": log.draft}

    job = kiln.jobs.start("generate", "say hello", "me", work)
    url = f"{live_server.app_origin}/api/jobs/{job.id}/events"
    cookies = owner_cookie(live_server.app, "me")
    received = []
    with httpx.stream("GET", url, timeout=10, cookies=cookies) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        buffer = ""
        for chunk in response.iter_text():
            buffer += chunk
            received = parse_sse(buffer)
            if any(t == "delta" and '"world"' in d for _, t, d in received):
                gate.set()
            if any(t == "end" for _, t, _ in received):
                break
    kinds = [t for _, t, _ in received]
    assert kinds[:2] == ["status", "status"] and kinds[-1] == "end"
    assert [s for s, _, _ in received] == list(range(1, len(received) + 1))

    # Resume after event 3: exactly the rest, from the store now that the job is over.
    rest = httpx.get(url, headers={"Last-Event-ID": "3"}, timeout=10, cookies=cookies)
    assert parse_sse(rest.text) == received[3:]
    final = kiln.store.job(job.id)
    assert final.status == "done" and final.draft == "Hello world!"
    assert final.result == {"answer": "Hello world!"}


def test_failed_job_keeps_its_draft_and_says_why(kiln):
    def work(log):
        log.delta("<!doctype html><p>half")
        raise JobFailed("The provider stopped mid-answer.")

    job = kiln.jobs.start("generate", "p", None, work)
    done = kiln.jobs.wait(job.id, timeout=10)
    assert done.status == "failed" and done.error == "The provider stopped mid-answer."
    assert done.draft == "<!doctype html><p>half" and done.prompt == "p"
    events = kiln.store.job_events(job.id)
    assert events[-1].type == "end" and events[-1].data["error"] == done.error


def test_unexpected_error_ends_the_job_visibly(kiln):
    job = kiln.jobs.start("generate", "p", None, lambda log: 1 / 0)
    done = kiln.jobs.wait(job.id, timeout=10)
    assert done.status == "failed" and "ZeroDivisionError" in done.error


def test_interrupted_jobs_are_failed_at_start(settings):
    from app import create_app
    app = create_app(settings)
    kiln = app.extensions["kiln"]
    job = kiln.store.create_job("generate", "p", None)
    kiln.store.update_job(job.id, status="running", draft="partial")
    kiln.close()
    again = create_app(settings).extensions["kiln"]
    try:
        restarted = again.store.job(job.id)
        assert restarted.status == "failed" and "restarted" in restarted.error
        assert restarted.draft == "partial"
    finally:
        again.close()


@pytest.mark.parametrize("after", ["abc", "-1", "99999"])
def test_odd_last_event_ids(client, kiln, app, after):
    job = kiln.jobs.start("generate", "p", "me", lambda log: {})
    kiln.jobs.wait(job.id, timeout=10)
    client.http.set_cookie(*owner_cookie(app, "me").popitem(), domain="127.0.0.1")
    response = client.get(f"/api/jobs/{job.id}/events", headers={"Last-Event-ID": after})
    assert response.status_code == 200
    ids = [s for s, _, _ in parse_sse(response.get_data(as_text=True))]
    assert ids == ([] if after == "99999" else [1, 2])


def test_unknown_job_is_a_404(client):
    assert client.get("/api/jobs/nope/events").status_code == 404
    assert client.get("/api/jobs/nope").status_code == 404


def test_someone_elses_job_is_a_404(client, other_client, kiln, app):
    job = kiln.jobs.start("generate", "my secret prompt", "me", lambda log: log.delta("draft"))
    kiln.jobs.wait(job.id, timeout=10)
    client.http.set_cookie(*owner_cookie(app, "me").popitem(), domain="127.0.0.1")
    assert client.get(f"/api/jobs/{job.id}").json["prompt"] == "my secret prompt"
    for path in (f"/api/jobs/{job.id}", f"/api/jobs/{job.id}/events", f"/jobs/{job.id}"):
        response = other_client.get(path)
        assert response.status_code == 404
        assert b"my secret prompt" not in response.data and b"draft" not in response.data


def test_job_event_names_are_one_list(store):
    """A job may only emit the events its listeners know (the pages subscribe to
    JOB_EVENTS, the CLI prints each); anything else fails loudly at its first use,
    and what is stored reads back as the event that was emitted."""
    from cli import progress_line
    from jobs import JOB_EVENTS, JobLog
    from jobs import events as ev

    log = JobLog(store, store.create_job("create", "p", None).id)
    with pytest.raises(TypeError, match="not a job event"):
        log.emit({"type": "progress", "percent": 3})
    samples = [ev.Status("testing", 2), ev.Stage("edit", "one block"), ev.Delta("<p>"),
               ev.Retrying(1, 0.5, "overloaded"), ev.Continuing(2),
               ev.VersionMade(2, "generated", False, None, "edit", "raw", "url"),
               ev.ChecksWritten(2, 3, []), ev.Verdict(2, True, [], {}, None),
               ev.TryTested(1, 3, {"checks_passed": 2, "checks_total": 3, "smoke_ok": True,
                                   "note": None}),
               ev.LeadingTry(2, 3),
               ev.TriesKept(2, 1, "3 tries: 2 pass all 3 checks; kept the smaller one", []),
               ev.Spent(1, 2, 0, 0, 0.01, None, True), ev.End("done", result={"version": 2})]
    assert [type(e) for e in samples] == list(ev.EVENTS)
    assert [e.type for e in samples] == list(JOB_EVENTS)
    for event in samples:
        log.emit(event)
        assert progress_line(event) is None if isinstance(event, ev.Delta) else progress_line(event)
    log.flush()
    stored = store.job_events(log.job_id)
    assert [ev.parse(e) for e in stored] == samples


def test_a_job_asked_to_stop_ends_cancelled_with_its_draft(kiln):
    """The hook a Stop button uses: the flag, set from anywhere, is read at the
    job's next flush and stops it at the next piece of the answer."""
    from artifacts import job_state
    from jobs import JobCancelled

    asked, pieces = threading.Event(), []

    def work(log):
        while True:
            log.delta("word ")
            pieces.append(1)
            if len(pieces) == 3:
                assert job_state.request_cancel(kiln.store, log.job_id)
                asked.set()
            log.flush()

    job = kiln.jobs.start("generate", "p", "me", work)
    done = kiln.jobs.wait(job.id, timeout=10)
    assert asked.is_set() and done.status == "cancelled" and "partial answer is kept" in done.error
    assert done.draft.startswith("word word word")
    assert len(pieces) <= 4  # stopped at the piece after the flush that read the flag
    assert not job_state.request_cancel(kiln.store, job.id)  # it has ended: nothing to stop
    assert JobCancelled.__doc__


def test_a_job_runs_once_however_often_it_is_handed_over(kiln):
    from artifacts import job_state
    job = kiln.store.create_job("create", "p", None)
    assert job_state.claim(kiln.store, job.id, "one")
    assert not job_state.claim(kiln.store, job.id, "two")


def test_a_silent_running_job_is_interrupted_with_its_draft(kiln):
    from datetime import timedelta

    from artifacts import job_state
    from artifacts.tables import utcnow
    job = kiln.store.create_job("create", "p", None)
    job_state.claim(kiln.store, job.id, "gone")
    kiln.store.update_job(job.id, [], draft="half a tool")
    assert job_state.interrupt(kiln.store, utcnow() - timedelta(seconds=60)) == []  # still beating
    ended = job_state.interrupt(kiln.store, utcnow() + timedelta(seconds=1), last_seq=lambda _: 7)
    assert [(i, e.seq, e.data["status"]) for i, e in ended] == [(job.id, 8, "interrupted")]
    after = kiln.store.job(job.id)
    assert after.status == "interrupted" and after.draft == "half a tool"
    assert kiln.store.job_events(job.id)[-1].type == "end"
