"""A thread-safe token bucket that spaces requests to one provider."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Allow ``rate`` acquisitions per second on average, with bursts of up to ``burst``.

    Each caller reserves the next free slot under the lock and sleeps
    outside it, so a waiting thread does not hold the lock.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be above 0 per second, not {rate}")
        if burst < 1:
            raise ValueError(f"burst must be 1 or more, not {burst}")
        self.interval = 1.0 / rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = clock()

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited."""
        with self._lock:
            now = self._clock()
            # Unused time earns at most ``burst`` tokens.
            earliest = now - (self.burst - 1) * self.interval
            slot = max(self._next_slot, earliest)
            self._next_slot = slot + self.interval
            wait = max(0.0, slot - now)
        if wait > 0:
            self._sleep(wait)
        return wait
