"""The domain: artifacts, their immutable versions, conversations and smoke results."""
from .models import (ArtifactOut, MessageOut, SmokeOut, Source, Usage, VersionIn, VersionOut)
from .store import (ArtifactNotFound, NotOwner, Store, VersionNotFound)

__all__ = [
    "ArtifactOut", "MessageOut", "SmokeOut", "Source", "Usage", "VersionIn", "VersionOut",
    "ArtifactNotFound", "NotOwner", "Store", "VersionNotFound",
]
