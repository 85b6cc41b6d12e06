"""The store against a real SQLite file and a real PostgreSQL server."""
import threading

import pytest
from sqlalchemy import create_engine, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from artifacts import ArtifactNotFound, NotOwner, Source, Store, VersionIn, VersionNotFound
from artifacts.tables import ImmutableVersion, Version


def first(html="<p>one</p>"):
    return VersionIn(html=html, source=Source.IMPORTED)


def test_ids_are_unguessable_and_url_safe(store):
    ids = {store.create_artifact("t", first(), "owner")[0].id for _ in range(50)}
    assert len(ids) == 50
    for artifact_id in ids:
        assert len(artifact_id) >= 22  # 16 random bytes, base64url
        assert all(c.isalnum() or c in "-_" for c in artifact_id)


def test_ids_never_look_like_command_line_options():
    from artifacts.store import new_artifact_id
    # One in 64 random tokens starts with "-": thousands of draws would surely meet one.
    assert not any(new_artifact_id().startswith("-") for _ in range(5000))


def test_versions_are_numbered_and_immutable_in_the_orm(store):
    artifact, v1 = store.create_artifact("t", first(), "owner")
    v2 = store.add_version(artifact.id, VersionIn(html="<p>two</p>", source=Source.EDITED,
                                                  parent_number=1))
    assert (v1.number, v2.number) == (1, 2)
    with store.writing() as session:
        row = session.get(Version, 1)
        row.html = "<p>tampered</p>"
        with pytest.raises(ImmutableVersion):
            session.flush()
    assert store.get_version(artifact.id, 1).html == "<p>one</p>"


def test_versions_are_immutable_in_the_database(store):
    artifact, _ = store.create_artifact("t", first(), "owner")
    raw = create_engine(store.url)  # no ORM: the database itself refuses
    with pytest.raises(DBAPIError, match="immutable"):
        with raw.begin() as connection:
            connection.exec_driver_sql("UPDATE versions SET html = 'x'")
    raw.dispose()
    with pytest.raises(Exception, match="immutable"):
        with store.writing() as session:
            session.execute(update(Version).values(html="x"))
    assert store.get_version(artifact.id).html == "<p>one</p>"


def test_version_numbers_are_unique_per_artifact(store):
    artifact, _ = store.create_artifact("t", first(), "owner")
    with pytest.raises(IntegrityError):
        with store.writing() as session:
            session.add(Version(artifact_id=artifact.id, number=1, html="dup", source="edited"))


def test_two_concurrent_writers_lose_nothing(store):
    """Two writers (separate engines, as two processes would have) add versions at once."""
    artifact, _ = store.create_artifact("t", first(), "owner")
    other = Store(store.url)
    errors, per_writer = [], 40

    def write(target: Store, tag: str):
        try:
            for i in range(per_writer):
                target.add_version(artifact.id, VersionIn(html=f"{tag}{i}", source=Source.EDITED))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(store, "a")),
               threading.Thread(target=write, args=(other, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    other.dispose()
    assert errors == []
    versions = store.list_versions(artifact.id)
    assert [v.number for v in versions] == list(range(1, 2 + 2 * per_writer))
    bodies = {store.get_version(artifact.id, v.number).html for v in versions[1:]}
    assert bodies == {f"{t}{i}" for t in "ab" for i in range(per_writer)}


def test_ownership_and_remix(store):
    artifact, _ = store.create_artifact("Tool", first(), "alice")
    store.add_version(artifact.id, VersionIn(html="<p>two</p>", source=Source.EDITED))
    assert store.is_owner(artifact.id, "alice")
    assert not store.is_owner(artifact.id, "bob")
    assert not store.is_owner(artifact.id, None)
    with pytest.raises(NotOwner):
        store.require_owner(artifact.id, "bob")

    remix, version = store.remix(artifact.id, 1, "bob")
    assert remix.id != artifact.id
    assert (remix.forked_from_id, remix.forked_from_version) == (artifact.id, 1)
    assert version.number == 1 and version.html == "<p>one</p>"
    assert version.source is Source.REMIXED
    assert store.is_owner(remix.id, "bob") and not store.is_owner(remix.id, "alice")
    # the original is untouched
    assert store.get_artifact(artifact.id).latest_version == 2


def test_usage_is_summed_per_artifact(store):
    from artifacts import Usage
    artifact, _ = store.create_artifact("t", VersionIn(
        html="a", source=Source.GENERATED, usage=Usage(input_tokens=10, output_tokens=5, cost_usd=0.5)), "o")
    store.add_version(artifact.id, VersionIn(
        html="b", source=Source.REPAIRED, usage=Usage(input_tokens=3, cache_read_tokens=7, cost_usd=0.25)))
    usage = store.get_artifact(artifact.id).usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (13, 5, 7)
    assert usage.cost_usd == pytest.approx(0.75)


def test_smoke_result_is_one_per_version(store):
    artifact, _ = store.create_artifact("t", first(), "o")
    store.save_smoke(artifact.id, 1, ok=False, checks={"load": {"ok": False}}, errors=["x"],
                     duration_ms=5)
    store.save_smoke(artifact.id, 1, ok=True, checks={}, errors=[], duration_ms=7,
                     thumbnail_png=b"\x89PNG")
    version = store.get_version(artifact.id, 1)
    assert version.smoke.ok and version.smoke.duration_ms == 7 and version.smoke.has_thumbnail
    assert store.thumbnail(artifact.id, 1) == b"\x89PNG"
    assert store.get_artifact(artifact.id).smoke_ok is True


def test_unknown_ids(store):
    with pytest.raises(ArtifactNotFound):
        store.get_artifact("nope")
    with pytest.raises(ArtifactNotFound):
        store.get_version("", 1)
    artifact, _ = store.create_artifact("t", first(), "o")
    with pytest.raises(VersionNotFound):
        store.get_version(artifact.id, 2)
    with pytest.raises(ArtifactNotFound):
        store.add_version("nope", first())


def test_migrations_are_idempotent(store):
    store.migrate()
    store.migrate()


def test_titles_are_cleaned(store):
    artifact, _ = store.create_artifact("  many\n\t spaces " + "x" * 500, first(), "o")
    assert artifact.title.startswith("many spaces x") and len(artifact.title) == 200
    assert store.create_artifact("   ", first(), "o")[0].title == "Untitled tool"
