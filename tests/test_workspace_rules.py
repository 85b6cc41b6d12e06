"""The rules behind the workspace, each on its own: how a version is described, what
"Fix it" says it fixes, what an import accepts, the tool's life (reserved, retitled,
deleted), Stop before a job starts, and which endpoint the home page names."""
import pytest

from artifacts import ArtifactGone, ModelCallIn, NotOwner, Source, Usage, VersionIn, lifecycle
from artifacts import job_state as job_states
from artifacts.htmlfile import BadHTML, accept
from artifacts.tool_errors import Phase, ToolError, fix_request
from jobs import InProcessRunner, JobCancelled, JobFailed, JobLog, run_job
from services import unwrap_pasted_answer
from testkit.answers import TIP_DOC
from testkit.serving import make_settings
from web.present import describe_version, job_state, model_in_use


def version(source, note=None, parent=None, failed=False):
    from datetime import UTC, datetime

    from artifacts import Usage, VersionOut
    return VersionOut(artifact_id="a", number=2, html="<p>x</p>", source=Source(source), prompt=None,
                      model=None, parent_number=parent, usage=Usage(), failed=failed, note=note,
                      created_at=datetime.now(UTC))


def job(status, prompt="tips", after=True):
    from datetime import UTC, datetime, timedelta

    from artifacts import JobOut
    when = datetime.now(UTC) + timedelta(seconds=1 if after else -3600)
    return JobOut(id="j", kind="generate", artifact_id="a", prompt=prompt, status=status, error=None,
                  draft="", result={}, created_at=when, updated_at=when)


def test_the_workspace_shows_a_running_job_and_a_failed_one_with_a_retry_of_its_prompt():
    working = [version("generated")]
    running = job("running")
    shown = job_state(running, running, working)
    assert shown["job"] is running and shown["job_prompt"] == "tips" and not shown["retry"]
    failed = job("failed", "a timer")
    shown = job_state(failed, None, working)
    assert shown["job"] is failed and shown["retry"] == "a timer" and shown["retry_label"] == "Try again"
    assert job_state(job("interrupted"), None, [])["retry_label"] == "Retry"
    # A job that ended well, or one older than the newest version, is not shown again.
    assert job_state(job("done"), None, working)["job"] is None
    old = job_state(job("failed", after=False), None, working)
    assert old["job"] is None and old["job_prompt"] == "" and old["retry"] == ""
    # With no working version, the prompt box offers the last prompt again, even after a success.
    broken = [version("generated", "The answer was cut off.", failed=True)]
    assert job_state(job("done", "a clock", after=False), None, broken)["retry"] == "a clock"
    assert job_state(None, None, [])["job"] is None


@pytest.mark.parametrize("made,says", [
    (version("generated", "by document"), "written by the model"),
    (version("generated", "by edits", parent=1), "changed from v1 by the model"),
    (version("generated", "by rewrite", parent=3), "rewritten from v3 by the model"),
    (version("repaired", "by edits", parent=2), "fixed from v2 by the model"),
    (version("restored", parent=1), "restored from v1"),
    (version("edited", parent=4), "edited by hand from v4"),
    (version("imported"), "imported"),
    (version("remixed", "Remixed from “Tips” v3"), "a remix of “Tips” v3"),
    (version("generated", "The answer was cut off.", failed=True), "failed: The answer was cut off."),
])
def test_versions_are_described_in_plain_words(made, says):
    assert describe_version(made) == says


def test_fix_it_says_whose_errors_it_fixes():
    clicked = ToolError(kind="exception", message="ReferenceError: go is not defined", line=3,
                        phase=Phase.INPUT)
    seen = ToolError(kind="rejection", message="TypeError: bad", phase=Phase.VIEWER)
    tested = ToolError(kind="exception", message="boom", line=9, phase=Phase.LOAD)
    assert fix_request(2, [clicked], []) == (
        "Fix the error you hit when you clicked or typed in v2: "
        "ReferenceError: go is not defined (line 3).")
    assert fix_request(2, [seen, clicked], [tested]) == (
        "Fix the errors you hit when you clicked or typed in v2: TypeError: bad, and 1 more, "
        "and what the smoke test found.")
    assert fix_request(1, [seen], []) == "Fix the error the tool reported in your browser in v1: TypeError: bad."
    assert fix_request(5, [], [tested]) == "Fix what the smoke test found in v5: boom (line 9)."
    assert "smoke test" not in fix_request(1, [clicked], [])
    lib = ToolError(kind="exception", message="x", line=4, source="/lib/d3@7/d3.js")
    assert "line 4" not in fix_request(1, [], [lib])  # a library's line is not the tool's


@pytest.mark.parametrize("text,says", [
    ("Please build me a calculator.", "There is no HTML in this"),
    ('{"html": "<b>x</b>"}', "That is JSON, not HTML"),
    ("[1, 2, 3]", "That is JSON, not HTML"),
    ("<3 tips", "There is no HTML"),
    ("   ", "the input is empty"),
])
def test_an_import_without_html_is_refused(text, says):
    with pytest.raises(BadHTML, match=says):
        accept(text, 10_000)


def test_a_fragment_that_starts_with_a_tag_is_still_wrapped():
    accepted = accept("<div>hi <b>there</b></div>", 10_000)
    assert accepted.html.startswith("<!doctype html>") and "<div>hi" in accepted.html


@pytest.mark.parametrize("pasted", [
    f"Here you go:\n\n```html\n{TIP_DOC}\n```\n\nEnjoy!",
    f"Sure! Below is the file.\n\n~~~html\n{TIP_DOC}\n~~~",
    f"The whole page:\n{TIP_DOC}\nThat is all.",
])
def test_html_pasted_from_a_chat_is_unwrapped_as_a_models_answer_is(pasted):
    html, notices = unwrap_pasted_answer(pasted)
    assert html == TIP_DOC and "took the HTML out" in notices[0]


def test_a_document_is_taken_as_it_is_and_a_cut_one_is_refused():
    document = "<!-- made by hand -->\n<!doctype html><p>```html</p>"
    assert unwrap_pasted_answer(document) == (document, [])
    assert unwrap_pasted_answer("<div>plain fragment</div>") == ("<div>plain fragment</div>", [])
    with pytest.raises(BadHTML, match="incomplete"):
        unwrap_pasted_answer("Here:\n```html\n<!doctype html><html><body><p>never ends")


def test_a_reserved_tool_is_named_after_its_document_unless_renamed(store):
    reserved = lifecycle.reserve(store, "a tip calculator please", "me")
    assert reserved.version_count == 0 and store.is_owner(reserved.id, "me")
    assert lifecycle.retitle(store, reserved.id, "Tip calculator", only_if="a tip calculator please")
    assert store.get_artifact(reserved.id).title == "Tip calculator"
    store.rename(reserved.id, "Mine", "me")
    assert not lifecycle.retitle(store, reserved.id, "Other", only_if="Tip calculator")
    assert store.get_artifact(reserved.id).title == "Mine"


def test_delete_is_for_the_owner_not_while_a_job_runs_and_leaves_a_hash(store):
    artifact, _ = store.create_artifact("T", VersionIn(html="<p>x</p>", source=Source.IMPORTED), "me")
    with pytest.raises(NotOwner):
        lifecycle.delete(store, artifact.id, "someone else")
    job = store.create_job("edit", "p", "me", artifact.id)
    with pytest.raises(lifecycle.Busy):
        lifecycle.delete(store, artifact.id, "me")
    store.update_job(job.id, status="failed")
    deleted = lifecycle.delete(store, artifact.id, "me")
    assert deleted.title == "T" and deleted.job_ids == [job.id]
    with pytest.raises(ArtifactGone):
        store.get_artifact(artifact.id)
    with pytest.raises(ArtifactGone):
        lifecycle.delete(store, artifact.id, "me")
    assert store.job(job.id).prompt == ""  # kept for the budgets, with nothing it said
    other, _ = store.create_artifact("U", VersionIn(html="<p>y</p>", source=Source.IMPORTED), "me")
    assert store.get_artifact(other.id).title == "U"  # only that one is gone


def test_the_days_spend_counts_each_model_call_once_and_outlives_a_deleted_tool(store):
    from artifacts import tool_ai
    artifact, _ = store.create_artifact("T", VersionIn(html="<p>x</p>", source=Source.IMPORTED), "me")
    job = store.create_job("edit", "p", "me", artifact.id)
    call = ModelCallIn(artifact_id=artifact.id, model="m", system_prompt_version="v2", stage="generate",
                       messages=[], answer="", stop_reason="end_turn", error=None, duration_ms=1,
                       usage=Usage(input_tokens=100, output_tokens=20), job_id=job.id)
    store.log_model_calls([call, call.model_copy(update={
        "job_id": None, "stage": tool_ai.STAGE, "viewer_hash": "v" * 64,
        "usage": Usage(input_tokens=7, output_tokens=3)})])
    assert store.tokens_used_today() == 120  # the generation's
    assert tool_ai.tokens_today(store) == 10  # the tool's own, counted apart
    store.update_job(job.id, status="failed")
    lifecycle.delete(store, artifact.id, "me")
    assert store.tokens_used_today() == 120 and tool_ai.tokens_today(store) == 10


def test_a_job_stopped_before_it_starts_never_does_its_work(store):
    job = store.create_job("create", "p", None)
    assert job_states.request_cancel(store, job.id)
    ran = []
    log = JobLog(store, job.id)
    assert run_job(log, lambda _: ran.append(1) or {}, worker="test")
    assert ran == [] and store.job(job.id).status == "cancelled"
    assert not job_states.request_cancel(store, job.id)  # ended: nothing to stop


def test_a_stop_reaches_the_job_at_its_next_piece_of_answer(store):
    runner = InProcessRunner(store)

    def work(log):
        log.delta("first")
        job_states.request_cancel(store, log.job_id)  # from anywhere: the flag in the database
        log.flush()
        log.delta("second")  # raises JobCancelled
        raise AssertionError("not stopped")

    job = runner.start("create", "p", None, work)
    ended = runner.wait(job.id, timeout=10)
    assert ended.status == "cancelled" and ended.draft == "first"
    runner.close()


@pytest.mark.parametrize("ending", ["done", "failed", "cancelled"])
def test_whoever_hears_that_a_job_ended_finds_it_ended_in_the_store(store, ending):
    """The end is stored before it is told (to Redis, to in-process listeners): a
    page brought up to date on hearing it never sees the job still running."""
    job = store.create_job("create", "p", None)
    heard = []

    def publish(job_id, event):
        if event.type == "end":
            heard.append(store.job(job_id).status)

    log = JobLog(store, job.id, publish)

    def work(log):
        log.delta("some answer")
        if ending == "failed":
            raise JobFailed("no")
        if ending == "cancelled":
            raise JobCancelled()
        return {}

    assert run_job(log, work, worker="test")
    assert heard == [ending]


def test_the_home_page_names_a_custom_endpoint(tmp_path):
    own = make_settings(tmp_path, provider="anthropic", anthropic_api_key="k",
                        anthropic_base_url="https://api.anthropic.com")
    assert model_in_use(own) == "claude-sonnet-5-5 (Anthropic)"
    elsewhere = make_settings(tmp_path, provider="anthropic", anthropic_api_key="k",
                              anthropic_base_url="https://llm.example.internal:8443/anthropic")
    assert model_in_use(elsewhere) == ("claude-sonnet-5-5 at llm.example.internal:8443 "
                                       "(an Anthropic-compatible endpoint)")
