"""Fixed-window request budgets, as Laravel's throttle middleware keeps them.

A window opens at the first request and lasts `window_s`; a request over the budget is
refused without being counted, and learns how many seconds remain until the window
resets (`Retry-After`). The clock is injected so tests can move time by hand.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    #: Whole seconds until the window resets (at least 1); meaningful when refused.
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {"x-ratelimit-limit": str(self.limit), "x-ratelimit-remaining": str(self.remaining)}


class FixedWindowLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        if limit < 1:
            raise ValueError(f"rate limit must be at least 1 request per window, got {limit}")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start: float | None = None
        self._hits = 0

    def hit(self) -> Decision:
        with self._lock:
            now = self._clock()
            if self._window_start is None or now - self._window_start >= self.window_s:
                self._window_start, self._hits = now, 0
            retry_after = max(1, math.ceil(self._window_start + self.window_s - now))
            if self._hits >= self.limit:
                return Decision(False, self.limit, 0, retry_after)
            self._hits += 1
            return Decision(True, self.limit, self.limit - self._hits, retry_after)
