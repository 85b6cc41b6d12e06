"""How things look on Kiln's pages: the model's notes as safe HTML, line diffs,
which model is in use. Plain functions, so each rule is tested on its own."""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import bleach
import markdown
from markupsafe import Markup

from artifacts import JobOut, MessageOut, Store, VersionInfo, VersionOut, checks_store, links, tries
from artifacts.checks import Outcome, summary_of
from artifacts.checks_store import AcceptanceOut, CheckSetOut
from artifacts.secret_scan import Scan, summary
from generator import provider_configured
from generator.checks_block import without_checks
from generator.edits import REPLACE_LINE, SEARCH_LINE
from settings import Settings

NOTE_TAGS = ["p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li", "blockquote",
             "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td"]
NOTE_ATTRIBUTES = {"a": ["href", "title"]}
NOTE_PROTOCOLS = ["http", "https", "mailto"]
MAX_NOTE_CHARS = 20_000
# The document itself is shown in the Code tab; in the conversation it is noise,
# and a cut-off answer may leave its fence open.
_DOCUMENT_FENCE = re.compile(r"```[ \t]*html?\b.*?(?:```|\Z)", re.S | re.I)
_EDIT_BLOCK = re.compile(SEARCH_LINE + r"[\s\S]*?(?:" + REPLACE_LINE + r"|\Z)", re.M)


def render_notes(text: str | None) -> Markup:
    """The model's notes (Markdown) as HTML that cannot run anything: only a few
    formatting tags survive, links only to http(s)/mailto and never open in place."""
    text = without_checks(text or "")  # shown in the Checks tab
    text = _DOCUMENT_FENCE.sub("\n*(the HTML document: see the Code tab)*\n", text)
    text = _EDIT_BLOCK.sub("\n*(an edit: see the Code tab)*\n", text)
    if len(text) > MAX_NOTE_CHARS:
        text = text[:MAX_NOTE_CHARS] + "\n\n*(cut: the rest is too long to show here)*"
    html = markdown.markdown(text, extensions=["fenced_code", "tables", "sane_lists"])
    clean = bleach.clean(html, tags=NOTE_TAGS, attributes=NOTE_ATTRIBUTES,
                         protocols=NOTE_PROTOCOLS, strip=True)
    clean = re.sub(r"<a ", '<a rel="nofollow noopener noreferrer" target="_blank" ', clean)
    return Markup(clean)


@dataclass(frozen=True)
class DiffLine:
    kind: str            # "same", "add", "del" or "skip" (unchanged lines left out)
    old: int | None      # line number in the older version
    new: int | None      # line number in the newer version
    text: str


@dataclass(frozen=True)
class Diff:
    lines: list[DiffLine]
    added: int
    removed: int
    truncated: bool = False


def line_diff(old: str, new: str, context: int = 3, max_lines: int = 4000) -> Diff:
    """A unified line diff with ``context`` unchanged lines around each change.
    Text stays text: the template escapes it."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group_index, group in enumerate(matcher.get_grouped_opcodes(context)):
        first = group[0]
        if group_index or first[1] or first[3]:
            lines.append(DiffLine("skip", first[1] + 1, first[3] + 1, "⋯"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
                continue
            if tag in ("replace", "delete"):
                removed += i2 - i1
                lines += [DiffLine("del", i1 + k + 1, None, a[i1 + k]) for k in range(i2 - i1)]
            if tag in ("replace", "insert"):
                added += j2 - j1
                lines += [DiffLine("add", None, j1 + k + 1, b[j1 + k]) for k in range(j2 - j1)]
    truncated = len(lines) > max_lines
    return Diff(lines[:max_lines], added, removed, truncated)


ANTHROPIC_HOST = "api.anthropic.com"


def model_in_use(settings: Settings) -> str | None:
    """What the home page names as the model, or None when none is configured:
    with the endpoint's host when it is not the provider's own."""
    if not provider_configured(settings):
        return None
    uses_anthropic = settings.provider == "anthropic" or (
        settings.provider == "auto" and settings.anthropic_api_key)
    if uses_anthropic:
        host = urlsplit(settings.anthropic_base_url or "").netloc
        if host and host.lower() != ANTHROPIC_HOST:
            return f"{settings.anthropic_model} at {host} (an Anthropic-compatible endpoint)"
        return f"{settings.anthropic_model} (Anthropic)"
    return f"{settings.openai_model or 'model'} at {settings.openai_base_url}"


# How each version came about, in the words a person uses (the stored note of a
# model's version says which way its document was made: "by edits", ...).
_BY_MODEL = {"by document": "written by the model", "by edits": "changed by the model",
             "by rewrite": "rewritten by the model"}


def describe_version(version: VersionInfo) -> str:
    """"restored from v1", "changed from v3 by the model", "failed: the answer
    was cut off": never the stored words ("generated · by document")."""
    source, note, parent = version.source.value, version.note or "", version.parent_number
    after = f" from v{parent}" if parent else ""
    if version.failed:
        return f"failed: {note}" if note else "failed"
    if source == "generated":
        made = _BY_MODEL.get(note, "written by the model")
        return made.replace(" by", f"{after} by", 1) if parent else made
    if source == "repaired":
        return f"fixed{after} by the model"
    if source == "resampled":
        return f"tried anew{after} against the checks"
    if source == "restored":
        return f"restored{after}"
    if source == "edited":
        return f"edited by hand{after}"
    if source == "remixed":
        return note.replace("Remixed from", "a remix of", 1) if note else "a remix"
    if source == "data":  # the same document with a changed file set: its note says how
        return _lower_first(note) if note else "its files changed"
    return "imported"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def human_size(size: int) -> str:
    """"512 B", "3.2 KB", "1.5 MB": as the pages' script writes sizes (static/format.js)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def shared_files(files: list[Any]) -> str:
    """What a share link hands over besides the tool: "This tool shares 2 files
    (3.1 MB) with everyone who has the link", or "" with no files."""
    if not files:
        return ""
    count, size = len(files), human_size(sum(f.size for f in files))
    return (f"This tool shares {count} file{'' if count == 1 else 's'} ({size}) "
            "with everyone who has the link")


@dataclass
class Turn:
    """One entry of the workspace's conversation."""
    role: str                     # "user", "assistant", "repair" or "version"
    text: str = ""                # what a person wrote (escaped by the template)
    html: Markup | None = None    # the model's notes, already sanitised
    version: object | None = None  # the VersionInfo this turn produced
    label: str = ""               # how that version came about (describe_version)


def job_state(last: JobOut | None, running: JobOut | None, versions: list[VersionInfo]) -> dict[str, Any]:
    """What the workspace says of the tool's last job (``running``, if one is).
    A job that has made no version yet: its prompt is not in the conversation,
    and a failure (or Stop) is shown with its partial answer. With no working
    version yet, the prompt box offers the last prompt again."""
    fresh = last is not None and (not versions or last.created_at > versions[-1].created_at)
    failed = last if last and not running and last.status != "done" and fresh else None
    working = any(not v.failed for v in versions)
    return dict(job=running or failed, job_prompt=last.prompt if last and fresh else "",
                working=working,
                retry=(last.prompt if last and not running and (failed or not working) else ""),
                retry_label="Retry" if last and last.status == "interrupted" else "Try again")


def conversation(messages: list[MessageOut], versions: list[VersionInfo]) -> list[Turn]:
    """The prompts and answers in order, each version after the turn that made it;
    versions made without a prompt (imported, edited, restored) stand alone."""
    by_version: dict[int | None, list[Any]] = {}
    for message in messages:
        by_version.setdefault(message.version_number, []).append(message)
    turns = [_turn(m) for m in by_version.pop(None, [])]
    for version in versions:
        turns += [_turn(m) for m in by_version.pop(version.number, [])]
        turns.append(Turn("version", version=version, label=describe_version(version)))
    return turns


def _turn(message: MessageOut) -> Turn:
    if message.role == "assistant":
        return Turn("assistant", html=render_notes(message.content))
    return Turn(message.role, text=message.content)


# -- acceptance checks -----------------------------------------------------------------

SOURCE_WORDS = {"model": "written by the model", "person": "written by you",
                "import": "imported", "remix": "taken from the original with the remix"}


def check_set_json(found: CheckSetOut | None) -> dict[str, Any] | None:
    if found is None:
        return None
    parsed = found.parsed
    return {"id": found.id, "source": found.source, "text": found.text,
            "checks": parsed.as_data(), "errors": found.errors, "note": found.note,
            "created_at": found.created_at.isoformat()}


def acceptance_json(store: Store, artifact_id: str, number: int) -> dict[str, Any] | None:
    found = checks_store.results(store, artifact_id, number)
    if found is None:
        return None
    return {"check_set_id": found.check_set_id, "passed": found.passed, "total": found.total,
            "regressions": found.regressions, "summary": found.summary,
            "outcomes": [{**o.model_dump(mode="json"), "screenshot_url": (
                f"/a/{artifact_id}/v/{number}/checks/{i}.png" if o.has_screenshot else None)}
                for i, o in enumerate(found.outcomes, 1)]}


@dataclass
class CheckRow:
    """One check as the Checks tab shows it: what it says, and how it went."""
    position: int                   # 1-based, in the set as stored
    name: str
    steps: list[str]                # each step as written
    outcome: Outcome | None = None  # when tested
    screenshot_url: str | None = None


def acceptance_view(store: Store, artifact_id: str, number: int | None) -> dict[str, Any]:
    """What the Checks tab, the share page and the workspace show of the checks:
    the current set, what this version was tested against and each result (none
    while the tool's first version is being written)."""
    current = checks_store.current_set(store, artifact_id)
    results = checks_store.results(store, artifact_id, number) if number else None
    tested = (checks_store.get_set(store, results.check_set_id)
              if results and (current is None or results.check_set_id != current.id) else current)
    return acceptance_parts(artifact_id, number, current, results, tested)


def acceptance_parts(artifact_id: str, number: int | None, current: CheckSetOut | None,
                     results: AcceptanceOut | None, tested: CheckSetOut | None) -> dict[str, Any]:
    """``acceptance_view`` from what was read already: the current set, this
    version's result and the set it was tested against."""
    parsed = tested.parsed if tested else None
    outcomes: dict[str, tuple[int, Outcome]] = {}
    for i, o in enumerate(results.outcomes if results else [], 1):
        outcomes.setdefault(o.name, (i, o))
    rows = []
    for position, check in enumerate(parsed.checks if parsed else [], 1):
        index, outcome = outcomes.get(check.name, (0, None))
        shot = outcome is not None and outcome.has_screenshot
        rows.append(CheckRow(position, check.name, [s.describe() for s in check.steps], outcome,
                             f"/a/{artifact_id}/v/{number}/checks/{index}.png" if shot else None))
    malformed = [o for o in (results.outcomes if results else []) if o.detail.startswith(
        "malformed") or o.name == "the check set"]
    return {"current_set": current, "tested_set": tested, "results": results, "rows": rows,
            "malformed": malformed, "set_errors": tested.errors if tested else [],
            "stale": bool(results and current and results.check_set_id != current.id),
            "source_words": SOURCE_WORDS.get(tested.source, tested.source) if tested else None,
            "current_json": check_set_json(current)}


# -- what the JSON API shows of a tool -------------------------------------------------

# Anyone with a share link gets through the API what the share page shows them:
# the tool, its versions' documents and verdicts. How the owner made it (each
# version's prompt, model, tokens and cost, its source and notes) is the owner's:
# the share page and a remix keep it private, and so does the API.
SHARED_ARTIFACT_FIELDS = ("id", "title", "url", "owned", "writing", "latest_version",
                          "version_count", "forked_from_id", "forked_from_version", "smoke_ok",
                          "has_thumbnail", "versions")
SHARED_VERSION_FIELDS = ("artifact_id", "number", "html", "failed", "smoke", "raw_url", "size",
                         "acceptance", "files")


def _blinded(data: dict[str, Any]) -> dict[str, Any]:
    """Without the model, nor the tokens and cost that would name it by its price."""
    return {**data, "model": None, "usage": None}


def artifact_for(data: dict[str, Any], owned: bool, blind: bool) -> dict[str, Any]:
    """A tool as ``GET /api/artifacts/ID`` gives it: the owner's view whole, anyone
    else's cut to what the share page shows. ``blind`` (an arena tool before its
    battle's vote) leaves the model out, and the tokens and cost that could name
    it by its price, for the owner too."""
    versions = [_blinded(v) if blind else v for v in data["versions"]]
    data = {**data, "versions": versions, **({"usage": None} if blind else {})}
    if owned:
        return data
    shown = {k: v for k, v in data.items() if k in SHARED_ARTIFACT_FIELDS}
    shown["versions"] = [{k: v for k, v in version.items() if k in SHARED_VERSION_FIELDS}
                         for version in versions]
    return shown


def version_for(data: dict[str, Any], owned: bool, blind: bool) -> dict[str, Any]:
    """One version as ``GET /api/artifacts/ID/versions/N`` gives it, by the same rules."""
    data = _blinded(data) if blind else data
    return data if owned else {k: v for k, v in data.items() if k in SHARED_VERSION_FIELDS}


# -- the secret scan (the owner's pages only) --------------------------------------------------

@dataclass
class SharedSecrets:
    """What the scan found in a version a share link shows, for the warning there."""
    number: int
    scan: Scan

    @property
    def summary(self) -> str:
        return summary(self.scan)


def secrets_view(scan_of: Callable[[int], Scan], latest: int, shown: int | None) -> dict[str, Any]:
    """The secret scan as the owner's workspace shows it: the version on screen
    (``secrets``, for the Checks tab) and, for the warning next to "Copy link",
    each version the two links show with what was found (the version on screen,
    and the current one "Link to the latest" shows). Never for anyone else."""
    if shown is None:
        return {"secrets": None, "share_secrets": []}
    here = scan_of(shown)
    linked = [SharedSecrets(shown, here)]
    if latest != shown:
        linked.append(SharedSecrets(latest, scan_of(latest)))
    return {"secrets": here, "share_secrets": [s for s in linked if s.scan.count]}


def secrets_json(scan: Scan) -> dict[str, Any]:
    """The owner's JSON view of a version's scan: kinds, lines, masked previews."""
    return {"count": scan.count, "findings": [f.model_dump() for f in scan.findings],
            "more": scan.more}


# -- several tries: what a version's alternatives say beside it ---------------------------------

@dataclass
class TriesView:
    """A version kept from several tries: which try it was, its alternatives (the
    others), and the sentence the job said ("3 tries: 2 pass all 6 checks; kept the
    smaller one"), said again from what was stored by the one rule that chose."""
    kept: int
    alternatives: list[tries.AlternativeOut]
    summary: str

    @property
    def count(self) -> int:
        return len(self.alternatives) + 1


def tries_view(store: Store, version: VersionOut) -> TriesView | None:
    """None for a version made from one try."""
    found = tries.alternatives(store, version.artifact_id, version.number)
    if not found:
        return None
    taken = {a.try_number for a in found}
    kept = next(n for n in range(1, len(found) + 2) if n not in taken)
    return TriesView(kept, found, tries.summary(
        [_kept_as_tried(store, version, kept), *(_as_tried(a) for a in found)]))


def _kept_as_tried(store: Store, version: VersionOut, number: int) -> tries.Tried:
    """The kept try as it was judged: its verdict is its version's (kept as tested)."""
    results = checks_store.results(store, version.artifact_id, version.number)
    smoke = version.smoke
    return tries.Tried(
        number, version.html, passed=results.passed if results else 0,
        total=results.total if results else 0,
        regressions=results.regressions if results else 0,
        smoke_ok=None if smoke is None else not any(
            (check or {}).get("status") == "fail" for name, check in smoke.checks.items()
            if name != "acceptance"),
        errors=len(smoke.errors) if smoke else 0)


def _as_tried(alternative: tries.AlternativeOut) -> tries.Tried:
    return tries.Tried(alternative.try_number, alternative.html or None,
                       passed=alternative.checks_passed, total=alternative.checks_total,
                       regressions=alternative.regressions, smoke_ok=alternative.smoke_ok,
                       errors=alternative.errors_count, tokens=alternative.tokens,
                       method=alternative.method, note=alternative.note)


@dataclass
class TrySide:
    """One try as the comparison shows it, beside the others."""
    number: int
    kept: bool
    url: str | None         # its document on the sandbox origin; None: it gave none
    checks: str             # "5/6 checks pass (1 regression)", or "no checks"
    passes_all: bool
    smoke_ok: bool | None
    errors: int
    size: int
    tokens: int
    note: str | None


def try_sides(store: Store, version: VersionOut, view: TriesView,
              sandbox_origin: str) -> list[TrySide]:
    """Every try in the order asked: the kept one is the version itself (its tokens
    are what the version spent less the others'), the rest its alternatives."""
    kept = _kept_as_tried(store, version, view.kept)
    spent = version.usage.budget_tokens - sum(a.tokens for a in view.alternatives)
    sides = [TrySide(kept.number, True, links.raw_url(sandbox_origin, version.artifact_id,
                                                      version.number),
                     summary_of(kept.passed, kept.total, kept.regressions), kept.passes_all,
                     kept.smoke_ok, kept.errors, kept.size, max(spent, 0), None)]
    for a in view.alternatives:
        sides.append(TrySide(
            a.try_number, False,
            links.alternative_url(sandbox_origin, version.artifact_id, version.number,
                                  a.try_number) if a.html else None,
            summary_of(a.checks_passed, a.checks_total, a.regressions),
            bool(a.html) and a.checks_total > 0 and a.checks_passed == a.checks_total,
            a.smoke_ok, a.errors_count, a.size, a.tokens, a.note))
    return sorted(sides, key=lambda side: side.number)
