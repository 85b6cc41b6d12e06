"""The domain: artifacts, their immutable versions, conversations and smoke results."""
from .models import (ArtifactOut, JobEventOut, JobOut, LoggedMessage, MessageOut, ModelCallIn,
                     SmokeOut, Source, Usage, VersionIn, VersionInfo, VersionOut)
from .store import (ArtifactGone, ArtifactNotFound, JobNotFound, NotOwner, StorageFull, Store,
                    VersionNotFound, owner_hash)

__all__ = [
    "ArtifactOut", "JobEventOut", "JobOut", "LoggedMessage", "MessageOut", "ModelCallIn",
    "SmokeOut", "Source", "Usage",
    "VersionIn", "VersionInfo", "VersionOut",
    "ArtifactGone", "ArtifactNotFound", "JobNotFound", "NotOwner", "StorageFull", "Store",
    "VersionNotFound", "owner_hash",
]
