"""The tool runtime: what a running tool does on the server, always for the
viewer of one tool and always checked here, never trusted from the page:
``kiln.complete()`` (the owner's switch, consent, budgets), ``kiln.storage``
and the storage shims (consent for shared data, the caps), the network
hosts and the devices (camera, microphone) a viewer allowed."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

from artifacts import (LoggedMessage, ModelCallIn, Store, accounts, network_grants, storage_tokens,
                       tool_ai)
from artifacts.quotas import DataCaps, Writer
from artifacts.tool_ai import AISettings, Viewer
from artifacts.tool_data import DataLimits, ToolDataStore, ToolRefused
from generator import Budget, Provider, make_provider, priced, provider_configured
from generator.budget import InFlight
from generator.tool_ai import AILimits, ToolAnswer, ToolPrompt, estimated_usage, stream_answer
from sandbox import network
from settings import Settings

from .budgets import Budgets

NOT_A_MEMBERS_TOOL = ("This tool is not made by a member of this Kiln, so it cannot use "
                      "Kiln's model. (A remix belongs to whoever made it; only the owner of this "
                      "Kiln and the people they invite spend its model.)")


class ToolRuntime:
    def __init__(self, settings: Settings, store: Store, budgets: Budgets,
                 member_tool: Callable[[str], bool], secret: str) -> None:
        self.settings, self.store, self.budgets = settings, store, budgets
        self._secret = secret  # signs storage tokens
        self._member_tool = member_tool
        # What everyone's data together may hold (``artifacts.quotas``).
        self.data_caps = DataCaps(settings.viewer_data_max_tool_bytes,
                                  settings.viewer_data_max_address_bytes,
                                  settings.tool_data_max_total_bytes)
        self.data = ToolDataStore(store, DataLimits(
            settings.data_max_value_bytes, settings.data_max_tool_bytes,
            settings.indexeddb_max_bytes), self.data_caps)
        self._provider: Provider | None = None
        self._provider_lock = threading.Lock()
        self._in_flight = InFlight()

    def warm(self) -> None:
        """The SDK takes seconds to import: not while a tool's first call waits."""
        if self.settings.ai_in_tools and provider_configured(self.settings):
            threading.Thread(target=self.provider, name="kiln-warm-provider", daemon=True).start()

    # -- kiln.complete() --------------------------------------------------------------
    def ai_limits(self) -> AILimits:
        return AILimits(self.settings.ai_max_prompt_chars, self.settings.ai_max_tokens)

    def ai_settings(self, artifact_id: str) -> AISettings:
        """What the owner chose, within the installation's caps (which may have
        been lowered since). AI for viewers holds only in a member's tool: a
        switch a non-member's tool has (copied, or from before) is off."""
        self.store.get_artifact(artifact_id)  # an unknown tool is a 404
        tool_cap, viewer_cap = self.settings.ai_tool_daily_tokens, self.settings.ai_viewer_daily_tokens
        chosen = tool_ai.ai_settings(self.store, artifact_id, AISettings(False, tool_cap, viewer_cap))
        return AISettings(chosen.for_viewers and self._member_tool(artifact_id),
                          _within(chosen.tool_daily_tokens, tool_cap),
                          _within(chosen.viewer_daily_tokens, viewer_cap))

    def save_ai_settings(self, artifact_id: str, chosen: AISettings) -> None:
        """The owner's choice; a budget above the installation's cap is refused,
        and so is AI for viewers in a tool no member owns."""
        if chosen.for_viewers and not self._member_tool(artifact_id):
            raise ToolRefused(NOT_A_MEMBERS_TOOL, 403, "not_member")
        for value, cap, name in ((chosen.tool_daily_tokens, self.settings.ai_tool_daily_tokens,
                                  "KILN_AI_TOOL_DAILY_TOKENS"),
                                 (chosen.viewer_daily_tokens, self.settings.ai_viewer_daily_tokens,
                                  "KILN_AI_VIEWER_DAILY_TOKENS")):
            if cap and not 0 < value <= cap:
                raise ToolRefused(f"A daily budget here is between 1 and {cap:,} tokens ({name}).",
                                  400, "bad_request")
        self.store.get_artifact(artifact_id)
        tool_ai.save_ai_settings(self.store, artifact_id, chosen)

    def grant(self, artifact_id: str, viewer: Viewer, grant: str) -> None:
        """Remember a viewer's yes to a tool (their answer in Kiln's consent dialog)."""
        self.store.get_artifact(artifact_id)
        tool_ai.add_grant(self.store, artifact_id, viewer.key, grant)

    def check_ai(self, artifact_id: str, viewer: Viewer) -> None:
        """Whether this viewer may use AI in this tool at all: only in a member's
        tool (a visitor's remix has none, whatever its settings say), and there
        the owner always, anyone else once the owner turned it on for viewers."""
        if not self._member_tool(artifact_id):
            raise ToolRefused(NOT_A_MEMBERS_TOOL, 403, "not_member")
        if not viewer.owner and not self.ai_settings(artifact_id).for_viewers:
            raise ToolRefused("The owner of this tool has not let people who open it use AI.",
                              403, "not_allowed")

    def start_call(self, artifact_id: str, viewer: Viewer, prompt: ToolPrompt) -> ToolCall:
        """A tool's kiln.complete(). Every refusal happens here, before anything
        is sent: AI turned off, no model, not a member's tool or not allowed
        for viewers, no consent, a spent budget (what running calls may still
        spend counts as spent). Iterate the result for the answer's events."""
        if not self.settings.ai_in_tools:
            raise ToolRefused("AI in tools is turned off on this Kiln (KILN_AI_IN_TOOLS).", 403,
                              "off")
        if not provider_configured(self.settings):
            raise ToolRefused("This Kiln has no model configured, so tools cannot use AI here.",
                              503, "unavailable")
        self.check_ai(artifact_id, viewer)
        if not tool_ai.has_grant(self.store, artifact_id, viewer.key, "ai"):
            raise ToolRefused("You have not allowed this tool to use Kiln's model.", 403, "consent")
        account = accounts.owning_account(self.store, artifact_id)
        budgets = self._ai_budgets(artifact_id, viewer, account)
        tokens = prompt.most_tokens()
        refusal = self._in_flight.take(budgets, tokens)
        if refusal:
            raise ToolRefused(refusal, 429, "budget")
        return ToolCall(self._events(artifact_id, viewer, prompt, account.id if account else None),
                        lambda: self._in_flight.give_back(budgets, tokens))

    def _ai_budgets(self, artifact_id: str, viewer: Viewer,
                    account: accounts.AccountOut | None) -> dict[str, Budget]:
        chosen = self.ai_settings(artifact_id)
        budgets = {"all": self.budgets.of(), f"tool:{artifact_id}": Budget(
            chosen.tool_daily_tokens, tool_ai.tokens_today(self.store, artifact_id),
            "this tool's daily AI budget, set by its owner")}
        if account is not None:  # the AI of a member's tools spends that member's budget
            budgets[f"account:{account.id}"] = (
                self.budgets.own(account) if viewer.owner else
                self.budgets.own(account, "the daily budget of the person who owns this tool"))
        if not viewer.owner:  # the owner is bounded by the tool's budget, which is theirs
            budgets[f"viewer:{artifact_id}:{viewer.key}"] = Budget(
                chosen.viewer_daily_tokens, tool_ai.tokens_today(self.store, artifact_id, viewer.key),
                "this tool's daily AI budget for each person, set by its owner")
            if viewer.address and chosen.viewer_daily_tokens:
                # A new cookie is a new viewer, not a new address: what one address
                # spends here is bounded too, by several viewers' worth (an address
                # may be many people behind one NAT).
                budgets[f"address:{artifact_id}:{viewer.address}"] = Budget(
                    chosen.viewer_daily_tokens * self.settings.ai_viewers_per_address,
                    tool_ai.tokens_today(self.store, artifact_id, address=viewer.address),
                    "this tool's daily AI budget for everyone at one address: "
                    "KILN_AI_VIEWERS_PER_ADDRESS people's")
        return budgets

    def provider(self) -> Provider:
        """One provider for every tool's call (no client and TLS set-up each time);
        an answer cut by max_tokens is not continued."""
        with self._provider_lock:
            if self._provider is None:
                self._provider = make_provider(self.settings, continuation_rounds=0,
                                               max_tokens=self.settings.ai_max_tokens)
            return self._provider

    def _events(self, artifact_id: str, viewer: Viewer, prompt: ToolPrompt,
                account_id: str | None) -> Generator[dict[str, Any], None, None]:
        provider, parts = self.provider(), []
        answer: ToolAnswer | None = None
        started = time.monotonic()
        try:
            for item in stream_answer(provider, prompt):
                if isinstance(item, str):
                    parts.append(item)
                    yield {"token": item}
                else:
                    answer = item
        finally:  # also when the viewer leaves in the middle: what was spent is logged
            if answer is None:
                answer = ToolAnswer("".join(parts), estimated_usage(prompt, "".join(parts)),
                                    provider.model, None,
                                    error="the viewer left before the answer ended")
            self._log_call(artifact_id, viewer, prompt, answer, started, account_id)
        if answer.error:
            yield {"error": answer.error, "code": answer.code}
        else:
            yield {"done": True, "text": answer.text, "stop_reason": answer.stop_reason}

    def _log_call(self, artifact_id: str, viewer: Viewer, prompt: ToolPrompt,
                  answer: ToolAnswer, started: float, account_id: str | None) -> None:
        usage, _ = priced(answer.usage, answer.model, self.settings.prices)
        self.store.log_model_calls([ModelCallIn(
            stage=tool_ai.STAGE, model=answer.model, system_prompt_version="tool",
            messages=[LoggedMessage(role="system", text=prompt.system),
                      *(LoggedMessage(role=m.role, text=m.text) for m in prompt.messages)],
            answer=answer.text, stop_reason=answer.stop_reason, error=answer.error,
            duration_ms=int((time.monotonic() - started) * 1000), usage=usage,
            artifact_id=artifact_id, viewer_hash=viewer.key, account_id=account_id,
            # The owner's own calls count against no address (they are not a visit).
            viewer_address=None if viewer.owner else viewer.address)])

    # -- kiln.storage and the storage shims ---------------------------------------------
    def use_data(self, artifact_id: str, viewer: str, scope: str, op: str, key: str = "",
                 value: str = "", prefix: str = "", if_revision: int | None = None,
                 writer: Writer | None = None) -> dict[str, Any]:
        """One kiln.storage call for ``viewer`` (their key: whose personal data, and
        whose consent). Writing shared data needs the viewer's consent; a write
        counts against the caps as ``writer``'s (``artifacts.quotas``). A read is
        one session: the tool looked up once, with the data."""
        if scope == "shared" and op in ("set", "delete") and not tool_ai.has_grant(
                self.store, artifact_id, viewer, "shared"):
            raise ToolRefused("You have not agreed to share what you save in this tool.", 403,
                              "consent")
        if op == "get":
            entry = self.data.get(artifact_id, scope, viewer, key)
            return {"value": entry.value, "revision": entry.revision}
        if op == "set":
            return {"revision": self.data.set(artifact_id, scope, viewer, key, value,
                                              if_revision, writer)}
        if op == "delete":
            return {"deleted": self.data.delete(artifact_id, scope, viewer, key, if_revision)}
        return {"keys": self.data.keys(artifact_id, scope, viewer, prefix)}

    def save_storage(self, artifact_id: str, writer: Writer, data: dict[str, str]) -> int:
        """The localStorage shim's data for this viewer; returns its size."""
        return self.store.save_storage(artifact_id, writer.visitor, data, writer, self.data_caps)

    def save_indexeddb(self, artifact_id: str, writer: Writer, snapshot: str) -> int:
        """This viewer's IndexedDB snapshot (JSON text); returns its size."""
        return self.data.save_indexeddb(artifact_id, writer.visitor, snapshot, writer)

    def frame_token(self, artifact_id: str, viewer_hash: str) -> str:
        """Lets Kiln's page vouch for its viewer to the sandbox origin, which never
        sees their cookies: one load of the tool's frame with their storage, for a
        short while (``artifacts.storage_tokens``)."""
        return storage_tokens.mint(self._secret, artifact_id, viewer_hash)

    def frame_claim(self, artifact_id: str, token: str | None) -> storage_tokens.Claim | None:
        """Whose storage a token asks for, by its signature alone; ``spend_claim``
        makes it good once (None before: missing, forged, another tool's, expired)."""
        return storage_tokens.claim(self._secret, artifact_id, token,
                                    max(1, round(self.settings.storage_token_minutes * 60)))

    def spend_claim(self, claim: storage_tokens.Claim) -> bool:
        """True the first time this load's token is spent, never again."""
        return storage_tokens.spend(self.store, claim.nonce, claim.expires_at)

    def frame_viewer(self, artifact_id: str, token: str | None) -> str | None:
        """Whose storage this load of the frame gets: None for a token that is
        missing, forged, another tool's, expired or already used."""
        return storage_tokens.redeem(self.store, self._secret, artifact_id, token,
                                     max(1, round(self.settings.storage_token_minutes * 60)))

    def clear_shared(self, artifact_id: str) -> int:
        """The owner empties the tool's shared data; how many keys went."""
        return self.data.clear_shared(artifact_id)

    # -- the network channel: hosts a viewer allowed a tool -------------------------------
    def network_hosts(self, artifact_id: str, viewer: str | None) -> list[str]:
        return network_grants.allowed_hosts(self.store, artifact_id, viewer) if viewer else []

    def allow_network_host(self, artifact_id: str, viewer: str, host: str) -> list[str]:
        """Remember the viewer's Allow; a host no tool may reach raises HostRefused."""
        network.reachable_host(host, network.own_hosts(self.settings))
        return network_grants.allow_host(self.store, artifact_id, viewer, host)

    def revoke_network_host(self, artifact_id: str, viewer: str, host: str) -> list[str]:
        return network_grants.revoke_host(self.store, artifact_id, viewer, host)

    # -- the media channel: the devices a viewer lets a tool use ------------------------------
    def media_grants(self, artifact_id: str, viewer: str | None) -> list[str]:
        """Which of ``tool_ai.MEDIA`` (camera, microphone, screen) this viewer allowed this tool."""
        return tool_ai.grants_of(self.store, artifact_id, viewer, tool_ai.MEDIA) if viewer else []

    def allow_media(self, artifact_id: str, viewer: str, kinds: Sequence[str]) -> list[str]:
        """Remember the viewer's Allow for these devices; the devices allowed now."""
        self.store.get_artifact(artifact_id)  # an unknown or deleted tool gets none
        for kind in kinds:
            tool_ai.add_grant(self.store, artifact_id, viewer, kind)
        return self.media_grants(artifact_id, viewer)

    def revoke_media(self, artifact_id: str, viewer: str, kind: str) -> list[str]:
        self.store.get_artifact(artifact_id)
        if kind not in tool_ai.MEDIA:
            raise ToolRefused(f"The devices are {', '.join(tool_ai.MEDIA)}.", 404, "not_found")
        tool_ai.remove_grant(self.store, artifact_id, viewer, kind)
        return self.media_grants(artifact_id, viewer)


class ToolCall:
    """A tool's model call once allowed: iterate it for its events (dicts: tokens,
    then the answer or an error). Closing it, which the HTTP server does however
    the response ends (even before it starts), gives back the tokens it held."""

    def __init__(self, events: Generator[dict[str, Any], None, None], release: Callable[[], None]):
        self._events, self._release = events, release

    def __iter__(self) -> Iterator[dict[str, Any]]:
        try:
            for event in self._events:
                if "done" in event or "error" in event:
                    # The call is logged by now and counts as spent; the tool may call
                    # again as soon as it reads this, before the server closes us.
                    self._give_back()
                yield event
        finally:
            self.close()

    def close(self) -> None:
        try:
            self._events.close()
        finally:
            self._give_back()

    def _give_back(self) -> None:
        release, self._release = self._release, lambda: None
        release()


def _within(budget: int, cap: int) -> int:
    """A budget (0: no limit) held to a cap (0: none)."""
    if not cap:
        return budget
    return cap if budget == 0 else min(budget, cap)
