"""The domain: artifacts, their immutable versions, conversations and smoke results."""
from .models import (ArtifactOut, JobEventOut, JobOut, MessageOut, SmokeOut, Source, Usage,
                     VersionIn, VersionOut)
from .store import (ArtifactNotFound, JobNotFound, NotOwner, StorageFull, Store,
                    VersionNotFound, owner_hash)

__all__ = [
    "ArtifactOut", "JobEventOut", "JobOut", "MessageOut", "SmokeOut", "Source", "Usage",
    "VersionIn", "VersionOut",
    "ArtifactNotFound", "JobNotFound", "NotOwner", "StorageFull", "Store", "VersionNotFound",
    "owner_hash",
]
