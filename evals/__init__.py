"""Evals and the arena: which model and which prompt make the best tools.

``suite``: the suite format (JSON or YAML) and the built-in suites; ``runner``:
a suite run through Kiln's own loop, judged by the case's checks; ``webbench``:
a Web-Bench project's own Playwright specs against the versions Kiln serves;
``arena``: battles, votes and the Bradley–Terry leaderboard (``ranking``)."""
