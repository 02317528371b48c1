"""Say why, in the reader's language: quarantine reasons, import failures, findings, obligations.

The store keeps these as the English sentences the parser and the rules write
(`quarantine.reason`, `findings.detail`, `obligations.detail`, `obligation_events.reason`,
`risk_flags.detail`), and rows written by older versions are the same sentences. Each sentence
the code can write has a `Phrase` here: a stable code, its English with `{name}` where a value
varies, and its Chinese. `read` finds a sentence's code and values again; `localize` writes it in
the asked language, and gives text it does not know back unchanged, so nothing stored is ever
hidden. A value named `inner` (or `items`, a "; "-list) is itself a sentence and is read again;
`kind`, `category` and `field` are words and are translated; every other value is copied.

No schema change: the code is derived from the stored text (the columns hold text only, and the
quarantine's text is part of its unique key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Phrase:
    code: str
    en: str  # as the code writes it, `{name}` for a value
    zh: str
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", _compile(self.en))

    def say(self, language: str, **values: str) -> str:
        """Return the phrase in `language` with `values` put in."""
        return (self.en if language == "en" else self.zh).format(**values)


def _compile(template: str) -> re.Pattern[str]:
    out, seen, at = [], set(), 0
    for m in re.finditer(r"\{(\w+)\}", template):
        out.append(re.escape(template[at : m.start()]))
        name = m.group(1)
        if name in seen:
            out.append(f"(?P={name})")
        else:
            seen.add(name)
            out.append(f"(?P<{name}>.*?)" if name == "rest" else f"(?P<{name}>.+?)")
        at = m.end()
    out.append(re.escape(template[at:]))
    return re.compile("".join(out), re.DOTALL)


def _phrases(*rows: tuple[str, str, str]) -> tuple[Phrase, ...]:
    return tuple(Phrase(code, en, zh) for code, en, zh in rows)


# Why a row or a page was quarantined, or an import refused (lianxin/parsing/*, transfer.py,
# fetching.py). Prefixes that wrap another reason come first.
QUARANTINE = _phrases(
    ("row", "row {row}: {inner}", "第{row}行：{inner}"),
    ("cadre", "cadre: {inner}", "包户干部：{inner}"),
    ("part", "part {url}: {inner}", "分页 {url}：{inner}"),
    ("problem", "problem {number}: {inner}", "问题 {number}：{inner}"),
    ("invalid_value", "invalid value: {items}", "数值无效：{items}"),
    ("missing_name", "missing worker name ({column})", "缺少务工人员姓名（{column}列）"),
    (
        "village_unknown_checkin",
        "village unknown: not in the title, the page or a column",
        "不知道属于哪个村：标题、页面和表格列中都没有",
    ),
    (
        "village_unknown_roster",
        "village unknown: no 所在村 column and none in the title",
        "不知道属于哪个村：没有“所在村”列，标题中也没有",
    ),
    (
        "month_unknown",
        "month unknown: no 2026年11月-like title and no call dates",
        "不知道是哪个月：标题中没有“2026年11月”这样的月份，也没有回访日期",
    ),
    ("totals_row", "totals row ({label}), not a person", "合计行（{label}），不是人员"),
    ("note_row", "note row (signatures, remarks), not data", "备注行（签字、说明），不是数据"),
    ("duplicate_row", "duplicate of row {row}", "与第{row}行重复"),
    (
        "empty_table",
        "table has a header but no data rows: {headers}",
        "表格只有表头，没有数据行：{headers}",
    ),
    (
        "masked_phone",
        "phone masked on the roster: cannot be called from Lianxin",
        "花名册上的电话已打码：连心无法据此回访",
    ),
    (
        "outside_place",
        "{village} outside your place ({place}): not imported",
        "{village}不在您的管辖范围（{place}）内：未导入",
    ),
    ("period_format", "period must be YYYY-MM, got {value}", "月份须为YYYY-MM格式，实际为{value}"),
    ("not_a_number", "not a number: {value}", "不是数字：{value}"),
    ("no_number", "no number in {value}", "其中没有数字：{value}"),
    ("range_out_of_order", "range out of order in {value}", "范围前后颠倒：{value}"),
    ("negative_money", "negative amount of money: {value}", "金额为负数：{value}"),
    (
        "implausible_income",
        "implausible monthly income: {yuan} yuan is above {maximum}, "
        "a typo or a yearly figure? ({value})",
        "月收入不合理：{yuan}元超过{maximum}元，可能是笔误或年收入？（{value}）",
    ),
    ("count_whole", "a count must be whole: {value}", "数量须为整数：{value}"),
    ("not_money", "not an amount of money: {inner}", "不是金额：{inner}"),
    (
        "date_no_year",
        "date without a year and no page year: {value}",
        "日期没有年份，页面上也没有年份：{value}",
    ),
    (
        "month_not_day",
        "names a month ({period}), not a day: {value}",
        "写的是月份（{period}），不是具体日期：{value}",
    ),
    ("not_a_date", "not a date: {value}", "不是日期：{value}"),
    (
        "month_only",
        "{field} names only a month ({period}): the day is left empty, the text kept: {value}",
        "{field}只写到月份（{period}）：日期留空，原文保留：{value}",
    ),
    (
        "unreadable_kept",
        "{field} unreadable, left empty, the text kept: {inner}",
        "{field}无法识别，已留空，原文保留：{inner}",
    ),
    ("window_reversed", "window ends before it starts: {value}", "时段的结束早于开始：{value}"),
    ("not_a_deadline", "not a deadline: {value}", "不是整改期限：{value}"),
    ("not_a_real_day", "not a real day: {value}", "没有这一天：{value}"),
    ("not_a_real_month", "not a real month: {value}", "没有这个月份：{value}"),
    ("working_days", "{count} working days is not a deadline", "{count}个工作日不是有效期限"),
    (
        "relative_date",
        "relative date and no report date to count from: {value}",
        "相对日期，但没有报告日期可供推算：{value}",
    ),
    (
        "deadline_from_notice",
        "deadline {value} counts from the notice, which has no date",
        "期限{value}从通知之日起算，但通知没有日期",
    ),
    ("unreadable_deadline", "unreadable deadline {value}", "无法识别的整改期限：{value}"),
    (
        "login_page",
        "not a report: a login page (the session or the address is wrong)",
        "不是报告：是登录页（会话已失效或网址有误）",
    ),
    (
        "error_page",
        "not a report: an error page served as a page ({heading})",
        "不是报告：是当作正常页面返回的错误页（{heading}）",
    ),
    (
        "nothing_on_page",
        "no title and no text: nothing on the page reads as a report",
        "没有标题也没有正文：页面上没有能读作报告的内容",
    ),
    (
        "unsupported_type",
        "unsupported content type {mime} (only HTML pages are parsed)",
        "不支持的内容类型 {mime}（只解析 HTML 页面）",
    ),
    (
        "no_table_found",
        "no {kind} table found on the page (headers not recognised)",
        "页面上没有找到{kind}（表头无法识别）",
    ),
    (
        "unknown_kind",
        "unknown kind {value}: use auto or one of {kinds}",
        "未知类型 {value}：请用 auto 或 {kinds} 之一",
    ),
    (
        "unknown_import_kind",
        "unknown kind {value}: roster, checkin_table or auto",
        "未知类型 {value}：只能是 roster、checkin_table 或 auto",
    ),
    (
        "other_kind",
        "holds a {kind}, not a roster or check-in table",
        "文件内容是{kind}，不是花名册或回访台账",
    ),
    ("empty_page", "empty page: no bytes to parse", "空页面：没有可解析的内容"),
    (
        "undecodable",
        "undecodable: too many invalid byte sequences for every candidate encoding ({codecs})",
        "无法解码：尝试的每种编码（{codecs}）都有太多无效字节",
    ),
    ("empty_file", "empty file: no bytes to read", "空文件：没有可读取的内容"),
    (
        "undecodable_csv",
        "undecodable .csv file: neither UTF-8 nor GBK/GB18030 nor detectable",
        "无法解码的 .csv 文件：不是 UTF-8，也不是 GBK/GB18030，也认不出编码",
    ),
    ("binary_csv", "not a .csv file: binary content", "不是 .csv 文件：内容是二进制的"),
    ("unreadable_file", "unreadable .{ext} file: {detail}", "无法读取的 .{ext} 文件：{detail}"),
    ("reader_error", "reader error: {name}", "读取程序出错：{name}"),
    ("blank_sheets", "no rows: every sheet is blank", "没有数据：每个工作表都是空的"),
    (
        "no_known_table",
        "no check-in, roster or problem table: no sheet has a header naming known columns",
        "没有回访台账、花名册或问题清单：没有哪个工作表的表头含有能识别的列名",
    ),
    ("unreadable", "unreadable", "无法读取"),
    ("fetch_failed", "fetch failed: {name}", "抓取失败：{name}"),
    ("http_status", "HTTP {status}", "网站返回 HTTP {status} 错误"),
    ("page_too_large", "page larger than {mb} MB, not parsed", "页面超过 {mb} MB，未解析"),
    (
        "crawl_time_limit",
        "crawl stopped at its time limit of {seconds} s",
        "抓取达到 {seconds} 秒的时限，已停止",
    ),
)

# One pydantic error inside "invalid value: …" ("name: String should have at most 40 …").
FIELD_ERRORS = _phrases(
    *(
        (code, "{field}: " + en, "{field}：" + zh)
        for code, en, zh in (
            ("field_value_error", "Value error, {inner}", "{inner}"),
            ("field_required", "Field required", "必填"),
            ("field_too_short", "String should have at least {n} character{rest}", "至少{n}个字"),
            ("field_too_long", "String should have at most {n} character{rest}", "最多{n}个字"),
            ("field_too_small", "Input should be greater than or equal to {n}", "不能小于{n}"),
            ("field_too_big", "Input should be less than or equal to {n}", "不能大于{n}"),
            ("field_pattern", "String should match pattern {value}", "格式不对"),
            ("field_integer", "Input should be a valid integer{rest}", "应为整数"),
            ("field_date", "Input should be a valid date{rest}", "应为有效日期"),
            ("field_bool", "Input should be a valid boolean{rest}", "应为是或否"),
            ("field_enum", "Input should be {rest}", "不是可选的值"),
        )
    )
)

# Reconciliation findings (lianxin/rules/reconcile.py): their details, and a shared phone's subject.
FINDINGS = _phrases(
    (
        "finding_missing_checkin",
        "on the roster, not on the village's {period} check-in table",
        "在花名册上，但不在本村{period}的回访台账中",
    ),
    (
        "finding_unknown_worker",
        "no roster worker matches this check-in by name and phone: {name}",
        "花名册中没有姓名和电话都对得上的人：{name}",
    ),
    (
        "finding_duplicate_checkin",
        "{n} check-in records of one worker in this period",
        "同一人本月有{n}条回访记录",
    ),
    (
        "finding_outside_window",
        "call dated {day}, outside the window {start}–{due}",
        "回访日期为{day}，不在{start}至{due}的回访期内",
    ),
    (
        "finding_shared_phone",
        "{n} roster workers share one phone, e.g. {first} and {last}",
        "花名册上{n}人共用一个电话，如{first}和{last}",
    ),
    ("finding_phone_subject", "phone …{tail}", "电话 …{tail}"),
)

# Why an obligation exists (obligations.detail, its first event) and why it moved (events),
# and a risk flag's detail (lianxin/rules/*).
OBLIGATIONS = _phrases(
    (
        "owe_monthly_checkin",
        "{period} monthly check-in (每月上旬电话回访): the worker is employed or looking for work; "
        "call due by {due}",
        "{period}每月上旬电话回访：该人员在岗或正在找工作，须在{due}前回访",
    ),
    (
        "owe_home_visit",
        "unreachable by phone {months} months running (连续{months}个月未接通): "
        "visit the household",
        "连续{months}个月电话未接通：请入户走访",
    ),
    (
        "owe_assistance_no_income",
        "no income last month: offer job information, training or a public-welfare post",
        "上月无收入：请提供就业信息、培训或公益性岗位",
    ),
    (
        "owe_assistance_looking",
        "looking for work: offer job information and training",
        "正在找工作：请提供就业信息和培训",
    ),
    ("owe_rectify", "rectify (整改) by the deadline: {description}", "按期整改：{description}"),
    (
        "owe_return_visit",
        "marked rectified: verify on site within {days} days (杀回马枪)",
        "已标记整改：须在{days}天内到现场复核（杀回马枪）",
    ),
    (
        "risk_below_line",
        "income below the monitoring line of {yuan} yuan a month",
        "收入低于每月{yuan}元的监测线",
    ),
    (
        "risk_below_median",
        "income below {share} of the median of the previous three reported months",
        "收入低于前三个已报月份中位数的{share}",
    ),
    ("moved_called", "a call of this month is recorded", "本月已有回访记录"),
    ("moved_no_call", "no call recorded by the due date", "到期仍无回访记录"),
    (
        "moved_window_open",
        "no call recorded yet; the window is still open",
        "尚无回访记录，回访期未过",
    ),
    ("moved_answered_later", "the worker answered a later call", "该人员接了之后的回访电话"),
    (
        "moved_reassessed",
        "a later call re-assessed the worker's employment",
        "之后的回访重新评估了就业情况",
    ),
    ("moved_not_done", "not done by the due date", "到期未完成"),
    ("moved_open", "open", "待办"),
    ("born_open", "created", "新建"),  # an obligation's first history row, when it starts open
    ("moved_rectified", "the problem is marked rectified (已整改)", "问题已标记为已整改"),
    ("moved_not_rectified", "not rectified by the deadline", "到期未整改"),
    ("moved_rectifying", "rectification under way", "正在整改"),
    ("moved_verified", "verified on a return visit (已销号)", "回访复核通过（已销号）"),
    ("moved_no_return_visit", "no return visit by the due date", "到期未回访复核"),
    ("moved_return_due", "return visit due", "待回访复核"),
    *(
        (f"moved_escalated_{level}", f"late beyond the grace period: escalated to the {en}", zh)
        for level, en, zh in (
            ("village", "village lead", "超过宽限期：已上报村干部"),
            ("town", "town", "超过宽限期：已上报乡镇"),
            ("county", "county bureau", "超过宽限期：已上报县乡村振兴局"),
        )
    ),
    ("moved_grace", "late, within the cadre's grace period", "已逾期，仍在干部的宽限期内"),
    ("moved_waived", "waived by {by} ({category}): {reason}", "{by}已豁免（{category}）：{reason}"),
)

# History written before migration 0017: a birth row of an obligation born done or late gave
# the rule's detail, then why it started in that status. Still translated where it is read.
# Read before every other phrase: the detail's own phrase, or any phrase ending in a value,
# would otherwise take the whole sentence.
_BORN_AS = (
    "moved_called",
    "moved_no_call",
    "moved_not_done",
    "moved_answered_later",
    "moved_reassessed",
)
BORN_BEFORE_0017 = tuple(
    Phrase(f"born_{p.code.removeprefix('moved_')}", f"{{inner}} — {p.en}", f"{{inner}}；{p.zh}")
    for p in OBLIGATIONS
    if p.code in _BORN_AS
)

PHRASES = (*BORN_BEFORE_0017, *QUARANTINE, *FINDINGS, *OBLIGATIONS)


class ReasonWord(StrEnum):
    """The vocabularies a value of a phrase may come from (`kind`, `category`, `field`)."""

    kind = "kind"
    category = "category"
    field = "field"


# Words a value may be: report kinds, waiver categories, record fields. (zh, en)
WORDS: dict[ReasonWord, dict[str, tuple[str, str]]] = {
    ReasonWord.kind: {
        "checkin_table": ("回访台账", "check-in table"),
        "roster": ("花名册", "roster"),
        "problem_list": ("问题清单", "problem list"),
        "article": ("文章", "article"),
        "listing": ("列表页", "listing"),
    },
    ReasonWord.category: {
        "returned_for_good": ("返乡不再外出", "returned for good"),
        "moved_out": ("迁出本县", "moved out of the county"),
        "deceased": ("已故", "deceased"),
        "other": ("其他", "other"),
    },
    ReasonWord.field: {
        "name": ("姓名", "name"),
        "worker_name": ("姓名", "worker_name"),
        "village": ("村", "village"),
        "town": ("乡镇", "town"),
        "phone": ("电话", "phone"),
        "worker_phone": ("电话", "worker_phone"),
        "period": ("月份", "period"),
        "call_date": ("回访日期", "call_date"),
        "start_date": ("务工起始时间", "start_date"),
        "found": ("发现时间", "found"),
        "reached": ("是否接通", "reached"),
        "status": ("务工状态", "status"),
        "income_yuan": ("上月收入", "income_yuan"),
        "employer": ("务工单位", "employer"),
        "note": ("备注", "note"),
        "description": ("问题描述", "description"),
        "deadline": ("整改时限", "deadline"),
        "number": ("编号", "number"),
    },
}

# Severities of quarantined rows (records.Severity). (zh, en)
SEVERITIES: dict[str, tuple[str, str]] = {
    "error": ("错误", "error"),
    "warning": ("提醒", "warning"),
    "skipped": ("跳过", "skipped"),
}


def read(text: str, phrases: tuple[Phrase, ...] = PHRASES) -> tuple[Phrase, dict[str, str]] | None:
    """Return the phrase `text` says and its values; None for text no phrase matches."""
    for phrase in phrases:
        m = phrase.pattern.fullmatch(text)
        if m:
            return phrase, m.groupdict()
    return None


def localize(text: str | None, language: str) -> str:
    """Return `text` (a stored reason, detail or explanation) in `language`; unknown text as is."""
    if not text:
        return ""
    return _say(text, PHRASES, language)


def severity(value: str | None, language: str) -> str:
    """Return a quarantined row's severity in `language`; an unknown one as is."""
    return _word(SEVERITIES, value or "", language)


def _value(name: str, value: str, language: str) -> str:
    if name == "inner":
        return localize(value, language)
    if name == "items":
        joiner = "; " if language == "en" else "；"
        return joiner.join(_say(item, FIELD_ERRORS, language) for item in value.split("; "))
    if name in ReasonWord.__members__:
        return _word(WORDS[ReasonWord(name)], value, language)
    return value


def _word(words: dict[str, tuple[str, str]], value: str, language: str) -> str:
    # `value` in `language` when `words` (zh, en) has it; else as it is.
    found = words.get(value)
    return (found[1] if language == "en" else found[0]) if found else value


def _say(text: str, phrases: tuple[Phrase, ...], language: str) -> str:
    # `text` in `language`, its values too, when one of `phrases` says it; else `text` as is.
    found = read(text, phrases)
    if found is None:
        return text
    phrase, values = found
    return phrase.say(language, **{k: _value(k, v, language) for k, v in values.items()})
