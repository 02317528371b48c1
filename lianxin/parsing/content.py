"""Find the block of a page that holds its prose, the way a reader's eye does: by text, not by name.

Every block's own text (the words outside its child blocks, split at <br>) is scored once:
sentence punctuation and length count for it, link text against it, navigation and footers
give nothing. A block passes its score on to its parent and, halved, to its grandparent, so the
element that gathers the most prose wins, whether the story sits in <p>s, in bare <div> text
broken by <br>, or in the cells of a layout table. Its siblings that carry prose of their own
are read with it (a story split over several blocks). A container named by a content system's
selector is trusted only when it holds a real share of that prose: `.main` or `#zoom` on a
breadcrumb cell or a search box does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lianxin.parsing.tree import Element, text_of

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[，。；！？、,;!?：:“”]")
_SENTENCE_END = re.compile(r"[。！？!?]")
# Weights of a block's score for itself, its parent, grandparent and great-grandparent.
_CARRY = (1.0, 0.9, 0.45, 0.3)
# A line shorter than this is a label, a button or a date, not prose.
MIN_PROSE_CHARS = 10
# A selector's container must hold this share of the best block's prose to be believed.
SELECTOR_SHARE = 0.5
# A sibling joins the best block when it scores this share of it.
SIBLING_SHARE = 0.2


@dataclass(frozen=True)
class Line:
    """One visual line of a block's own text: its words and how many of them are link text."""

    text: str
    link_chars: int

    @property
    def chars(self) -> int:
        return len(_SPACE.sub("", self.text))


def own_lines(element: Element, blocks: frozenset[str]) -> list[Line]:
    """Return the element's own text (outside its child blocks) as lines split at <br>."""
    lines: list[Line] = []
    parts: list[str] = []
    linked = [0]

    def close() -> None:
        text = _SPACE.sub(" ", "".join(parts)).strip()
        if text:
            lines.append(Line(text, linked[0]))
        parts.clear()
        linked[0] = 0

    def walk(node: Element, in_link: bool) -> None:
        if node.text:
            parts.append(node.text)
            if in_link:
                linked[0] += len(_SPACE.sub("", node.text))
        for child in node:
            tag = child.tag
            if tag == "br":
                close()
            elif isinstance(tag, str) and tag not in blocks:
                walk(child, in_link or tag == "a")
            elif isinstance(tag, str):
                close()  # a child block ends the line before it
            if child.tail:
                parts.append(child.tail)
                if in_link:
                    linked[0] += len(_SPACE.sub("", child.tail))

    walk(element, element.tag == "a")
    close()
    return lines


def line_score(line: Line) -> float:
    """Return how much a line reads as prose: punctuation and length, less its link share."""
    chars = line.chars
    if chars < MIN_PROSE_CHARS:
        return 0.0
    plain = max(0.0, 1.0 - line.link_chars / chars)
    return (1.0 + len(_PUNCT.findall(line.text)) + min(chars, 300) / 100) * plain * plain


@dataclass
class Prose:
    """The page's prose as scored: where it is, and how much of it each element holds."""

    scores: dict[Element, float]  # carried score, for choosing the best block
    held: dict[Element, float]  # every prose score under an element, for shares
    best: Element | None

    def share(self, element: Element) -> float:
        """Return the share of the best block's prose that `element` holds (0 when none)."""
        if self.best is None:
            return 0.0
        whole = self.held.get(self.best, 0.0)
        return self.held.get(element, 0.0) / whole if whole else 0.0

    def blocks(self, main: Element) -> list[Element]:
        """Return `main` and, when `main` is the scored best, its siblings that carry prose."""
        if main is not self.best:
            return [main]
        parent = main.getparent()
        if parent is None:
            return [main]
        floor = SIBLING_SHARE * self.scores.get(main, 0.0)
        return [
            child
            for child in parent
            if child is main or (self.scores.get(child, 0.0) >= floor and floor > 0)
        ]


def score_prose(root: Element, blocks: frozenset[str], noise: Callable[[Element], bool]) -> Prose:
    """Return the page's prose scores; one pass over the blocks, each line scored once."""
    scores: dict[Element, float] = {}
    held: dict[Element, float] = {}
    for element in root.iter(*blocks):
        score = sum(line_score(line) for line in own_lines(element, blocks))
        if score <= 0 or noise(element):
            continue
        node: Element | None = element
        depth = 0
        while node is not None:
            if depth < len(_CARRY):
                scores[node] = scores.get(node, 0.0) + score * _CARRY[depth]
            held[node] = held.get(node, 0.0) + score
            node = node.getparent()
            depth += 1
    best = _best(scores)
    return Prose(scores, held, best)


def _best(scores: dict[Element, float]) -> Element | None:
    # The few top blocks are weighed by their link share as a whole: a column of link lines,
    # each too short to count against itself, adds up.
    top = sorted(scores.items(), key=lambda pair: pair[1], reverse=True)[:5]
    best: Element | None = None
    best_score = 0.0
    for element, score in top:
        if element.tag in ("html", "body"):
            score *= 0.5  # the whole page is the answer only when nothing smaller is
        weighed = score * (1.0 - _link_share(element))
        if weighed > best_score:
            best, best_score = element, weighed
    return best


def _link_share(element: Element) -> float:
    total = len(_SPACE.sub("", text_of(element)))
    if not total:
        return 0.0
    linked = sum(len(_SPACE.sub("", text_of(a))) for a in element.iter("a"))
    return min(1.0, linked / total)


def prose_chars(element: Element) -> int:
    """Return how much unlinked text `element` holds if it has sentences, else 0."""
    text = text_of(element)
    if not _SENTENCE_END.search(text):
        return 0
    total = len(_SPACE.sub("", text))
    linked = sum(len(_SPACE.sub("", text_of(a))) for a in element.iter("a"))
    return max(0, total - linked)
