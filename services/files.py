"""Files attached to tools: kept by content, profiled once, held to the
limits, and changed only by making a new version (the same document with the
new set), which is tested at once like any other."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from artifacts import Source, Store, VersionIn, VersionOut, file_sets
from artifacts.file_profile import profile
from artifacts.file_sets import Limits, megabytes
from artifacts.file_store import FileRefused, FileStore, FileTooLarge, Upload, clean_names
from artifacts.models import AttachedFile
from settings import Settings

OnStored = Callable[[VersionOut, "str | None"], object]


class ToolFiles:
    def __init__(self, settings: Settings, store: Store, member_tool: Callable[[str], bool],
                 stored: OnStored) -> None:
        self.settings = settings
        self.store = store
        self.disk = FileStore(settings.resolved_files_dir())
        self.member_tool = member_tool
        self.stored = stored  # a new version's verdict (``Verdicts.stored``)

    @property
    def limits(self) -> Limits:
        s = self.settings
        return Limits(s.files_max_file_bytes, s.files_max_tool_bytes, s.files_max_per_tool,
                      s.files_max_total_bytes)

    def accept(self, uploads: Sequence[Upload]) -> list[AttachedFile]:
        """Keep and profile what was sent, all or nothing: a file over a limit, cut
        short or not what its name says is refused and none of the batch is kept."""
        if not uploads:
            return []
        limits = self.limits
        names = clean_names(u.name for u in uploads)
        if len(uploads) > limits.per_tool:
            raise FileRefused(f"a tool may have at most {limits.per_tool} files "
                              f"({len(uploads)} were sent)", status=413,
                              setting="KILN_FILES_MAX_PER_TOOL")
        declared = sum(u.declared or 0 for u in uploads)
        if declared > limits.tool_bytes:
            raise FileTooLarge(f"a tool's files may come to at most {megabytes(limits.tool_bytes)} "
                               f"together ({megabytes(declared)} were sent)",
                               setting="KILN_FILES_MAX_TOOL_BYTES")
        kept: list[tuple[AttachedFile, dict[str, Any] | None]] = []  # and a new file's profile
        new: set[str] = set()  # digests this batch brought: they go if the batch fails
        try:
            for name, upload in zip(names, uploads, strict=True):
                kept.append(self._keep_one(name, upload, new))
            total = sum(f.size for f, _ in kept)
            if total > limits.tool_bytes:
                raise FileTooLarge(f"a tool's files may come to at most "
                                   f"{megabytes(limits.tool_bytes)} together ({megabytes(total)} were sent)",
                                   setting="KILN_FILES_MAX_TOOL_BYTES")
            adding = sum(f.size for f, facts in kept if facts is not None and f.sha256 in new)
            if file_sets.kept_bytes(self.store) + adding > limits.total_bytes:
                raise FileTooLarge("Kiln keeps no more files: the installation's space for them "
                                   f"({megabytes(limits.total_bytes)}) is used up", status=507,
                                   setting="KILN_FILES_MAX_TOTAL_BYTES")
            for file, facts in kept:
                if facts is not None:
                    file_sets.keep(self.store, file, facts)
        except BaseException:
            self.disk.remove(d for d in new if file_sets.known(self.store, d) is None)
            raise
        return [file for file, _ in kept]

    def accept_paths(self, files: Sequence[tuple[str, Path]]) -> list[AttachedFile]:
        """``accept`` for files on disk, each (the name the tool reads it by, its path)."""
        with ExitStack() as stack:
            return self.accept([Upload(name, stack.enter_context(path.open("rb")))
                                for name, path in files])

    def _keep_one(self, name: str, upload: Upload, new: set[str]
                  ) -> tuple[AttachedFile, dict[str, Any] | None]:
        """One file stored and described; a file seen before keeps its first profile."""
        limit = self.limits.file_bytes
        try:
            digest, _ = self.disk.put(upload.stream, limit, upload.declared)
        except FileTooLarge:
            raise FileTooLarge(f"{name} is larger than the {megabytes(limit)} a file may be",
                               setting="KILN_FILES_MAX_FILE_BYTES") from None
        except FileRefused as exc:
            raise FileRefused(f"{name}: {exc}", exc.status) from None
        row = file_sets.known(self.store, digest)
        if row is not None:
            return AttachedFile(name=name, sha256=digest, size=row.size, kind=row.kind,
                                mime=row.mime, encoding=row.encoding), None
        new.add(digest)
        found = profile(self.disk.path_of(digest), name)
        return file_sets.described(name, digest, found), found.as_dict()

    def change(self, artifact_id: str, owner: str | None, *, uploads: Sequence[Upload] = (),
               replace: str | None = None, remove: str | None = None,
               base: int | None = None) -> VersionOut:
        """A new version of the tool: the document of ``base`` (the one on the
        person's screen; None: the current one) with files added, one replaced or
        one removed; tested at once."""
        self.store.require_owner(artifact_id, owner)
        current = self.store.get_version(artifact_id, base)
        if not current.html:
            raise FileRefused(f"Version {current.number} has no document; open another "
                              "version to change its files.", status=409)
        if uploads and not self.member_tool(artifact_id):
            raise FileRefused("A remix made without signing in keeps the files it came with "
                              "and cannot add more.", status=403, code="not_allowed")
        if remove is not None:
            gone = file_sets.find_in(current.files, remove)
            files = [f for f in current.files if f is not gone]
            note = f"Removed {gone.name}"
        else:
            added = self.accept(uploads)
            if not added:
                raise FileRefused("send at least one file")
            files = file_sets.merged(current.files, added, self.limits, replace)
            replaced = [f.name for f in added if any(
                c.name.casefold() == f.name.casefold() for c in current.files)]
            if replace is not None:
                replaced = [file_sets.find_in(current.files, replace).name]
            named = ", ".join(f.name for f in added) if replace is None else replaced[0]
            note = ("Replaced " if replaced else "Added ") + named
        version = self.store.add_version(artifact_id, VersionIn(
            html=current.html, source=Source.DATA, parent_number=current.number, files=files,
            note=note))
        self.stored(version, owner)
        return version

    def read(self, artifact_id: str, number: int, name: str) -> tuple[AttachedFile, Path]:
        """A file of a version's set, and where its bytes are."""
        file = file_sets.find(self.store.get_version(artifact_id, number), name)
        path = self.disk.path_of(file.sha256)
        if not path.is_file():
            raise file_sets.NoSuchFile(f"{file.name} is no longer kept")
        return file, path

    def on_disk(self, files: Sequence[AttachedFile]) -> list[tuple[AttachedFile, Path]]:
        """A set's files with where their bytes are, as the smoke tester serves them."""
        return [(f, self.disk.path_of(f.sha256)) for f in files]

    def for_model(self, files: Sequence[AttachedFile]) -> str:
        """What the model is told of a set: each file's profile, within the cap."""
        cap = self.settings.files_profile_tokens
        return "\n\n".join(file_sets.profile_of(self.store, f).for_model(cap) for f in files)

    def forget(self, digests: set[str]) -> None:
        """After a tool is deleted: the bytes of files no other tool names."""
        self.disk.remove(file_sets.forget_unnamed(self.store, digests))
