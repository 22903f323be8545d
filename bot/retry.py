"""When to try again: one policy for every outbound call (links, scholarly APIs, GitHub)."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds; it may be a number or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def retry_delay(attempt: int, retry_after: str | None, cap: float) -> float:
    """Seconds before the next try: what the server asked (capped), else backoff with jitter."""
    wanted = retry_after_seconds(retry_after)
    if wanted is not None:
        return min(wanted, cap) + random.uniform(0, 0.1)
    return min(0.5 * 2**attempt, cap) * random.uniform(1.0, 1.5)
