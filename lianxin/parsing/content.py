"""Find the block of a page that holds its prose, the way a reader's eye does: by text, not by name.

Every block's own text (the words outside its child blocks) is scored once: sentence
punctuation and length count for it, link text against it, navigation and footers give
nothing. A block passes its score on to its parent and, halved, to its grandparent, so the
element that gathers the most prose wins, whether the story sits in <p>s, in bare <div> text
broken by <br>, or in the cells of a layout table; the story is then read line by line, a line
ending at a <br> or a child block. Its siblings that carry prose of their own are read with it
(a story split over several blocks). A container named by a content system's selector is
trusted only when it holds a real share of that prose: `.main` or `#zoom` on a breadcrumb cell
or a search box does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from lianxin.parsing.tree import Element, text_of

_SPACE = re.compile(r"\s+")
_TEXT_NODES = etree.XPath(".//text()[normalize-space()]")
_LINK_TEXT = etree.XPath("descendant-or-self::a//text()")
# Blocks drawn inside a link: a teaser card (title, summary, time) wrapped in one <a>.
_IN_LINK = etree.XPath(".//a//*")
_PUNCT = re.compile(r"[，。；！？、,;!?：:“”]")
_SENTENCE_END = re.compile(r"[。！？!?]")
# Weights of a block's score for itself, its parent, grandparent and great-grandparent.
_CARRY = (1.0, 0.9, 0.45, 0.3)
# A line shorter than this is a label, a button or a date, not prose.
MIN_PROSE_CHARS = 10
# A selector's container must hold this share of the best block's prose to be believed.
SELECTOR_SHARE = 0.5
# When the best block holds less than this share of all the page's prose, noise hides the story;
# a noise-named element holding WRAPPER_SHARE of it wraps the page (an unclosed header <div>).
HIDDEN_SHARE = 0.15
WRAPPER_SHARE = 0.6
# A selector's container wrapping the best block and this many times its prose is the page.
WRAPPER_EXCESS = 2.0
# A sibling joins the best block when it scores this share of it.
SIBLING_SHARE = 0.2


class Noise:
    """Tell navigation, footers, sharing and related links from the story, remembering answers.

    An element is noise when it or an ancestor is named so (`named`); a noise-named element that
    wraps most of the page's prose (an unclosed header <div> lxml nests the page in) is spared.
    """

    def __init__(self, named: Callable[[Element], bool]) -> None:
        self.named = named
        self.memo: dict[Element, bool] = {}  # every line and link asks about the same ancestors

    def __call__(self, element: Element) -> bool:
        memo = self.memo
        path: list[Element] = []
        node: Element | None = element
        found = False
        while node is not None and node.tag != "body":
            known = memo.get(node)
            if known is not None:
                found = known
                break
            path.append(node)
            if self.named(node):
                found = True
                break
            node = node.getparent()
        for visited in path:
            memo[visited] = found
        return found

    def spare(self, element: Element) -> None:
        """Make `element` noise only through its ancestors, whatever its own name says."""
        parent = element.getparent()
        self.memo[element] = parent is not None and self(parent)


@dataclass(frozen=True)
class Line:
    """One visual line of a block's own text: its words and how many of them are link text."""

    text: str
    link_chars: int

    @property
    def chars(self) -> int:
        return len(_SPACE.sub("", self.text))


def own_lines(element: Element, blocks: frozenset[str], in_link: bool = False) -> list[Line]:
    """Return the element's own text (outside its child blocks) as lines split at <br>.

    All of it is link text when `in_link` (the element is drawn inside an <a>).
    """
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

    walk(element, in_link or element.tag == "a")
    close()
    return lines


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

    def trusts(self, element: Element) -> bool:
        """Return True when a selector's `element` holds the story and not the page around it.

        It must hold SELECTOR_SHARE of the best block's prose; when it wraps the best block, it
        must not hold WRAPPER_EXCESS times the prose of that block and its prose siblings (a
        `.main` page wrapper around the story, its comments and a sidebar).
        """
        share = self.share(element)
        best = self.best
        if share < SELECTOR_SHARE or best is None:
            return share >= SELECTOR_SHARE
        if element is best or share <= WRAPPER_EXCESS:
            return True
        if not any(node is element for node in best.iterancestors()):
            return True
        story = sum(self.held.get(block, 0.0) for block in self.blocks(best))
        return self.held.get(element, 0.0) <= WRAPPER_EXCESS * story

    def blocks(self, main: Element) -> list[Element]:
        """Return `main` and, when `main` is the scored best, its siblings that carry prose."""
        if self.best is None or main is not self.best:
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


def score_prose(root: Element, blocks: frozenset[str], noise: Noise) -> Prose:
    """Return the page's prose scores; one pass over the blocks, each line scored once.

    When noise-named elements hide nearly all of the page's prose, the ones wrapping most of it
    and the page's <h1> are spared and the scores are carried again.
    """
    scored = _block_scores(root, blocks)
    prose = _carry(scored, noise)
    whole = sum(score for _, score in scored)
    if prose.best is not None and prose.held[prose.best] >= HIDDEN_SHARE * whole:
        return prose
    around: dict[Element, float] = {}  # all prose under an element, noise or not
    for element, score in scored:
        around[element] = around.get(element, 0.0) + score
        for node in element.iterancestors():
            around[node] = around.get(node, 0.0) + score
    # A comment thread may outweigh the story too; only a wrapper holds the story's heading.
    wrappers = [
        e
        for e, held in around.items()
        if held >= WRAPPER_SHARE * whole and noise.named(e) and next(e.iter("h1"), None) is not None
    ]
    if not wrappers:
        return prose
    noise.memo.clear()
    for wrapper in sorted(wrappers, key=lambda e: sum(1 for _ in e.iterancestors())):
        noise.spare(wrapper)
    return _carry(scored, noise)


def _block_scores(root: Element, blocks: frozenset[str]) -> list[tuple[Element, float]]:
    """Return each block with prose of its own and that prose's score, in document order.

    libxml2 hands out the non-blank text nodes (most blocks hold none of their own); each is
    counted for the block it is shown in, as link text when an <a> holds it.
    """
    counts: dict[Element, list[int]] = {}  # block → [characters, link characters, punctuation]
    in_link = set(_IN_LINK(root))
    for node in _TEXT_NODES(root):
        owner = node.getparent()
        if owner is None:
            continue
        if node.is_tail:
            owner = owner.getparent()
        linked = False
        while owner is not None and owner.tag not in blocks:
            linked = linked or owner.tag == "a"
            owner = owner.getparent()
        if owner is None:
            continue
        chars = _chars(node)
        count = counts.get(owner)
        if count is None:
            count = counts[owner] = [0, 0, 0]
        count[0] += chars
        if linked or owner.tag == "a" or owner in in_link:
            count[1] += chars
        count[2] += len(_PUNCT.findall(node))
    scored: list[tuple[Element, float]] = []
    for element, (chars, linked_chars, punctuation) in counts.items():
        if chars < MIN_PROSE_CHARS:
            continue
        plain = max(0.0, 1.0 - linked_chars / chars)
        scored.append((element, (1.0 + punctuation + min(chars, 300) / 100) * plain * plain))
    return scored


def _carry(scored: list[tuple[Element, float]], noise: Noise) -> Prose:
    scores: dict[Element, float] = {}
    held: dict[Element, float] = {}
    for element, score in scored:
        if noise(element):
            continue
        node: Element | None = element
        depth = 0
        while node is not None:
            if depth < len(_CARRY):
                scores[node] = scores.get(node, 0.0) + score * _CARRY[depth]
            held[node] = held.get(node, 0.0) + score
            node = node.getparent()
            depth += 1
    return Prose(scores, held, _best(scores))


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
    total = _chars(text_of(element))
    return min(1.0, _link_chars(element) / total) if total else 0.0


def _chars(text: str) -> int:
    return len("".join(text.split()))


def _link_chars(element: Element) -> int:
    # One libxml2 query for all link text; a nested <a> (invalid, rare) is counted once.
    return _chars("".join(_LINK_TEXT(element)))


def prose_chars(element: Element) -> int:
    """Return how much unlinked text `element` holds if it has sentences, else 0."""
    text = text_of(element)
    if not _SENTENCE_END.search(text):
        return 0
    return max(0, _chars(text) - _link_chars(element))
