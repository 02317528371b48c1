"""Keep each route within the pace its platform accepts (group bots: about 20 messages a minute).

The window is a moving one from the `limits` library, kept per route in this process: a bot
that got 20 messages in the last minute gets the 21st when the oldest leaves the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from limits import RateLimitItem, parse, storage, strategies


def scheme_of(route: str) -> str:
    """Return the URL scheme of `route` in lower case ("wecombot" for "wecombot://…")."""
    return route.split("://", 1)[0].lower() if "://" in route else ""


class Pacer:
    """Blocks a sender until its route may send again; thread-safe, one window per route."""

    def __init__(
        self, pacing: Mapping[str, str], sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._items: dict[str, RateLimitItem] = {k.lower(): parse(v) for k, v in pacing.items()}
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._sleep = sleep
        self.waited_s = 0.0  # total time senders spent waiting for their pace

    def paced(self, route: str) -> bool:
        return scheme_of(route) in self._items

    def take(self, route: str) -> float:
        """Count one message on `route` and return 0.0, or return the seconds until one fits."""
        item = self._items.get(scheme_of(route))
        if item is None or self._limiter.hit(item, route):
            return 0.0
        return max(0.01, self._limiter.get_window_stats(item, route).reset_time - time.time())

    def wait(self, route: str) -> None:
        """Return once `route` may send one more message, counting that message."""
        item = self._items.get(scheme_of(route))
        if item is None:
            return
        while not self._limiter.hit(item, route):
            reset = self._limiter.get_window_stats(item, route).reset_time
            pause = max(0.01, reset - time.time())
            self.waited_s += pause
            self._sleep(pause)
