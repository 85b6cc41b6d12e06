"""Who writes, as the quotas count them (``artifacts.quotas``): this browser's
viewer key, its address as Flask sees it (behind the trusted proxies only, see
KILN_TRUSTED_PROXIES), and whether the person may generate here."""
from __future__ import annotations

from artifacts.quotas import Writer

from .access import may_generate
from .addresses import address_digest
from .tool_access import viewer_key


def writer() -> Writer:
    return Writer(visitor=viewer_key(), member=may_generate(),
                  address=address_digest())
