"""Read a news story: byline (来源/作者/编辑/发布时间 or a 记者/通讯员 lead) and body paragraphs.

Bylines come in any order and punctuation (来源：… 作者：…, 【来源：…】, a | between labels), in a
line above or below the text; a line is read as label → value pairs. Paragraphs that are page
furniture (相关新闻, 打印本页, 分享到, 版权所有, 上一篇 …) are left out of the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lianxin.parsing.content import own_lines
from lianxin.parsing.document import BLOCK_SET, BLOCKS, Document, page_lines
from lianxin.parsing.meta import (
    labelled_editor,
    labelled_writers,
    lead_writers,
    meta_writers,
    title_line,
    writer_names,
)
from lianxin.parsing.text import clean_text, normalize
from lianxin.parsing.tree import Element, text_of

_LABEL_WORDS = (
    "信息来源|稿件来源|文章来源|来源|作者|撰稿|记者|文|责任编辑|编辑|审核|审校|校对|"
    "发布时间|发布日期|更新时间|时间|日期|浏览次数|浏览量|阅读次数|点击数|点击|字号|字体|打印"
)
_LABEL = re.compile(rf"(?:^|(?<=[\s|｜【】\[\]()（）]))({_LABEL_WORDS})\s*[:：]")
_SEPARATORS = " |｜【】[]()（）/"
_LEADING_TIME = re.compile(
    r"^\s*\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
)
_LEAD_ROLE = re.compile(r"(记者|通讯员|实习生|特约撰稿人|摄影)")
_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,5}$")
_AUTHOR_LABELS = ("作者", "撰稿", "记者", "文")
_SOURCE_LABELS = ("来源", "信息来源", "稿件来源", "文章来源")
# Page furniture that sits inside the article container on many content systems.
BOILERPLATE = re.compile(
    r"^[【\[]?(相关新闻|相关阅读|相关链接|相关文章|延伸阅读|推荐阅读|热点推荐|上一篇|下一篇|"
    r"打印本页|关闭窗口|打印|关闭|分享到|扫一扫|责任编辑|版权所有|copyright|©|"
    r"预览时标签不可点|阅读原文|微信扫一扫|点击查看|附件[:：]?$)",
    re.I,
)


@dataclass
class Byline:
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    source: str | None = None
    text: str = ""


def byline_pairs(line: str) -> list[tuple[str, str]]:
    """Return the (label, value) pairs of a byline line, in order."""
    text = normalize(line)
    matches = list(_LABEL.finditer(text))
    pairs: list[tuple[str, str]] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end() : end].strip(_SEPARATORS)
        pairs.append((match.group(1), value))
    return pairs


def is_byline(line: str) -> bool:
    """Return True for a short line made of labels such as 来源： 作者： 发布时间：.

    The line may open with the bare publication time (2026-10-28 16:02 来源：…).
    """
    text = _LEADING_TIME.sub("", normalize(line)).lstrip("【[ |（(")
    if len(text) > 160:
        return False
    return bool(_LABEL.match(text)) or len(_LABEL.findall(text)) >= 2 and len(text) <= 100


def read_byline(doc: Document) -> Byline:
    """Return authors, editor and source from the page's byline lines, or a 记者/通讯员 lead."""
    byline = Byline()
    editors: dict[str, str] = {}
    lines = page_lines(doc.root)
    for element, line in lines:
        if not is_byline(line) or element.tag in ("table", "tr"):
            continue
        byline.text = byline.text or line
        for label, value in byline_pairs(line):
            if label in _AUTHOR_LABELS and not byline.authors:
                byline.authors = writer_names(value)
            elif label in ("责任编辑", "编辑") and value:
                editors.setdefault(label, "、".join(writer_names(value)) or value.split(" ")[0])
            elif label in _SOURCE_LABELS and value and not byline.source:
                byline.source = value.split(" ")[0]
    # The responsible editor (责任编辑) answers for the page; a plain 编辑 is the fallback.
    byline.editor = editors.get("责任编辑") or editors.get("编辑") or labelled_editor(lines)
    if not byline.authors:
        lead = _lead_line(doc.main)
        if lead:
            byline.authors = lead_authors(lead)
    anchor = title_line(lines, doc.title)
    story = lines[anchor + 1 :] if anchor is not None else page_lines(doc.main)
    byline.authors = (
        byline.authors
        or lead_writers(story)
        or labelled_writers(lines)
        or meta_writers(doc.meta)
        # Readers take the responsible editor for the author of a page that names no writer.
        or writer_names(byline.editor or "", latin=False)
    )
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
    """Return the story's lines, without byline, lead line, navigation or related links.

    A line is a block's own text up to a <br>, so text in <p>s, in bare <div>s and in the
    cells of a layout table is read alike, from the main container and its prose siblings.
    """
    paragraphs: list[str] = []
    lead = _lead_line(doc.main)
    for block in doc.body or [doc.main]:
        for element in block.iter(*BLOCKS):
            if doc.is_noise(element):
                continue
            in_link = next(element.iterancestors("a"), None) is not None
            for line in own_lines(element, BLOCK_SET, in_link):
                text = clean_text(line.text)
                if not text or text == lead or text == doc.title or is_byline(text):
                    continue
                if BOILERPLATE.match(text) or line.link_chars >= 0.5 * max(1, line.chars):
                    continue
                paragraphs.append(text)
    if not paragraphs:
        text = clean_text(text_of(doc.main, " "))
        if text:
            paragraphs.append(text)
    return paragraphs


def _lead_line(main: Element) -> str | None:
    for count, element in enumerate(main.iterdescendants("p")):
        if count == 3:
            break
        text = clean_text(text_of(element, " "))
        if len(text) <= 40 and _LEAD_ROLE.search(text):
            return text
    return None
