"""The log-in pace: a failed log-in slows down that user name from that address, and nobody else.

(The phone page's pace, `LinkPace`, is at the end: every request counts there.)

Only failures count, and a success clears them. What stops guessing:

- **Per (user name, address)**, exponential back-off: after the n-th failure in a row that pair
  waits `backoff_seconds · 2^(n-1)` (1 s, 2 s, 4 s …) up to `backoff_max_seconds` (15 min)
  before the password is even checked again. A guesser at one name from one address gets
  about a hundred tries a day; the same user from another address, or another user from this
  address, is not slowed at all. A pair's failures are forgotten after twice the longest wait.
- **Per address, across names**, a cap on failures (`dashboard.login_rate`, default 30 an hour)
  against trying one password on many names. Over it, the address may still log in to names
  that have logged in from it before (since this process started), so a right password at a
  known desk is never locked out by somebody else's failures; a name new to that address
  waits until the hour's failures age out.

Attempts refused by the pace are not checked and not counted, so waiting never grows by
itself. The pace is kept in memory, bounded to `max_keys` pairs (the oldest forgotten first):
restarting the dashboard forgets it.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from limits import parse as parse_rate
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

NO_ADDRESS = "-"


def backoff_seconds(failures: int, base: float, most: float) -> float:
    """Return how long a pair waits after `failures` failures in a row: 0 for none, `base`
    after the first, doubling after each more, never over `most`."""
    if failures <= 0:
        return 0.0
    return min(most, base * 2.0 ** min(failures - 1, 64))


class LoginPace:
    """Failed log-ins per (user name, address) and per address, and the wait they impose."""

    def __init__(
        self,
        address_rate: str = "30/hour",
        *,
        backoff_base: float = 1.0,
        backoff_max: float = 900.0,
        max_keys: int = 50_000,
    ) -> None:
        rate = parse_rate(address_rate)
        self.address_limit = rate.amount
        self.address_window = float(rate.get_expiry())
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_keys = max_keys
        # (name, address) -> (failures in a row, time of the last one)
        self._pairs: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()
        self._by_address: OrderedDict[str, deque[float]] = OrderedDict()
        self._known: OrderedDict[tuple[str, str], None] = OrderedDict()

    @staticmethod
    def _key(username: str, address: str | None) -> tuple[str, str]:
        # One pair for 'WangFang' and 'wangfang': case must not buy a guesser fresh tries.
        return username.strip().lower(), address or NO_ADDRESS

    def _address_failures(self, address: str, now: float) -> deque[float]:
        times = self._by_address.get(address, deque())
        while times and now - times[0] >= self.address_window:
            times.popleft()
        return times

    def wait(self, username: str, address: str | None, now: float) -> float:
        """Return the seconds this name must still wait before trying from `address` (0: try)."""
        key = self._key(username, address)
        wait = 0.0
        failures, last = self._pairs.get(key, (0, now))
        if failures and now - last >= 2 * self.backoff_max:
            del self._pairs[key]  # quiet long enough: a fresh start
        elif failures:
            wait = last + backoff_seconds(failures, self.backoff_base, self.backoff_max) - now
        times = self._address_failures(key[1], now)
        if len(times) >= self.address_limit and key not in self._known:
            wait = max(wait, times[0] + self.address_window - now)
        return max(0.0, wait)

    def failed(self, username: str, address: str | None, now: float) -> None:
        """Count one failed log-in of this name from `address` at `now`."""
        key = self._key(username, address)
        failures, _last = self._pairs.pop(key, (0, now))
        self._pairs[key] = (failures + 1, now)
        times = self._address_failures(key[1], now)
        times.append(now)
        self._by_address[key[1]] = times
        self._by_address.move_to_end(key[1])
        for table in (self._pairs, self._by_address):
            while len(table) > self.max_keys:
                table.popitem(last=False)

    def succeeded(self, username: str, address: str | None) -> None:
        """Clear this pair's failures and remember the name as known at `address`."""
        key = self._key(username, address)
        self._pairs.pop(key, None)
        self._known[key] = None
        self._known.move_to_end(key)
        while len(self._known) > self.max_keys:
            self._known.popitem(last=False)


class LinkPace:
    """Requests on the phone page, counted per link and per address over a moving window.

    Unlike the log-in pace, every request counts (a link is a bearer credential: a guesser or
    a leaked link must not save at will); over `dashboard.link_rate`, for the link or for the
    address, the page answers 429 and records nothing. Kept in memory, like the log-in pace.
    """

    def __init__(self, rate: str = "30/minute") -> None:
        self.rate = parse_rate(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def admit(self, link_id: str, address: str | None) -> bool:
        """Count one request of `link_id` from `address`; return False when either is over."""
        by_link = self._limiter.hit(self.rate, "link", link_id)
        by_address = self._limiter.hit(self.rate, "address", address or NO_ADDRESS)
        return by_link and by_address
