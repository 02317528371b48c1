"""Choose a page's publication time and its writers among everything the page says.

A page states its time in several places — meta tags (PubDate, article:published_time, og:time),
<time itemprop=datePublished>, JSON-LD datePublished, a labelled line (发布时间：…, 发表于…) or a
bare date-time under the title — and names other times as well: related-news lists, comments,
archives, calendars, "today is" headers. Every date-time is a candidate, scored by where it
stands (just under the title scores; link lists, page furniture and comment threads do not), by
its label and by having a clock. The time of day is taken from the chosen candidate, never
joined from another one.

Writers come from labelled lines (作者/记者/文/撰稿, 发文机关 for a government document, "by …",
本贴由 … 于), leads (本报记者 甲 通讯员 乙, 据新华社电（记者 甲）), a name in brackets closing
the story, and meta tags that name a person (never a site: 网易, 新京报). When no writer is
named, the responsible editor (责任编辑/责编/编辑) answers for the page: that is how the people
who labelled real pages, and GNE, read such pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice

from lianxin.parsing.tree import Element, text_of

# year, separator, month, day, then an optional clock; the two separators must agree (below).
_DATE_TIME = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})\s*([-/.年])\s*(\d{1,2})\s*([-/.月])\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:[\sT,，]*(?:星期[一二三四五六日天]|周[一二三四五六日])?\s*(上午|下午)?\s*"
    r"(\d{1,2})\s*[:：时]\s*(\d{2})(?!\d)(?:\s*[:：分]\s*(\d{2})(?!\d))?(?:\.\d+)?\s*秒?"
    r"\s*([AaPp][Mm](?![A-Za-z]))?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_SEPARATOR_PAIRS = {"-": "-", "/": "/", ".": ".", "年": "月"}
_CHINA = timezone(timedelta(hours=8))
# Meta tags that carry the first publication, in the order they are trusted.
_META_KEYS = (
    "pubdate",
    "publishdate",
    "publish_date",
    "publishtime",
    "publish_time",
    "article:published_time",
    "og:published_time",
    "og:time",
    "og:release_date",
    "firstpublishedtime",
    "datepublished",
    "weibo: article:create_at",
    "dc.date.issued",
    "dc.date",
    "citation_date",
    "date",
)
_JSON_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
# Label words just before a date, by what they say about it.
_DATE_LABELS = (
    "成文日期|印发日期|发文日期|发布时间|发布日期|发表时间|发表日期|发稿时间|发表于|发布于|"
    "更新时间|最后更新|修改时间|日期|时间|发布|发表|于"
)
_LABEL_BEFORE = re.compile(rf"({_DATE_LABELS})\s*[:：]?\s*$")
# A line that is only a label, as a table cell is (成文日期 | 2022年01月27日).
_LABEL_CELL = re.compile(rf"^({_DATE_LABELS})\s*[:：]?$")
_DOCUMENT_DATE_LABELS = ("成文日期", "印发日期", "发文日期")
_UPDATE_LABELS = ("更新时间", "最后更新", "修改时间")
_TODAY = re.compile(r"(今天是|今日|当前时间|现在时间)\s*[:：]?\s*$")
_COMMENT = re.compile(r"网友|回复|\bre:|认为[:：]|楼主|\d+楼|引用|顶\s*\d|踩\s*\d", re.I)
_LIST_TAGS = frozenset({"li", "dd", "dt", "option"})
_ADDRESS = re.compile(r"https?:|www\.|\.(?:com|cn|net|org)\b", re.I)


@dataclass(frozen=True)
class Stamp:
    """One date-time the page states, with how much it looks like the publication time."""

    day: date
    clock: time | None
    score: float = 0.0
    label: str = ""


def read_stamp(text: str) -> Stamp | None:
    """Return the first valid date (and its clock) written in `text`, or None.

    A clock with an offset (2019-09-07T05:43:45Z) is moved to China time; a bare midnight
    (00:00:00, what date-only systems write) is no clock.
    """
    for match in _DATE_TIME.finditer(text):
        stamp = _stamp(match)
        if stamp is not None:
            return stamp
    return None


def _stamp(match: re.Match[str]) -> Stamp | None:
    year, sep1, month, sep2, day = match.group(1, 2, 3, 4, 5)
    if _SEPARATOR_PAIRS[sep1] != sep2:
        return None
    try:
        found = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if match.group(7) is None:
        return Stamp(found, None)
    hour, minute, second = int(match.group(7)), int(match.group(8)), int(match.group(9) or 0)
    half = (match.group(6) or match.group(10) or "").upper()
    if half in ("下午", "PM") and hour < 12:
        hour += 12
    elif half in ("上午", "AM") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return Stamp(found, None)
    if (hour, minute, second) == (0, 0, 0):
        return Stamp(found, None)
    offset = match.group(11)
    if offset:
        zone = timezone.utc
        if offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        moved = datetime(found.year, found.month, found.day, hour, minute, second, tzinfo=zone)
        local = moved.astimezone(_CHINA)
        return Stamp(local.date(), local.time())
    return Stamp(found, time(hour, minute, second))


def meta_stamp(root: Element, meta: dict[str, str], html: str = "") -> Stamp | None:
    """Return the publication time machine-written into the page (meta, <time>, JSON-LD)."""
    for key in _META_KEYS:
        value = meta.get(key)
        if value and (stamp := read_stamp(value)):
            return stamp
    for element in root.iter("time"):
        if element.get("itemprop") == "datePublished" or element.get("pubdate") is not None:
            if stamp := read_stamp(element.get("datetime") or text_of(element)):
                return stamp
    match = _JSON_LD_PUBLISHED.search(html)
    return read_stamp(match.group(1)) if match else None


def text_stamps(lines: list[tuple[Element, str]], title: str) -> list[Stamp]:
    """Return every date written in the page's lines, scored; the best first, ties in page order.

    `lines` are the page's visual lines (document.page_lines) and `title` its title, whose line
    anchors the byline: the publication time sits just under the title, before the story.
    """
    anchor = _title_line(lines, title)
    found: list[tuple[float, int, Stamp]] = []
    for index, (element, line) in enumerate(lines):
        matches = [m for m in _DATE_TIME.finditer(line) if _stamp(m) is not None]
        for match in matches:
            stamp = _stamp(match)
            assert stamp is not None
            before = line[: match.start()]
            if not before.strip() and index and _LABEL_CELL.match(lines[index - 1][1]):
                before = lines[index - 1][1]
            label, score = _label_score(before)
            score += 1.0 if stamp.clock is not None else 0.0
            if not label and match.start() > 40 and len(line) > 80:
                score -= 3.0  # a date the story mentions, deep in a paragraph
            else:
                score += _position_score(index, anchor)
            score -= _furniture_penalty(element, line, len(matches))
            found.append((score, len(found), Stamp(stamp.day, stamp.clock, score, label)))
    if found and anchor is None:
        # Without a title to stand under, the first date of the page is the best guess.
        first = found[0]
        found[0] = (first[0] + 2.0, first[1], first[2])
    found.sort(key=lambda item: (-item[0], item[1]))
    return [Stamp(s.day, s.clock, score, s.label) for score, _, s in found]


def choose_stamp(machine: Stamp | None, written: list[Stamp]) -> tuple[date | None, time | None]:
    """Return the publication day and clock from the meta stamp and the scored text stamps.

    A document's own date (成文日期) outranks the portal's; otherwise the machine-written day
    wins, and its clock is the one the page shows for that day (what a reader sees: a meta
    clock is often the last save), else the meta's own. Text dates that only stand in lists,
    furniture or comments are no publication time; an update time is one only when the page
    gives no other.
    """
    plausible = [s for s in written if s.score > 0 and s.label not in _UPDATE_LABELS]
    document_dates = [s for s in plausible if s.label in _DOCUMENT_DATE_LABELS]
    if document_dates:
        chosen = document_dates[0]
        return chosen.day, chosen.clock
    if machine is not None:
        shown = [s for s in plausible if s.day == machine.day and s.clock is not None]
        return machine.day, shown[0].clock if shown else machine.clock
    # A page that says only when it was updated (a roster's 更新时间) is dated by that.
    fallback = plausible or [s for s in written if s.score > 0]
    if fallback:
        return fallback[0].day, fallback[0].clock
    return None, None


def _label_score(before: str) -> tuple[str, float]:
    tail = before[-14:]
    if _TODAY.search(tail):
        return "today", -6.0
    match = _LABEL_BEFORE.search(tail)
    if not match:
        return "", 0.0
    label = match.group(1)
    if label in _UPDATE_LABELS:
        return label, -2.0
    if label == "于":
        return label, 1.0
    if label in _DOCUMENT_DATE_LABELS:
        return label, 4.0
    return label, 3.0


def _position_score(index: int, anchor: int | None) -> float:
    if anchor is None:
        return 0.0
    delta = index - anchor
    if 0 < delta <= 6:
        return 4.0
    if -3 <= delta <= 0:
        return 2.5
    if 6 < delta <= 15:
        return 2.0
    return -1.0 if delta > 40 else 0.0


def _furniture_penalty(element: Element, line: str, dates_in_line: int) -> float:
    penalty = 0.0
    if _in_link_list(element, line):
        penalty += 4.0
    if _COMMENT.search(line):
        penalty += 2.0
    if dates_in_line > 2:
        penalty += 2.0  # an archive or a list of stories, one date each
    if _is_furniture(element):
        penalty += 2.0
    return penalty


def _in_link_list(element: Element, line: str) -> bool:
    """Return True for a date in a link or beside a headline link: a related story's date.

    A byline's own links (A- A+, the source's name, a URL) are short or addresses; a related
    story's link is its headline.
    """
    if element.tag == "a" or next(element.iterancestors("a"), None) is not None:
        return True
    parents = [element, *islice(element.iterancestors(), 2)]
    in_list = any(node.tag in _LIST_TAGS for node in parents)
    headlines = [
        len(text) for a in _inline_links(element) if not _ADDRESS.search(text := text_of(a).strip())
    ]
    longest = max(headlines, default=0)
    if in_list:
        return longest >= 6
    return longest >= 8 and sum(headlines) >= 0.5 * len(line)


def _inline_links(element: Element) -> list[Element]:
    # Late import: document imports this module.
    from lianxin.parsing.document import BLOCK_SET

    links = []
    for link in element.iter("a"):
        block = next((a for a in link.iterancestors() if a.tag in BLOCK_SET), None)
        if block is element:
            links.append(link)
    return links


def _is_furniture(element: Element) -> bool:
    from lianxin.parsing.document import is_noise

    return is_noise(element)


def _title_line(lines: list[tuple[Element, str]], title: str) -> int | None:
    """Return the index of the line that shows the title: a heading first, then any line."""
    if len(title) < 4:
        return None
    loose: int | None = None
    for index, (element, line) in enumerate(lines):
        if line == title or (element.tag in ("h1", "h2", "h3") and title in line):
            return index
        # A byline lxml nested into the title's block follows the title on its line.
        if loose is None and line.startswith(title) and len(line) <= len(title) + 40:
            loose = index
    return loose


# --- writers -------------------------------------------------------------------------------

_CJK_NAME = r"[\u4e00-\u9fa5·]{2,5}"
_WRITER_LABEL = re.compile(
    r"(?:^|(?<=[\s|｜【\[(（]))(作者|撰稿|撰文|文|原创|发文机关)\s*[:：]\s*"
    r"([^\s|｜【】\[\]()（）:：]{2,24}(?:\s*[(（][A-Za-z][A-Za-z .]+[)）])?)"
)
_BY = re.compile(r"(?:^|\s)by\s+([^\s|｜〓]{2,24})", re.I)
_POSTED_BY = re.compile(r"(?:本贴|本帖|本文)由\s*([^\s]{2,24})\s*于")
_ROLE = r"(?:记者|通讯员|实习生|特约撰稿人?|撰稿人?)"
_LEAD = re.compile(
    rf"{_ROLE}\s*((?:{_CJK_NAME})(?:[\s、,，]+(?!\S{{0,3}}{_ROLE}){_CJK_NAME})*)"
    r"(?=[\s)）、,，/|]|报道|摄|$)"
)
_BRACKETED = re.compile(r"[(（][^()（）]{2,40}[)）]")
_CLOSING_NAME = re.compile(rf"^[(（]\s*({_CJK_NAME})\s*[)）]$")
# Words that stand where a name would and are none: labels, verbs, placeholders.
_NOT_NAMES = re.compile(
    r"编辑|作者|来源|记者|通讯员|本报|报道|表示|介绍|题为|了解|获悉|未知|佚名|匿名|不详|发表|发布"
)
_OFFICE_CELL = re.compile(r"^(发文机关|发布机构)\s*[:：]?$")
_LATIN_HANDLE = re.compile(r"^[A-Za-z][\w.\-]{2,23}$")
# Names a site, a paper or an office gives itself, never a writer's.
_ORGANISATION = re.compile(r"网|报|社|台|站|频道|新闻|传媒|出版|公司|集团|中心|编辑部|媒体")
_GOVERNMENT = re.compile(r"(政府|委员会|办公室|办公厅|局|厅|委|部|院)$")
_META_AUTHOR_KEYS = (
    "author",
    "article:author",
    "citation_authors",
    "citation_author",
    "dc.creator",
)
_SPACED_NAME = re.compile(r"(?<=[\u4e00-\u9fa5])\s+(?=[\u4e00-\u9fa5])")  # 赵  培


def labelled_writers(lines: list[tuple[Element, str]]) -> list[str]:
    """Return the writers a short line names: 作者：甲, 文/甲, by 甲, 本贴由 甲 于, 发文机关：….

    A government document's issuing office (发文机关) is its author.
    """
    for index, (_, line) in enumerate(lines):
        if len(line) > 160:
            continue
        if _OFFICE_CELL.match(line) and index + 1 < len(lines):
            office = lines[index + 1][1]
            if len(office) <= 30 and _GOVERNMENT.search(office):
                return [office]
        for match in _WRITER_LABEL.finditer(line):
            label, value = match.group(1), match.group(2)
            if label == "发文机关":
                if _GOVERNMENT.search(value):
                    return [value]
                continue
            if names := writer_names(value):
                return names
        posted = _POSTED_BY.search(line) or (_DATE_TIME.search(line) and _BY.search(line))
        if posted and (names := writer_names(posted.group(1))):
            return names
    return []


def lead_writers(lines: list[tuple[Element, str]]) -> list[str]:
    """Return the reporters a story's lead names: 本报记者 甲 通讯员 乙, 据新华社电（记者 甲）.

    Only the lines just under the title are leads; a line that is only a bracketed name (（甲）)
    signs the story wherever it stands.
    """
    names: list[str] = []
    for _, line in lines[:12]:
        # A lead is a short line of its own, or a bracket opening the first paragraph.
        heads = [line] if len(line) <= 60 else _BRACKETED.findall(line[:80])
        for head in heads:
            for match in _LEAD.finditer(head):
                for name in re.split(r"[\s、,，]+", match.group(1)):
                    if name not in names and _is_name(name):
                        names.append(name)
        if names:
            return names
    for _, line in lines:
        closing = _CLOSING_NAME.match(line)
        if closing:
            return [closing.group(1)]
    return []


def meta_writers(meta: dict[str, str]) -> list[str]:
    """Return the person a meta author tag names; a site or a number (网易, 105092) is none."""
    for key in _META_AUTHOR_KEYS:
        value = meta.get(key, "")
        if value and (names := writer_names(_SPACED_NAME.sub("", value), latin=False)):
            return names
    return []


def writer_names(value: str, latin: bool = True) -> list[str]:
    """Return the names `value` opens with; none when it names a site or an office."""
    value = value.strip(" |｜【】[]()（）/:：")
    bilingual = re.match(rf"^({_CJK_NAME})\s*([(（][A-Za-z][A-Za-z .]+[)）])", value)
    if bilingual:
        return [f"{bilingual.group(1)} {bilingual.group(2)}"]
    names: list[str] = []
    for token in re.split(r"[\s、,，/|｜;；]+", value):
        token = re.sub(r"_[A-Za-z0-9]+$", "", token)  # 杨倩_NF44: the system's editor code
        if _ORGANISATION.search(token):
            return []
        if _is_name(token) or (latin and _LATIN_HANDLE.match(token)):
            names.append(token)
        elif names or token:
            break  # the names end where the byline's next item starts
    return names


def _is_name(token: str) -> bool:
    return bool(re.fullmatch(_CJK_NAME, token)) and not _NOT_NAMES.search(token)


_EDITOR_LABEL = re.compile(
    r"(?:^|(?<=[\s|｜【\[(（]))(责任编辑|责编|编辑)\s*[:：]\s*([^\s|｜【】\[\]()（）:：]{2,24})"
)


def labelled_editor(lines: list[tuple[Element, str]]) -> str | None:
    """Return the editor a short line names (责任编辑：甲, （责编：甲、乙）); 责任编辑 first."""
    found: dict[str, str] = {}
    for _, line in lines:
        if len(line) > 160:
            continue
        for match in _EDITOR_LABEL.finditer(line):
            names = writer_names(match.group(2))
            if names:
                found.setdefault(match.group(1), "、".join(names))
    return found.get("责任编辑") or found.get("责编") or found.get("编辑")


def title_line(lines: list[tuple[Element, str]], title: str) -> int | None:
    """Return the index of the line that shows the page's title, or None."""
    return _title_line(lines, title)
