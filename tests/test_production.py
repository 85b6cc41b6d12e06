"""The production stack on loopback: gunicorn with two threaded web workers, a
job worker on the Redis queue, PostgreSQL; and the faults it must survive, each
with what the person sees. (A full disk for SQLite: tests/test_disk_full.py.)"""
import json
import re
import time

import httpx
import pytest

from testkit.answers import TIP_ANSWER, TIP_DOC
from testkit.clients import fetch_csrf_token, parse_sse
from testkit.fake_llm import Script
from testkit.servers import KilnStack
from testkit.waiting import eventually

pytestmark = pytest.mark.browser  # real servers over real HTTP

SLOW = 40  # tokens a second: a generation long enough to break things during it


@pytest.fixture
def stack(postgres_server, redis_server, fake_llm, tmp_path):
    stack = KilnStack(postgres_server, redis_server, log_dir=tmp_path,
                      provider="anthropic", anthropic_api_key="test-key",
                      anthropic_base_url=fake_llm.url, retry_backoff_s=0,
                      retry_backoff_max_s=0, request_timeout_s=30, max_output_tokens=2000,
                      job_workers=4)
    stack.fake = fake_llm
    yield stack
    stack.close()


class Person:
    """One browser: its cookies and CSRF token, on one connection at a time."""

    def __init__(self, origin: str):
        self.http = httpx.Client(base_url=origin, timeout=30)
        self.token = fetch_csrf_token(self.http)

    def generate(self, prompt: str) -> httpx.Response:
        return self.http.post("/api/generate", json={"prompt": prompt},
                              headers={"X-CSRFToken": self.token})

    def close(self):
        self.http.close()


def process_of(response: httpx.Response) -> str:
    return response.headers["X-Kiln-Process"]


def client_on_another_process(origin: str, cookies, not_this: str, tries: int = 200):
    """A new connection until it lands on a web worker other than ``not_this``."""
    for _ in range(tries):
        other = httpx.Client(base_url=origin, timeout=30, cookies=cookies)
        if process_of(other.get("/api/jobs/none")) != not_this:
            return other
        other.close()
    raise AssertionError(f"every one of {tries} connections reached process {not_this}")


def stream(client: httpx.Client, job_id: str, on_event=None, after: int | None = None):
    """Follow a job's SSE to its end; returns (events, the answering process)."""
    headers = {"Last-Event-ID": str(after)} if after is not None else {}
    events, buffer = [], ""
    with client.stream("GET", f"/api/jobs/{job_id}/events", headers=headers) as response:
        assert response.status_code == 200
        process = process_of(response)
        for chunk in response.iter_text():
            buffer += chunk
            blocks, buffer = buffer.rsplit("\n\n", 1) if "\n\n" in buffer else ("", buffer)
            for seq, kind, data in parse_sse(blocks + "\n\n"):
                events.append((seq, kind, json.loads(data)))
                if on_event:
                    on_event(events)
            if events and events[-1][1] == "end":
                break
    return events, process


def assert_complete(events):
    assert [seq for seq, _, _ in events] == list(range(events[0][0], events[0][0] + len(events)))


def test_a_generation_streams_to_a_client_of_the_other_web_worker(stack):
    stack.fake.script(Script(TIP_ANSWER, tokens_per_second=200))
    me = Person(stack.app_origin)
    started = me.generate("a tip calculator")
    assert started.status_code == 202, started.text
    other = client_on_another_process(stack.app_origin, me.http.cookies, process_of(started))
    events, process = stream(other, started.json()["job_id"])
    assert process != process_of(started)
    assert_complete(events)
    assert "".join(d["text"] for _, k, d in events if k == "delta") == TIP_ANSWER
    end = events[-1][2]
    assert end["status"] == "done", end
    # Stored in PostgreSQL, served by either worker, its prompt searchable there.
    tool = end["result"]["artifact_id"]
    assert other.get(f"/api/artifacts/{tool}").json()["owned"] is True
    raw = httpx.get(f"{stack.sandbox_origin}/raw/{tool}/1")
    assert raw.status_code == 200 and TIP_DOC.split("\n", 1)[1] in raw.text  # after the bootstrap
    assert f"/a/{tool}" in me.http.get("/?q=tip").text
    # Resumable from any event id, from any process.
    rest, _ = stream(me.http, started.json()["job_id"], after=3)
    assert rest == events[3:]
    me.close()
    other.close()


def test_the_worker_smoke_tests_with_one_warm_browser(postgres_server, redis_server, tmp_path):
    stack = KilnStack(postgres_server, redis_server, log_dir=tmp_path, smoke_on_save=1)
    try:
        me = Person(stack.app_origin)
        ids = [me.http.post("/api/artifacts", json={"html": TIP_DOC.replace("1.50", f"{n}.50")},
                            headers={"X-CSRFToken": me.token}).json()["id"] for n in range(3)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            verdicts = [me.http.get(f"/api/artifacts/{i}").json()["smoke_ok"] for i in ids]
            if None not in verdicts:
                break
            time.sleep(0.2)
        assert verdicts == [True, True, True]
        assert stack.log("worker0").count("Chromium started") == 1  # once, not once a job
        me.close()
    finally:
        stack.close()


def test_a_worker_killed_mid_generation(stack):
    """kill -9: the job ends "interrupted", its draft kept, and Retry works."""
    stack.fake.script(Script(TIP_ANSWER, tokens_per_second=SLOW))
    me = Person(stack.app_origin)
    job_id = me.generate("a tip calculator").json()["job_id"]
    victim = stack.workers[0]

    def kill_after_some_text(events):
        if victim in stack.workers and sum(k == "delta" for _, k, _ in events) >= 20:  # some of it stored
            stack.kill_worker(victim)

    events, _ = stream(me.http, job_id, on_event=kill_after_some_text)
    assert_complete(events)
    end = events[-1][2]
    assert end["status"] == "interrupted" and "Retry" in end["error"]
    job = me.http.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "interrupted" and job["draft"] and TIP_ANSWER.startswith(job["draft"])
    page = me.http.get(f"/jobs/{job_id}", follow_redirects=True).text  # the tool's page, as they see it
    assert "stopped before it finished" in page and "The partial answer (kept)" in page
    assert re.search(r'<button type="submit"[^>]*>Retry</button>', page)
    # Retry, once a worker runs again.
    stack.start_worker()
    stack.fake.script(TIP_ANSWER)
    again = me.generate(job["prompt"]).json()["job_id"]
    events, _ = stream(me.http, again)
    assert events[-1][2]["status"] == "done"
    me.close()


def test_stop_reaches_a_job_in_a_worker_process(stack):
    """Stop from a web process; the job runs in a worker: it ends "cancelled" at
    its next piece of answer, its draft kept, and the provider's stream is closed."""
    stack.fake.script(Script(TIP_ANSWER, tokens_per_second=SLOW))
    me = Person(stack.app_origin)
    job = me.generate("a tip calculator").json()
    stopped = []

    def stop_after_some_text(events):
        if not stopped and sum(k == "delta" for _, k, _ in events) >= 5:
            stopped.append(me.http.post(job["cancel_url"], json={},
                                        headers={"X-CSRFToken": me.token}).status_code)

    events, _ = stream(me.http, job["job_id"], on_event=stop_after_some_text)
    assert stopped == [202]
    assert_complete(events)
    assert events[-1][2]["status"] == "cancelled"
    kept = me.http.get(f"/api/jobs/{job['job_id']}").json()
    assert kept["status"] == "cancelled" and kept["draft"] and TIP_ANSWER.startswith(kept["draft"])
    assert len(kept["draft"]) < len(TIP_ANSWER)
    deadline = time.monotonic() + 10
    while not stack.fake.requests[-1].done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stack.fake.requests[-1].hung_up  # the worker closed the provider's stream
    page = me.http.get(f"/a/{job['artifact_id']}").text
    assert "Stopped before it finished" in page and "The partial answer (kept)" in page
    me.close()


def test_redis_restarting_loses_no_job(stack, redis_server):
    stack.fake.script(Script(TIP_ANSWER, tokens_per_second=SLOW))
    me = Person(stack.app_origin)
    job_id = me.generate("a tip calculator").json()["job_id"]

    def restart_redis_mid_stream(events):
        if len(events) == 6:
            redis_server.restart()

    events, _ = stream(me.http, job_id, on_event=restart_redis_mid_stream)
    assert_complete(events)
    assert events[-1][2]["status"] == "done"
    assert "".join(d["text"] for _, k, d in events if k == "delta") == TIP_ANSWER

    # A job asked for while Redis is away is kept, and runs once it is back.
    redis_server.stop()
    try:
        stack.fake.script(TIP_ANSWER)
        queued = me.generate("another tip calculator")
        assert queued.status_code == 202
        assert me.http.get(f"/api/jobs/{queued.json()['job_id']}").json()["status"] == "queued"
    finally:
        redis_server.start()
    events, _ = stream(me.http, queued.json()["job_id"])
    assert events[-1][2]["status"] == "done"
    me.close()


def test_postgres_restarting_is_a_503_then_recovers(stack, postgres_server):
    me = Person(stack.app_origin)
    tool = me.http.post("/api/artifacts", json={"html": TIP_DOC},
                        headers={"X-CSRFToken": me.token}).json()["id"]
    assert me.http.get(f"/a/{tool}").status_code == 200
    postgres_server.stop()
    try:
        page = me.http.get(f"/a/{tool}")
        api = me.generate("tips")
        assert page.status_code == 503 and "database is not answering" in page.text
        assert page.headers["Retry-After"]
        assert api.status_code == 503 and "Try again in a moment" in api.json()["error"]
    finally:
        postgres_server.start()
    # No restart of Kiln: the next requests are answered again.
    assert [me.http.get(f"/a/{tool}").status_code for _ in range(4)] == [200] * 4
    stack.fake.script(TIP_ANSWER)
    events, _ = stream(me.http, me.generate("tips").json()["job_id"])
    assert events[-1][2]["status"] == "done"
    me.close()


def test_rate_limits_hold_across_web_workers(postgres_server, redis_server, tmp_path):
    """Finding: the rate limiter counted in each process's memory, so two gunicorn
    workers let through twice the limit. With Redis (as production has) they
    count together: once the limit is used, every worker refuses."""
    stack = KilnStack(postgres_server, redis_server, log_dir=tmp_path,
                      write_rate_limit="5 per minute")
    me = Person(stack.app_origin)
    try:
        tool = me.http.post("/api/artifacts", json={"html": TIP_DOC},
                            headers={"X-CSRFToken": me.token})
        assert tool.status_code == 201  # (limits count per endpoint: this is another's)
        answered: dict[str, list[int]] = {}
        for _ in range(80):  # a new connection each time: either worker may take it
            with httpx.Client(base_url=stack.app_origin, timeout=30, cookies=me.http.cookies) as one:
                response = one.post(f"/api/artifacts/{tool.json()['id']}/grants",
                                    json={"grant": "ai"}, headers={"X-CSRFToken": me.token})
            answered.setdefault(process_of(response), []).append(response.status_code)
            refused_by = [p for p, codes in answered.items() if 429 in codes]
            if len(refused_by) == 2 and sum(map(len, answered.values())) >= 7:
                break
        statuses = [code for codes in answered.values() for code in codes]
        assert len(answered) == 2, answered  # both workers answered
        assert statuses.count(200) == 5, answered  # five in all, counted together
        assert all(429 in codes for codes in answered.values()), answered
    finally:
        me.close()
        stack.close()


def sign_in_as_owner(stack: KilnStack, person: Person) -> None:
    """Open a fresh one-time link for the owner and press Sign in, as a person would."""
    from artifacts import Store, accounts

    store = Store(stack.database_url)
    try:
        token = accounts.new_login_link(store, accounts.ensure_owner(store).id, 1)
    finally:
        store.dispose()
    path = f"/login/{token}"
    answer = person.http.post(path, data={"csrf_token": fetch_csrf_token(person.http, path)})
    assert answer.status_code == 303, answer.text
    person.token = fetch_csrf_token(person.http)


def test_a_visitors_flood_never_holds_up_a_members_verdict(postgres_server, redis_server, tmp_path):
    """Visitors' versions go on a queue of their own, served by threads of their
    own, counted per visitor in Redis: a member's verdict comes while a
    visitor's spinning versions still wait, and one past the visitor's quota is
    stored untested, the visitor told."""
    stack = KilnStack(postgres_server, redis_server, log_dir=tmp_path, smoke_on_save=1,
                      access="owner", smoke_waiting_per_visitor=3)
    spin = "<!doctype html><title>Spin</title><h1>{n}</h1><script>while (true) {{}}</script>"
    owner, visitor = Person(stack.app_origin), Person(stack.app_origin)

    def verdict(person, tool, number):
        return person.http.get(f"/api/artifacts/{tool}/versions/{number}").json()["smoke"]

    def write(person, path, **body):
        return person.http.post(path, json=body, headers={"X-CSRFToken": person.token})

    try:
        sign_in_as_owner(stack, owner)
        tool = write(owner, "/api/artifacts", html=TIP_DOC).json()["id"]
        eventually(lambda: verdict(owner, tool, 1) is not None, timeout=60, every=0.2)
        remix = write(visitor, f"/api/artifacts/{tool}/remix")
        assert remix.status_code == 201, remix.text
        mine = remix.json()["id"]
        eventually(lambda: verdict(visitor, mine, 1) is not None, timeout=60, every=0.2)

        answers = [write(visitor, f"/api/artifacts/{mine}/versions", html=spin.format(n=n))
                   for n in range(4)]
        assert [a.status_code for a in answers] == [201] * 4
        assert [bool(a.json()["notices"]) for a in answers] == [False, False, False, True]
        assert "will not be smoke-tested" in answers[3].json()["notices"][0]

        change = write(owner, f"/api/artifacts/{tool}/versions", html=TIP_DOC.replace("1.50", "2.50"))
        assert change.status_code == 201
        eventually(lambda: verdict(owner, tool, 2) is not None, timeout=60, every=0.1)
        assert verdict(owner, tool, 2)["ok"] is True
        waiting = [n for n in (2, 3, 4) if verdict(visitor, mine, n) is None]
        assert len(waiting) >= 2, waiting  # at most the one being tested is done
        # The visitor's get theirs in time; the one past the quota none.
        eventually(lambda: all(verdict(visitor, mine, n) for n in (2, 3, 4)), timeout=90, every=0.5)
        assert verdict(visitor, mine, 5) is None
        owner.close()
        visitor.close()
    finally:
        stack.close()
