"""Generation: prompts, providers, streaming, extraction of the document,
edits, and token and cost accounting. Imports only ``artifacts`` and ``settings``."""
from .edits import Applied, Edit, EditFailure, ParsedEdits, apply_edits, parse_edits
from .budget import Budget
from .errors import HOW_TO_CONFIGURE, GenerationRefused, Kind, NotConfigured, ProviderError
from .events import Continuing, Event, Finished, Retrying, Stage, TextDelta
from .extract import Extraction, extract_html
from .messages import Image, ImageRejected, Message, load_image
from .pipeline import GenerationResult, generate
from .pricing import price_for, priced, total
from .providers import Provider, make_provider
from .providers.factory import provider_configured

__all__ = [
    "Applied", "Edit", "EditFailure", "ParsedEdits", "apply_edits", "parse_edits",
    "Budget", "HOW_TO_CONFIGURE", "GenerationRefused", "Kind", "NotConfigured", "ProviderError",
    "Continuing", "Event", "Finished", "Retrying", "Stage", "TextDelta",
    "Extraction", "extract_html", "Image", "ImageRejected", "Message", "load_image",
    "GenerationResult", "generate", "price_for", "priced", "total",
    "Provider", "make_provider", "provider_configured",
]
