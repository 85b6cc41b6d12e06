"""What a response is, said by the route that makes it, for the headers
``web.hosts`` gives it from the one policy (``sandbox.policy.headers_for``)."""
from __future__ import annotations

from typing import TypeVar

from werkzeug.wrappers import Response

from sandbox.policy import Kind, Marked

_MARK = "kiln_policy"
ResponseT = TypeVar("ResponseT", bound=Response)


def mark(response: ResponseT, kind: Kind, filename: str | None = None,
         host: str | None = None, etag: str | None = None) -> ResponseT:
    """Say what ``response`` is (and, for a download, its file name; for a relay,
    its host; for a document a browser may keep, its validator); returns it."""
    # Flask's Response has no slot for this: the mark rides on the object.
    setattr(response, _MARK, Marked(kind, filename, host, etag))
    return response


def marked(response: Response) -> Marked:
    """What :func:`mark` said of ``response``; ``SANDBOX_OTHER`` when nothing."""
    found = getattr(response, _MARK, None)
    return found if isinstance(found, Marked) else Marked(Kind.SANDBOX_OTHER)
