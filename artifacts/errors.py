"""The one base of every refusal a person is told of. Each says the HTTP status
that fits it and the message for a person; ``web/errors.py`` maps them all in
one handler (JSON under /api/, plain text on the sandbox origin, a page
elsewhere), and the CLI prints the message."""
from __future__ import annotations

from typing import Any


class KilnError(Exception):
    status: int = 400
    code: str | None = None        # what a tool's page may act on (kiln.* errors, quotas)
    retry_after: int | None = None  # seconds until it may be asked again (a daily quota)

    def __init__(self, message: str = "", status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """What a person is told (by default, the exception's own text)."""
        return str(self)

    def details(self) -> dict[str, Any]:
        """What a JSON answer carries besides the message, status and code."""
        return {}
