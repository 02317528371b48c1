"""Keep each route within the pace its platform accepts (group bots: about 20 messages a minute).

The window is a moving one kept in the store (`lianxin.store.pacing`): every worker, process
or host that shares the store shares each route's window, so two workers sending to one bot
together stay within its pace. A bot that got 20 messages in the last minute, from anyone,
gets the 21st when the oldest leaves the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from limits import parse
from sqlalchemy import Engine

from lianxin.store.pacing import StoreWindow, route_name

# A message admitted at t reaches the platform a little later, and not always equally later
# (connect, upload, a busy host): the platform counts on its own clock, so the window kept
# here is this much longer than the one it enforces.
ARRIVAL_SLACK_S = 0.2


def scheme_of(route: str) -> str:
    """Return the URL scheme of `route` in lower case ("wecombot" for "wecombot://…")."""
    return route.split("://", 1)[0].lower() if "://" in route else ""


class Pacer:
    """Blocks a sender until its route may send again; thread-safe, one window per route."""

    def __init__(
        self,
        engine: Engine,
        pacing: Mapping[str, str],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._windows: dict[str, StoreWindow] = {}
        for scheme, rate in pacing.items():
            item = parse(rate)
            self._windows[scheme.lower()] = StoreWindow(
                engine, item.amount, item.get_expiry() + ARRIVAL_SLACK_S
            )
        self._names: dict[str, str] = {}
        self._sleep = sleep
        self.waited_s = 0.0  # total time senders spent waiting for their pace

    def paced(self, route: str) -> bool:
        return scheme_of(route) in self._windows

    def take(self, route: str) -> float:
        """Count one message on `route` and return 0.0, or return the seconds until one fits."""
        window = self._windows.get(scheme_of(route))
        if window is None:
            return 0.0
        name = self._names.get(route)
        if name is None:
            name = self._names[route] = route_name(route)
        return window.take(name)

    def wait(self, route: str) -> None:
        """Return once `route` may send one more message, counting that message."""
        while (pause := self.take(route)) > 0:
            self.waited_s += pause
            self._sleep(pause)
