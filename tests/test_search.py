"""Search over titles and prompts: SQLite FTS5 and PostgreSQL full-text search, each kept
in step by triggers."""
import pytest
from sqlalchemy import text

from artifacts import Source, Store, VersionIn
from artifacts.store import search_words


def make(store, title, prompt=None, owner="me"):
    return store.create_artifact(title, VersionIn(html="<p>x</p>", source=Source.GENERATED,
                                                  prompt=prompt), owner)[0].id


def titles(found):
    return [a.title for a in found]


def test_finds_by_title_and_by_prompt_word_prefixes(store):
    make(store, "Tip calculator", "split a restaurant bill")
    make(store, "URL extractor", "pull every link out of pasted text")
    assert titles(store.search_artifacts("me", "tip")) == ["Tip calculator"]
    assert titles(store.search_artifacts("me", "restaur")) == ["Tip calculator"]
    assert titles(store.search_artifacts("me", "LINKS pasted")) == []  # every word must match
    assert titles(store.search_artifacts("me", "link pasted")) == ["URL extractor"]
    assert titles(store.search_artifacts("me", "nothing-like-this")) == []


def test_follow_up_prompts_and_renames_are_indexed(store):
    artifact_id = make(store, "Timer", "a countdown timer")
    store.add_version(artifact_id, VersionIn(html="<p>2</p>", source=Source.GENERATED,
                                             prompt="add a pomodoro mode"))
    assert titles(store.search_artifacts("me", "pomodoro")) == ["Timer"]
    store.rename(artifact_id, "Focus clock", "me")
    assert titles(store.search_artifacts("me", "focus")) == ["Focus clock"]
    assert titles(store.search_artifacts("me", "timer")) == ["Focus clock"]  # still in the prompt


def test_only_the_owners_artifacts(store):
    make(store, "Mine", owner="me")
    make(store, "Theirs", owner="them")
    assert titles(store.search_artifacts("me", "theirs")) == []
    assert titles(store.search_artifacts(None, "mine")) == []


@pytest.mark.parametrize("query", ['"', "*", "AND(", 'NEAR(" a', "title:x", "-x", "^", "a OR",
                                   "'; DROP TABLE artifacts; --", "\x00", "é" * 5000])
def test_hostile_queries_never_raise(store, query):
    make(store, "Safe and sound", "and or not near")
    found = store.search_artifacts("me", query)
    assert isinstance(found, list)
    assert store.get_artifact(found[0].id) if found else True


def test_empty_query_lists_everything(store):
    make(store, "One")
    make(store, "Two")
    assert sorted(titles(store.search_artifacts("me", "  *  "))) == ["One", "Two"]


def test_words_are_taken_not_syntax():
    assert search_words('AND( "tip" calc* NEAR') == ["and", "tip", "calc", "near"]
    assert len(search_words("a " * 100)) == 12


def test_index_is_backfilled_by_the_migration(database_url):
    store = Store(database_url)
    from alembic import command
    from alembic.config import Config
    from artifacts.store import MIGRATIONS
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", store.url)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO artifacts (id, title, owner_hash, created_at, updated_at)"
                                " VALUES ('old', 'Ancient abacus', :h, '2026-01-01', '2026-01-01')"),
                           {"h": __import__("artifacts").owner_hash("me")})
    store.migrate()
    assert titles(store.search_artifacts("me", "abacus")) == ["Ancient abacus"]
    store.dispose()


def test_a_title_match_ranks_above_a_prompt_match(store):
    """Ranked by the full-text index (FTS5's bm25, PostgreSQL's ts_rank), not by date."""
    make(store, "Kitchen timer", "count down the eggs")
    make(store, "Egg clock", "a timer for the kitchen")  # newer, but the word is only in a prompt
    assert titles(store.search_artifacts("me", "timer")) == ["Kitchen timer", "Egg clock"]
    with store.reading() as session:  # the index itself, kept by the triggers
        assert session.execute(text("SELECT count(*) FROM artifact_search")).scalar() == 2
