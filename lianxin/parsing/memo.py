"""Remember what a cell reader answered for a short text: a table's columns repeat their values.

A 220,000-row check-in table holds a few dozen distinct dates, 是/否 and 在岗/待业 words, yet
every reader normalised and matched each cell anew. `by_cell` keeps the answers for short texts
(a bounded cache, so memory stays flat); long texts, read once, pass straight through. Only for
pure readers whose answers are immutable (str, bool, enum, date, int, None) and whose other
arguments are hashable (a year, a reference day).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

MAX_CELL_CHARS = 64  # longer texts are prose, not cells: not worth keeping
CACHE_SIZE = 8192  # distinct cell texts remembered per reader


def by_cell(read: F) -> F:
    """Return `read` remembering its answers when its first argument is at most MAX_CELL_CHARS.

    A reader that raises is not remembered: the same bad text raises again, with its reason.
    """
    cached = lru_cache(maxsize=CACHE_SIZE)(read)

    @wraps(read)
    def reader(text: str | None, *args: Any, **kwargs: Any) -> Any:
        if text is None or len(text) <= MAX_CELL_CHARS:
            return cached(text, *args, **kwargs)
        return read(text, *args, **kwargs)

    @wraps(read)
    def text_reader(text: str | None) -> Any:  # most readers take the text alone: no packing
        if text is None or len(text) <= MAX_CELL_CHARS:
            return cached(text)
        return read(text)

    alone = read.__code__.co_argcount == 1 and not read.__code__.co_kwonlyargcount
    return cast(F, text_reader if alone else reader)
