"""Files kept by content, and the names people give them: hostile names refused
with the reason, a file over its limit or cut short keeps nothing, and the same
bytes are kept once."""
from __future__ import annotations

import hashlib
import io

import pytest

from artifacts.file_store import FileRefused, FileStore, FileTooLarge, clean_name, clean_names


@pytest.mark.parametrize("name", ["sales.csv", "Données 2026.xlsx", "a b (1).json", "x" * 120,
                                  "notes.tar.gz", "名前.txt"])
def test_ordinary_names_are_kept(name):
    assert clean_name(name) == name


def test_two_spellings_of_one_name_are_one():
    assert clean_name("Cafe\u0301.csv") == clean_name("Caf\u00e9.csv") == "Caf\u00e9.csv"
    assert clean_name("  padded.csv ") == "padded.csv"


@pytest.mark.parametrize("name,says", [
    ("", "needs a name"),
    ("   ", "needs a name"),
    ("../../etc/passwd", "no folders"),
    ("..", "start with a dot"),
    (".env", "start with a dot"),
    ("a/b.csv", "no folders"),
    ("a\\b.csv", "no folders"),
    ("bad\x00.csv", "control or invisible"),
    ("line\nbreak.csv", "control or invisible"),
    ("right\u202eto-left.csv", "control or invisible"),
    ("zero\u200bwidth.csv", "control or invisible"),
    ("x" * 300, "at most 120 characters (this one has 300)"),
    ("CON", "on every system"),
    ("nul.txt", "on every system"),
    ("trailing.", "on every system"),
])
def test_hostile_names_are_refused_with_the_reason(name, says):
    with pytest.raises(FileRefused) as refused:
        clean_name(name)
    assert says in str(refused.value) and refused.value.status == 400


def test_two_files_of_one_name_are_refused_ignoring_case():
    assert clean_names(["a.csv", "b.csv"]) == ["a.csv", "b.csv"]
    with pytest.raises(FileRefused, match="two files are named 'a.csv'$"):
        clean_names(["a.csv", "b.csv", "a.csv"])
    with pytest.raises(FileRefused, match="two files are named 'A.CSV' \\(and 'a.csv'\\)"):
        clean_names(["a.csv", "A.CSV"])


def test_a_file_is_kept_once_by_its_content(tmp_path):
    store = FileStore(tmp_path / "files")
    data = b"date,units\n2026-01-01,3\n"
    digest, size = store.put(io.BytesIO(data), max_bytes=1000)
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert store.path_of(digest).read_bytes() == data and store.has(digest)
    assert store.put(io.BytesIO(data), max_bytes=1000) == (digest, size)
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [digest[2:]]
    store.remove([digest])
    assert not store.has(digest)


def test_a_file_over_its_limit_or_cut_short_leaves_nothing(tmp_path):
    store = FileStore(tmp_path / "files")
    with pytest.raises(FileTooLarge) as big:
        store.put(io.BytesIO(b"x" * 5000), max_bytes=4096)
    assert big.value.status == 413 and "4,096 bytes" in str(big.value)
    with pytest.raises(FileTooLarge, match="the file is 9,999 bytes"):
        store.put(io.BytesIO(b""), max_bytes=4096, expected_bytes=9999)  # refused before reading
    with pytest.raises(FileRefused, match="cut short: 10 of 20 bytes"):
        store.put(io.BytesIO(b"0123456789"), max_bytes=4096, expected_bytes=20)

    class Broken(io.RawIOBase):
        def readinto(self, buffer):
            raise ConnectionResetError("the client went away")
    with pytest.raises(ConnectionResetError):
        store.put(Broken(), max_bytes=4096)
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("digest", ["../../etc/passwd", "ab", "A" * 64, "g" * 64, "0" * 63 + "/"])
def test_only_a_digest_names_a_stored_file(tmp_path, digest):
    with pytest.raises(FileRefused) as refused:
        FileStore(tmp_path).path_of(digest)
    assert refused.value.status == 404
