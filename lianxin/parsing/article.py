"""Read a news story: byline (来源/作者/编辑/发布时间 or a 记者/通讯员 lead) and body paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import Tag

from lianxin.parsing.document import Document, is_noise
from lianxin.parsing.text import clean_text, normalize

_LABELS = r"(?:来源|作者|文|责任编辑|编辑|审核|审校|校对|发布时间|发布日期|时间|日期|浏览次数|点击)"
_AUTHORS = re.compile(rf"(?:作者|文)\s*[:：]\s*(.+?)(?=\s*{_LABELS}\s*[:：]|$)")
_EDITOR = re.compile(r"(?:责任编辑|编辑)\s*[:：]\s*([^\s:：]+)")
_LEAD_ROLE = re.compile(r"(记者|通讯员|实习生|特约撰稿人|摄影)")
_BYLINE_HINT = re.compile(r"(作者|编辑|责任编辑)\s*[:：]")
_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,5}$")


@dataclass
class Byline:
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    text: str = ""


def read_byline(doc: Document) -> Byline:
    """Return authors and editor from the byline element, or from a 记者/通讯员 lead line."""
    byline = Byline()
    best = ""
    for element in doc.soup.find_all(["div", "p", "span", "td", "section"]):
        text = normalize(element.get_text(" "))
        if len(text) < 250 and _BYLINE_HINT.search(text) and len(text) > len(best):
            best = text
    byline.text = best
    authors = _AUTHORS.search(best)
    if authors:
        byline.authors = [n for n in re.split(r"[\s、,，/]+", authors.group(1)) if n]
    editor = _EDITOR.search(best)
    if editor:
        byline.editor = editor.group(1)
    if not byline.authors:
        lead = _lead_line(doc.main)
        if lead:
            byline.authors = lead_authors(lead)
    return byline


def lead_authors(line: str) -> list[str]:
    """Return the names in a lead line such as 云溪融媒记者 孙七 通讯员 周八 长沙报道."""
    names: list[str] = []
    for token in clean_text(line).split(" "):
        if token.endswith("报道") or token.endswith("摄"):
            continue
        parts = _LEAD_ROLE.split(token)
        candidate = parts[-1] if len(parts) > 1 else token
        if _NAME.match(candidate) and not _LEAD_ROLE.search(candidate):
            names.append(candidate)
    return names


def body_paragraphs(doc: Document) -> list[str]:
    """Return the story's paragraphs, without byline, lead line, navigation or related links."""
    paragraphs: list[str] = []
    lead = _lead_line(doc.main)
    for element in doc.main.find_all(["p", "h2", "h3", "h4"]):
        if is_noise(element) or element.find_parent("table") is not None:
            continue
        text = clean_text(element.get_text(""))
        if not text or text == lead or _BYLINE_HINT.search(text[:40]) and len(text) < 250:
            continue
        paragraphs.append(text)
    if not paragraphs:
        text = clean_text(doc.main.get_text(" "))
        if text:
            paragraphs.append(text)
    return paragraphs


def _lead_line(main: Tag) -> str | None:
    for element in main.find_all("p")[:3]:
        text = clean_text(element.get_text(" "))
        if len(text) <= 40 and _LEAD_ROLE.search(text):
            return text
    return None
