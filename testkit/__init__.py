"""Kiln's test kit: the fakes and helpers that the tests (tests/), the benchmarks
(bench/) and the scripts (scripts/screenshots.py) share. It is a library: typed,
linted, everything in it public; Kiln's own code never imports it.

    serving     settings for a test, and Kiln over real HTTP on loopback (serve_kiln)
    clients     clients that carry Kiln's CSRF token, server-sent events, CSP headers
    signing     cookies and tokens as Kiln signs them, and signing in by a one-time link
    pages       a person's steps in a real browser (Playwright) on Kiln's pages
    answers     what the fake model writes: the tip calculator, its checks, an edit
    waiting     waiting for a condition, never for a fixed time
    fake_llm    a fake model provider speaking the Anthropic and OpenAI wire formats
    fake_api    a fake public API on loopback, for tools that use the network
    servers     throwaway PostgreSQL and Redis, and Kiln's production stack on them

The pytest fixtures built on these live in tests/conftest.py.
"""
