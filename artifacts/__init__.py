"""The domain: artifacts, their immutable versions, conversations and smoke results."""
from .models import (ArtifactOut, JobEventOut, JobOut, MessageOut, SmokeOut, Source, Usage, VersionIn, VersionOut)
from .store import ArtifactNotFound, JobNotFound, NotOwner, Store, VersionNotFound

__all__ = [
    "ArtifactOut", "JobEventOut", "JobOut", "MessageOut", "SmokeOut", "Source", "Usage", "VersionIn", "VersionOut",
    "ArtifactNotFound", "JobNotFound", "NotOwner", "Store", "VersionNotFound",
]
