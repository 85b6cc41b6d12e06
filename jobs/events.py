"""Every event a job's stream carries, one dataclass each (Datasette's events are
the model). A class's ``type`` is the SSE event name the pages subscribe to
(``JOB_EVENTS``); its fields are the event's JSON payload, exactly what the page,
the CLI and the tests read. Emit one with ``JobLog.emit(Status("testing", 2))``;
read one back from its stored form with ``parse``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from artifacts import JobEventOut


@dataclass(frozen=True)
class JobEvent:
    type: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        """The JSON the stream carries (fields left at None are left out)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Status(JobEvent):
    """Where the loop is: queued, generating, repairing, resampling (new tries once a
    repair failed), testing, done."""
    type: ClassVar[str] = "status"
    stage: str
    version: int | None = None


@dataclass(frozen=True)
class Stage(JobEvent):
    """A new model request starts (create, edit, edit_retry, rewrite, repair): its
    answer replaces what the previous one streamed."""
    type: ClassVar[str] = "stage"
    name: str
    detail: str = ""


@dataclass(frozen=True)
class Delta(JobEvent):
    """A piece of the model's answer."""
    type: ClassVar[str] = "delta"
    text: str


@dataclass(frozen=True)
class Retrying(JobEvent):
    type: ClassVar[str] = "retrying"
    attempt: int
    wait_s: float
    reason: str


@dataclass(frozen=True)
class Continuing(JobEvent):
    """The answer hit the output limit; another round continues it."""
    type: ClassVar[str] = "continuing"
    round: int


@dataclass(frozen=True)
class VersionMade(JobEvent):
    """A version was stored (a failed one too, its draft kept)."""
    type: ClassVar[str] = "version"
    number: int
    source: str
    failed: bool
    note: str | None
    method: str | None
    raw_url: str
    url: str

    def payload(self) -> dict[str, Any]:  # note and method are read even when null
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ChecksWritten(JobEvent):
    """The model wrote or changed the tool's acceptance checks."""
    type: ClassVar[str] = "checks"
    version: int
    count: int
    errors: list[str]
    note: str | None = None


@dataclass(frozen=True)
class Verdict(JobEvent):
    """A version's smoke test and acceptance checks (``SmokeReport.summary()``)."""
    type: ClassVar[str] = "smoke"
    version: int
    ok: bool
    errors: list[dict[str, Any]]
    checks: dict[str, Any]
    acceptance: list[dict[str, Any]] | None = None

    def payload(self) -> dict[str, Any]:  # acceptance: null means "no checks"
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TryTested(JobEvent):
    """One of several tries is complete and tested (``artifacts.tries.Tried.payload``:
    its number, checks passing, regressions, smoke verdict, errors, size, tokens)."""
    type: ClassVar[str] = "try"
    number: int
    of: int
    result: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LeadingTry(JobEvent):
    """Of several tries, ``number`` is ahead (tested, and ranks best so far): the
    draft restarts with its answer, and the deltas that follow are its."""
    type: ClassVar[str] = "leading"
    number: int
    of: int


@dataclass(frozen=True)
class TriesKept(JobEvent):
    """The best try became ``version``: "3 tries: 2 pass all 6 checks; kept the
    smaller one". The others are that version's alternatives."""
    type: ClassVar[str] = "tries"
    version: int
    kept: int
    summary: str
    tries: list[dict[str, Any]]

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Spent(JobEvent):
    """What one model answer cost; ``model`` is None in a blind arena battle."""
    type: ClassVar[str] = "usage"
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    model: str | None
    price_known: bool

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class End(JobEvent):
    """The job ended: done (with its result), failed, cancelled or interrupted."""
    type: ClassVar[str] = "end"
    status: str
    error: str | None = None
    result: dict[str, Any] | None = None


EVENTS: tuple[type[JobEvent], ...] = (Status, Stage, Delta, Retrying, Continuing, VersionMade,
                                      ChecksWritten, Verdict, TryTested, LeadingTry, TriesKept, Spent,
                                      End)
# The pages subscribe to exactly these names, and the CLI prints each.
JOB_EVENTS: tuple[str, ...] = tuple(cls.type for cls in EVENTS)
_BY_TYPE: dict[str, type[JobEvent]] = {cls.type: cls for cls in EVENTS}


def parse(stored: JobEventOut) -> JobEvent:
    """A stored or streamed event as its class (keys it does not know are left out:
    events stored by an older Kiln may carry more)."""
    cls = _BY_TYPE[stored.type]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in stored.data.items() if k in names})
