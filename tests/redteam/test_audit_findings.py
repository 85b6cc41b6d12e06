"""The audit of the channels added for tools (access, sign-in links, the bridge,
network relays, kiln.complete, kiln.storage, the arena): each finding that did
not hold, and the tests that show it holds now, each of which failed before its
fix. They run where their fixtures are (real HTTP, real Chromium, PostgreSQL and
Redis); this module keeps the list, and fails when a test it names is gone."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent

FINDINGS: dict[str, list[str]] = {
    "1 high: a visitor spends the model through their own remix; no finite daily budget": [
        "test_tool_api.py::test_a_visitors_remix_has_no_ai_even_with_the_switch_on",
        "test_kiln_api.py::test_a_visitors_remix_has_no_ai_and_its_panel_says_why",
        "test_tool_api.py::test_an_installation_has_a_daily_budget_unless_it_says_otherwise",
    ],
    "2 medium: the server-side tester runs anyone's HTML unsandboxed, without bounds": [
        "test_smoke_confine.py::test_the_testers_renderers_run_in_chromiums_sandbox",
        "test_smoke_confine.py::test_without_the_sandbox_auto_warns_and_on_refuses",
        "test_smoke_confine.py::test_a_page_holding_4gb_of_arraybuffers_fails_for_memory_and_the_next_passes",
        "test_smoke_confine.py::test_where_no_cgroup_can_be_had_an_rlimit_holds_the_page",
        "test_smoke_lanes.py::test_a_members_verdict_never_waits_behind_a_visitors_versions",
        "test_production.py::test_a_visitors_flood_never_holds_up_a_members_verdict",
    ],
    "3 medium: anyone with a share link can fill the disk": [
        "test_quotas.py::test_fresh_cookies_cannot_fill_a_tool_from_one_address",
        "test_quotas.py::test_visitors_remixes_per_visitor_and_per_address",
        "test_quotas.py::test_visitors_versions_restores_and_check_sets",
        "test_quotas.py::test_visitors_bytes_a_day_and_all_visitors_together",
        "test_quotas.py::test_members_meet_only_the_installations_cap",
        "test_quotas.py::test_one_address_stores_no_more_than_the_settings_bound",
        "test_quotas_browser.py::test_a_refused_save_is_said_on_the_page_and_to_the_tool",
    ],
    "4 medium: consent by click-through": [
        "test_consent.py::test_fast_taps_at_allow_grant_nothing_and_a_deliberate_press_does",
        "test_consent.py::test_taps_on_a_phone_grant_nothing_until_a_deliberate_tap",
        "test_consent.py::test_a_press_held_from_before_or_begun_outside_allow_grants_nothing",
        "test_consent.py::test_keys_on_allow_right_after_it_opens_grant_nothing",
    ],
    "5 low: a member's own daily budget does not bound kiln.complete in their tools": [
        "test_tool_api.py::test_a_members_tools_spend_the_members_own_budget",
    ],
    "6 low: signing in with someone else's link hands over this browser's data": [
        "test_access.py::test_signing_in_with_someone_elses_link_moves_nothing_by_default",
        "test_access_browser.py::test_pressing_sign_in_on_someone_elses_link_moves_nothing",
    ],
    "7 low: the share link's JSON API hands out the owner's prompts; the arena's models": [
        "test_access.py::test_the_share_links_api_gives_what_the_share_page_gives",
        "test_arena.py::test_the_tools_api_names_no_model_until_the_vote",
    ],
    "8 low: per-viewer limits reset with a cookie": [
        "test_tool_api.py::test_a_new_cookie_is_a_new_viewer_but_not_a_new_address",
        "test_tool_api.py::test_the_rate_limit_holds_for_new_cookies_from_one_address",
        "test_tool_api.py::test_addresses_are_keyed_ipv6_by_its_64",
    ],
    "9 low: the clipboard consent shows only the first 200 characters": [
        "test_consent.py::test_a_tail_hidden_after_300_spaces_is_shown",
        "test_consent.py::test_bidi_overrides_and_invisible_characters_show_as_marks",
    ],
    "10 smaller: storage tokens, request logs, nested JSON, the rate limiter, pg_dump, cookies": [
        "test_storage_tokens.py::test_a_storage_token_works_for_one_load",
        "test_storage_tokens.py::test_expired_forged_and_foreign_tokens_read_nothing",
        "test_storage_tokens.py::test_a_token_a_tool_hands_on_in_a_link_reads_nothing",
        "test_request_logs.py::test_the_development_server_logs_no_sign_in_link_or_storage_token",
        "test_request_logs.py::test_gunicorn_logs_no_sign_in_link_or_storage_token",
        "test_json_depth.py::test_a_deeply_nested_body_is_a_clear_400",
        "test_production.py::test_rate_limits_hold_across_web_workers",
        "test_portable.py::test_pg_dump_gets_the_password_from_a_private_file_not_its_command_line",
        "test_cookies_per_installation.py::"
        "test_two_installations_on_one_host_keep_their_own_sign_in_and_owner_cookie",
    ],
    "also: a secret scan before sharing": [
        "test_secret_scan.py::test_each_kind_of_key_is_found_with_its_line",
        "test_secret_scan.py::test_the_owner_sees_the_findings_and_a_viewer_nothing",
        "test_secret_scan.py::test_owner_sees_the_warning_where_the_link_is_copied",
        "test_secret_scan.py::test_the_repair_prompt_names_each_finding_masked",
    ],
}


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


@pytest.mark.parametrize("finding", sorted(FINDINGS))
def test_each_finding_is_named_with_tests_that_exist(finding):
    for node in FINDINGS[finding]:
        module, _, name = node.partition("::")
        path = TESTS / module
        assert path.is_file(), f"{finding}: {module} is gone"
        assert name in _tests_in(path), f"{finding}: {node} is gone"
