"""From what was seen to a verdict: every rule of the smoke test, in one place.

A tool that works when opened normally must pass unless it needs the network,
so each rule fails only on evidence that a person would hit the problem:

* exceptions   any uncaught exception or unhandled rejection, at load or when used;
* console      console.error() while loading (when used, only a warning: tools
               legitimately log rejected input); one about a missing or refused
               camera or microphone, from a tool that handled it and goes on
               working, is a warning too (a viewer without one sees the same);
* network      fetch(), XMLHttpRequest, WebSocket and EventSource to other hosts
               go through Kiln's page, which asks the viewer: the test answers
               them as a failed network would and passes, naming the hosts
               ("needs the network: ...; asks the viewer"); the errors a tool
               shows when such a request fails (an unhandled rejection,
               console.error) count as that, not as breakage. Form posts and
               navigations away fail (the tool needs what Kiln never gives
               it); a blocked script fails when the page is also
               broken (then it is the likely cause); blocked stylesheets, fonts,
               images are a warning (looks differ, the tool works);
* blank        nothing visible in the DOM, or a screenshot of a single colour
               (a canvas page has until the end of the run, and at least the
               load budget, to paint: a game loop may start late);
* hang         the page's main thread stopped answering (a page that keeps
               drawing frames and answers a probe is busy, not hung; every
               load, a check's fresh one too, has the load budget for its
               first frame);
* crash        the renderer died (out of memory, usually);
* memory       the page went over the tester's memory cap (the kernel's, not
               only V8's heap: ArrayBuffers, images and canvases count) and was
               stopped; a crash it caused is named for it;
* sandbox      alert()/confirm()/prompt(), popups and downloads, which Kiln's
               sandbox ignores: a warning, the tool still runs. What Kiln asks
               the viewer to allow (saving a file, the clipboard, a link, full screen) is
               granted as a person would, and named in the pass detail, as is
               what it asked of Kiln's server (AI, saved data: stand-ins answer);
* navigation   a page that reloads itself to keep state in its URL, or a form
               sent to the page itself, is named for what it is; it fails only
               when it leaves the page broken (reloading without end, blank after);
* interaction  what the interaction pass did (for the record);
* acceptance   the version's acceptance checks (only when it has some).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from typing import Any, cast
from urllib.parse import urlsplit

from artifacts.checks import Outcome
from artifacts.smoke_report import Check, SmokeReport, Status
from artifacts.tool_errors import ToolError, dedupe
from sandbox.documents import SERVICE_WORKER_REFUSAL
from sandbox.network import HTTP_SCHEMES, WEBSOCKET_SCHEMES, url_refusal

# A page may reload itself (URL state) this often; more is a reload loop.
MAX_SELF_NAVIGATIONS = 5


@dataclass
class Blocked:
    url: str
    kind: str       # a request's resource type, or "navigation"
    reason: str
    phase: str


@dataclass
class Observations:
    served: bool = False
    loaded: bool = False
    load_ms: int = 0
    load_error: str | None = None
    hang: tuple[str, str] | None = None      # (phase, detail)
    unstuck: bool = True
    crashed: str | bool = False              # the phase it crashed in
    capped: bool = False                     # the hard cap cut the run short
    memory_cap: str = ""                     # the tester's memory cap, as set up on this host
    out_of_memory: bool = False              # the page went over it and was stopped
    capped_but_answering: bool = False       # ... while the page still answered
    exceptions: list[ToolError] = field(default_factory=list)
    console: list[ToolError] = field(default_factory=list)
    csp: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    sandbox_notes: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # consent the viewer would be asked for
    uses: list[str] = field(default_factory=list)   # what it asked of Kiln's server (AI, data)
    network: list[str] = field(default_factory=list)  # URLs the page asked Kiln's page to fetch
    own_hosts: tuple[str, ...] = ()                   # Kiln's own hosts, which no tool may reach
    content: dict[str, Any] | None = None
    screenshot: bytes | None = None
    interaction: dict[str, Any] | None = None
    last_step: str | None = None
    busy: list[str] = field(default_factory=list)   # slow moments when the page still answered
    paint_waited_ms: int = 0                        # a late canvas painted after this long
    self_navigations: list[str] = field(default_factory=list)  # the page reloaded itself, to these
    self_submits: list[str] = field(default_factory=list)      # forms sent to the page itself
    content_after_navigation: dict[str, Any] | None = None    # what it showed once it had reloaded itself
    acceptance: list[Outcome] | None = None         # None: the version has no checks


# CSP directives whose refusal means the tool wanted the network (or to leave).
NETWORK_DIRECTIVES = {"connect-src", "form-action", "navigate-to", "worker-src", "frame-src",
                      "child-src", "manifest-src", "object-src"}
# How a refusal in a frame the tool wrote itself is named: the tool's own page
# may fetch through Kiln, such a frame never.
FROM_A_FRAME = "from a frame the tool made"
SCRIPT_DIRECTIVES = {"script-src", "script-src-elem", "script-src-attr"}
NETWORK_KINDS = {"fetch", "xhr", "websocket", "eventsource", "navigation", "ping", "other"}
# How browsers and tools word a failed request, when the tool rewords ours.
FAILED_REQUEST = re.compile(r"failed to fetch|networkerror|network request failed|network error|"
                            r"load failed", re.I)
PHASES = ["load", "checks", "interaction", "later"]
# How browsers and tools word a camera or microphone that is missing or refused.
NO_DEVICE = re.compile(r"\b(camera|microphone|webcam|getUserMedia|getDisplayMedia|mediaDevices|"
                       r"media devices?|screen capture)\b|requested device not found|"
                       r"could not start (video|audio) source", re.I)


def judge(obs: Observations, duration_ms: int) -> SmokeReport:
    obs = _service_workers_refused(obs)
    checks: dict[str, Check] = {}
    offline = _from_the_network(obs)
    blank_status, blank_detail = _blank(obs)
    devices = _missing_devices(obs, blank_status)
    broken = bool(obs.exceptions or obs.hang or obs.crashed or obs.load_error
                  or any(e.phase == "load" for e in obs.console) or blank_status is Status.FAIL)

    checks["load"] = _load(obs)
    checks["exceptions"] = _exceptions(obs)
    checks["console"] = _console(obs)
    if devices and checks["console"].status is Status.PASS:
        checks["console"] = Check(status=Status.WARN, detail=(
            f"a missing or refused camera or microphone, handled ({len(devices)}x): "
            f"{devices[0].message[:200]}"))
    checks["network"], network_errors = _network(obs, broken, offline)
    checks["blank"] = Check(status=blank_status, detail=blank_detail)
    checks["hang"] = _hang(obs)
    checks["crash"] = (Check(status=Status.FAIL, detail=f"the page crashed the browser tab during "
                             f"{obs.crashed} (out of memory, usually)")
                       if obs.crashed else Check(status=Status.PASS, detail="no crash"))
    checks["memory"] = _memory(obs)
    if obs.out_of_memory and obs.crashed:
        checks["crash"] = Check(status=Status.SKIP, detail="stopped for its memory (see memory)")
    checks["sandbox"] = _sandbox(obs)
    checks["navigation"] = _navigation(obs)
    checks["interaction"] = _interaction(obs)

    errors = list(obs.exceptions)
    if obs.hang:
        errors.append(ToolError(kind="hang", message=obs.hang[1], phase=obs.hang[0]))
    if obs.out_of_memory:
        errors.append(ToolError(kind="memory", message=checks["memory"].detail,
                                phase=str(obs.crashed) if obs.crashed else None))
    elif obs.crashed:
        errors.append(ToolError(kind="crash", message=checks["crash"].detail, phase=str(obs.crashed)))
    if obs.load_error:
        errors.append(ToolError(kind="load", message=obs.load_error, phase="load"))
    errors += [e for e in obs.console if e.phase == "load"] + network_errors
    if checks["navigation"].status is Status.FAIL:
        errors.append(ToolError(kind="navigation", message=checks["navigation"].detail))
    errors += [e for e in obs.console if e.phase != "load"] + devices
    distinct, more = dedupe(errors)
    ok = not any(c.status is Status.FAIL for c in checks.values())
    report = SmokeReport(ok=ok, checks=checks, errors=distinct, more_errors=more,
                         duration_ms=duration_ms, thumbnail_png=obs.screenshot)
    return _with_acceptance(report, obs)


def _service_workers_refused(obs: Observations) -> Observations:
    """A tool that registers a service worker, and leaves Kiln's refusal
    uncaught, still works (it only goes without offline caching): a note."""
    refused = [e for e in obs.exceptions if SERVICE_WORKER_REFUSAL in e.message]
    if not refused:
        return obs
    return replace(obs, exceptions=[e for e in obs.exceptions if e not in refused],
                   sandbox_notes=[*obs.sandbox_notes, "navigator.serviceWorker.register()"])


def _missing_devices(obs: Observations, blank: Status) -> list[ToolError]:
    """Take out of ``obs`` console.error() at load about a camera or microphone
    that is missing or refused, when the tool handled it and goes on working (no
    uncaught error, hang, crash, and not blank); return them."""
    found = [e for e in obs.console if e.phase == "load" and NO_DEVICE.search(e.message)]
    if not found or obs.exceptions or obs.hang or obs.crashed or obs.load_error \
            or blank is Status.FAIL:
        return []
    obs.console = [e for e in obs.console if e not in found]
    return found


def _load(obs: Observations) -> Check:
    if obs.loaded:
        return Check(status=Status.PASS, detail=f"loaded in {obs.load_ms} ms")
    if obs.hang and obs.hang[0] == "load":
        return Check(status=Status.FAIL, detail=obs.hang[1])
    if obs.crashed:
        return Check(status=Status.FAIL, detail="the tab was stopped for its memory while loading"
                     if obs.out_of_memory else "the tab crashed while loading")
    return Check(status=Status.FAIL, detail=f"the page did not load: {obs.load_error or 'unknown error'}")


def _memory(obs: Observations) -> Check:
    if obs.out_of_memory:
        during = f" during {obs.crashed}" if isinstance(obs.crashed, str) else ""
        return Check(status=Status.FAIL, detail=(
            f"the page used more memory than the smoke tester allows ({obs.memory_cap}) and was "
            f"stopped{during}: hold less at once (large arrays, ArrayBuffers, images, canvases)"))
    if not obs.memory_cap:
        return Check(status=Status.SKIP, detail="no memory cap on this tester")
    return Check(status=Status.PASS, detail=f"within the memory cap ({obs.memory_cap})")


def _exceptions(obs: Observations) -> Check:
    if not obs.exceptions:
        return Check(status=Status.PASS, detail="no uncaught exceptions or unhandled rejections")
    phases = sorted({e.phase or "load" for e in obs.exceptions}, key=PHASES.index)
    first = obs.exceptions[0]
    return Check(status=Status.FAIL, detail=(
        f"{len(obs.exceptions)} uncaught error(s) during {' and '.join(phases)}; first: "
        f"{first.message[:200]}"))


def _console(obs: Observations) -> Check:
    at_load = [e for e in obs.console if e.phase == "load"]
    if at_load:
        return Check(status=Status.FAIL, detail=f"console.error() while loading: {at_load[0].message[:200]}")
    if obs.console:
        return Check(status=Status.WARN, detail=(
            f"console.error() when used ({len(obs.console)}x): {obs.console[0].message[:200]}"))
    return Check(status=Status.PASS, detail="no console errors")


def _from_the_network(obs: Observations) -> list[ToolError]:
    """Take out of ``obs`` the errors that only say a request failed offline, and
    return them. A tool that needs the network is not broken for failing without
    it, and its repair must not remove it."""
    hosts = {urlsplit(url).hostname or url for url in obs.network}

    def offline(error: ToolError) -> bool:
        text = f"{error.message} {error.source or ''}"
        return bool(hosts) and (any(host in text for host in hosts) or bool(FAILED_REQUEST.search(text)))

    caused = [e for e in obs.exceptions + obs.console if offline(e)]
    obs.exceptions = [e for e in obs.exceptions if e not in caused]
    obs.console = [e for e in obs.console if e not in caused]
    return caused


def _needs_the_network(obs: Observations, offline: list[ToolError]) -> str:
    """The note on the hosts the tool asked for: those a viewer is asked about
    ("needs the network: api.github.com; asks the viewer"), those Kiln never reaches."""
    asks: list[str] = []
    never: list[str] = []
    for url in obs.network:
        host = urlsplit(url).hostname or url
        why = url_refusal(url, obs.own_hosts, HTTP_SCHEMES + WEBSOCKET_SCHEMES)
        if why:
            never.append(f"{host} ({why})")
        else:
            asks.append(host)
    parts = []
    if asks:
        parts.append(f"needs the network: {', '.join(_unique(asks)[:5])}; asks the viewer")
    if never:
        parts.append(f"asks for what Kiln never lets a tool reach: {', '.join(_unique(never)[:3])}")
    if offline:
        parts.append(f"{len(offline)} error(s) from requests failing offline, as they would "
                     "for a viewer who says no")
    return "; ".join(parts)


def _network(obs: Observations, broken: bool,
             offline: list[ToolError] | None = None) -> tuple[Check, list[ToolError]]:
    """Sort every request into asks-the-viewer, needs-what-Kiln-never-gives, code, or looks."""
    needs_network: list[str] = []
    scripts: list[str] = []
    cosmetic: list[str] = []
    from_frames: set[str] = set()
    for violation in obs.csp:
        directive = (violation.get("directive") or "").strip()
        target = violation.get("blocked") or "inline"
        if violation.get("disposition") == "report":
            continue
        if directive in NETWORK_DIRECTIVES and violation.get("inner") is True:
            from_frames.add(item := f"{target} ({directive}, {FROM_A_FRAME})")
            needs_network.append(item)
        elif directive in NETWORK_DIRECTIVES:
            needs_network.append(f"{target} ({directive})")
        elif directive in SCRIPT_DIRECTIVES:
            scripts.append(target)
        else:
            cosmetic.append(f"{target} ({directive})")
    for blocked in obs.blocked:
        if blocked.kind in NETWORK_KINDS:
            needs_network.append(f"{blocked.url} ({blocked.reason})")
        elif blocked.kind == "script":
            scripts.append(f"{blocked.url} ({blocked.reason})")
        else:
            cosmetic.append(f"{blocked.url} ({blocked.reason})")
    needs_network, scripts, cosmetic = _unique(needs_network), _unique(scripts), _unique(cosmetic)

    errors = [ToolError(kind="network", message=(
        f"blocked: {item}; such a frame has no network at all: make the request in the "
        "tool's own page (whose fetch() asks the viewer) and hand the frame the result"
        if item in from_frames
        else f"blocked: {item}; Kiln's sandbox has no network")) for item in needs_network]
    asks = _needs_the_network(obs, offline or [])
    if scripts and broken:
        errors += [ToolError(kind="blocked-script", message=(
            f"script {item} was blocked; the page's errors are likely because this library never "
            "loaded (use the library mirror under /lib/ or inline the code)")) for item in scripts]
    also = f"; {asks}" if asks else ""
    if needs_network:
        return Check(status=Status.FAIL, detail=(
            "the tool tried to reach the network in a way Kiln never allows: "
            + ", ".join(needs_network[:3]) + also)), errors
    if scripts and broken:
        return Check(status=Status.FAIL, detail=(
            "blocked script(s) and the page is broken: " + ", ".join(scripts[:3]) + also)), errors
    if scripts or cosmetic:
        what = ", ".join((scripts + cosmetic)[:3])
        return Check(status=Status.WARN, detail=(
            f"blocked but the page works without them: {what}{also}")), errors
    return Check(status=Status.PASS, detail=asks or "nothing blocked"), errors


def _blank(obs: Observations) -> tuple[Status, str]:
    if len(obs.self_navigations) > MAX_SELF_NAVIGATIONS:
        return Status.SKIP, "the page kept reloading itself (see navigation)"
    content = obs.content
    if content is not None and not content.get("text") and not content.get("elements"):
        return Status.FAIL, "the page shows nothing: no visible text, image, canvas or control"
    colour = single_colour(obs.screenshot) if obs.screenshot else None
    if colour:
        return Status.FAIL, f"the screenshot is a single colour ({colour}): nothing visible is drawn"
    if content is None and obs.screenshot is None:
        return Status.SKIP, "could not look at the page"
    parts = []
    if content is not None:
        parts.append(f"{content.get('text', 0)} characters of text, {content.get('elements', 0)} "
                     "visible elements")
    if obs.screenshot:
        parts.append("screenshot has content" + (
            f" (a canvas first painted {obs.paint_waited_ms} ms after the page began loading)"
            if obs.paint_waited_ms else ""))
    return Status.PASS, "; ".join(parts)


def _hang(obs: Observations) -> Check:
    if obs.hang:
        phase, detail = obs.hang
        note = "" if obs.unstuck else " (the script could not even be stopped)"
        return Check(status=Status.FAIL, detail=f"{detail}{note}")
    if obs.capped and obs.capped_but_answering:
        return Check(status=Status.PASS, detail="busy but responsive: the test used all its time "
                                                "on a slow page, which still answered")
    if obs.capped:
        return Check(status=Status.FAIL, detail="the test hit its overall time limit")
    if obs.busy:
        return Check(status=Status.PASS, detail="busy but responsive (it kept answering): "
                                                + "; ".join(_unique(obs.busy)[:2]))
    return Check(status=Status.PASS, detail="the page stayed responsive")


def _sandbox(obs: Observations) -> Check:
    if not obs.sandbox_notes:
        asked, uses = _unique(obs.asked), _unique(obs.uses)
        return Check(status=Status.PASS, detail="used nothing the sandbox refuses" + (
            f"; asks the viewer before it may {' / '.join(asked)}" if asked else "") + (
            f"; uses {' / '.join(uses)}" if uses else ""))
    counts: dict[str, int] = {}
    for note in obs.sandbox_notes:
        counts[note] = counts.get(note, 0) + 1
    used = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.items())
    return Check(status=Status.WARN, detail=(
        f"called {used}, which Kiln's sandbox ignores: show messages in the page instead"))


def _navigation(obs: Observations) -> Check:
    """URL state and forms sent to the page itself are what they are, and fail only
    when they leave the page broken."""
    if len(obs.self_navigations) > MAX_SELF_NAVIGATIONS:
        return Check(status=Status.FAIL, detail=(
            f"the page reloads itself without end ({len(obs.self_navigations)} times, to "
            f"{_query(obs.self_navigations[-1])})"))
    after = obs.content_after_navigation
    if obs.self_navigations and after is not None and not after.get("text") \
            and not after.get("elements"):
        return Check(status=Status.FAIL, detail=(
            f"the page reloaded itself (to {_query(obs.self_navigations[0])}) and then showed nothing"))
    if obs.self_submits:
        return Check(status=Status.WARN, detail=(
            f"a form is sent to the page itself ({_query(obs.self_submits[0])}); Kiln's sandbox "
            "stops that, so nothing happens: handle the submit event in JavaScript "
            "(event.preventDefault())"))
    if obs.self_navigations:
        return Check(status=Status.PASS, detail=(
            f"reloads itself to keep its state in the URL ({_query(obs.self_navigations[0])}), "
            "which works in Kiln"))
    return Check(status=Status.PASS, detail="stayed on its page")


def _query(url: str) -> str:
    """The part of the page's own URL that carries its state."""
    return "?" + url.split("?", 1)[1][:80] if "?" in url else "the same address"


def _with_acceptance(report: SmokeReport, obs: Observations) -> SmokeReport:
    """The version's checks, when it has some, are part of the verdict."""
    if obs.acceptance is None:
        return report
    return report.with_acceptance(obs.acceptance)


def _interaction(obs: Observations) -> Check:
    if obs.hang and obs.hang[0] == "interaction":
        return Check(status=Status.FAIL, detail=obs.hang[1])
    if obs.interaction is None:
        if obs.crashed == "interaction":
            return Check(status=Status.FAIL, detail="the tab crashed while being used")
        return Check(status=Status.SKIP, detail="not reached")
    done = obs.interaction.get("done", 0)
    return Check(status=Status.PASS, detail=(
        f"filled or clicked {done} control(s) with real input, one at a time (controls shown "
        "later included), and pressed the arrow keys" if done
        else "no controls to use; pressed the arrow keys"))


def single_colour(png: bytes) -> str | None:
    """The colour of a screenshot that has only one, else None."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1)
    if not colours:
        return None
    # An RGB image's pixel is an (r, g, b) tuple (PIL's type also allows one band's float).
    r, g, b = cast(tuple[int, int, int], colours[0][1])
    return f"#{r:02x}{g:02x}{b:02x}"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
