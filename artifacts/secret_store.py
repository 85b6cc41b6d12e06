"""The secret scan of each version, kept beside it (``secret_scans``).

A version never changes, so it is scanned once: when it is stored
(``services.Kiln.version_stored``), or, for one stored before the scan existed
or scanned by an older scanner, when first asked about. What is kept is what
``artifacts.secret_scan`` finds: kinds, lines and masked previews.

Only the tool's owner is ever shown this: callers check ownership first.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from .secret_scan import SCANNER, Finding, Scan, scan
from .store import Store
from .tables import SecretScanRow, utcnow


def scan_of(store: Store, artifact_id: str, number: int) -> Scan:
    """The version's scan, made now if it has none (VersionNotFound for none)."""
    with store.reading() as session:
        version = Store._version(session, artifact_id, number)
        row = session.get(SecretScanRow, version.id)
        if row is not None and row.scanner == SCANNER:
            return Scan(findings=[Finding.model_validate(f) for f in row.findings],
                        more=row.more, scanner=row.scanner)
        version_id, html = version.id, version.html
    result = scan(html)  # outside any transaction: a large document takes a while
    _keep(store, version_id, result)
    return result


def _keep(store: Store, version_id: int, result: Scan) -> None:
    findings = [f.model_dump() for f in result.findings]
    try:
        with store.writing() as session:
            row = session.get(SecretScanRow, version_id)
            if row is None:
                session.add(SecretScanRow(version_id=version_id, findings=findings,
                                          more=result.more, scanner=result.scanner,
                                          created_at=utcnow()))
            else:  # from an older scanner
                row.findings, row.more, row.scanner = findings, result.more, result.scanner
                row.created_at = utcnow()
    except IntegrityError:
        pass  # scanned at the same moment elsewhere: the same document, the same answer
