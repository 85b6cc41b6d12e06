"""Model providers behind one interface: ``Provider.stream(system, messages)``."""
from .base import Provider, RoundEnd
from .factory import make_provider

__all__ = ["Provider", "RoundEnd", "make_provider"]
