"""The dashboard's words, in Chinese (the default) and English, and how a request picks one.

`?lang=en` (or `?lang=zh`) switches and is remembered in the `lang` cookie. A key missing from
the catalogue shows as itself, so a page never breaks on a word not yet translated.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "lang"

CATALOGUE: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "app.title": ("连心 · 就业帮扶监测", "Lianxin · employment follow-up"),
    "nav.overview": ("总览", "Overview"),
    "nav.calls": ("回访", "Calls"),
    "nav.cadres": ("干部", "Cadres"),
    "nav.problems": ("问题", "Problems"),
    "nav.sources": ("数据源", "Sources"),
    "nav.runs": ("运行", "Runs"),
    "nav.data": ("导入导出", "Import / export"),
    "nav.menu": ("菜单", "Menu"),
    "lang.switch": ("English", "中文"),
    # The search box in every page's header (the page itself: pages/search.py).
    "search.label": ("查找", "Find"),
    "search.placeholder": ("姓名 / 尾号 / 户主", "Name / phone tail / household"),
    "search.submit": ("查找", "Find"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.too_many": ("尝试次数过多，请稍后再试", "Too many attempts; try again in a minute"),
    "logout": ("退出", "Log out"),
    "role.cadre": ("包户干部", "Assigned cadre"),
    "role.village_lead": ("村干部", "Village lead"),
    "role.town_lead": ("乡镇干部", "Town lead"),
    "role.county": ("县乡村振兴局", "County bureau"),
    "role.supervision": ("督查组", "Supervision group"),
    "role.admin": ("管理员", "Administrator"),
    "overview.title": ("总览", "Overview"),
    "overview.scope": ("查看范围", "Your area"),
    "overview.scope_all": ("全部", "Everything"),
    "overview.workers": ("外出务工人员", "Migrant workers"),
    "overview.open": ("本月待回访", "Calls owed"),
    "overview.overdue": ("已逾期", "Overdue"),
    "overview.problems_open": ("未销号问题", "Open problems"),
    "overview.period": ("月份", "Month"),
    "overview.due": ("应回访", "Calls due"),
    "overview.done": ("已回访", "Called"),
    "overview.rate": ("回访率 %", "Called %"),
    "overview.late": ("逾期", "Late"),
    "overview.problems_due_soon": ("7天内到期的问题", "Problems due in 7 days"),
    "overview.problems_overdue": ("超期未整改的问题", "Problems past deadline"),
    "overview.risk_flags": ("防返贫监测预警", "Income-risk flags"),
    "overview.chart_places": ("本月回访率（按地区）", "Called this month, by place"),
    "overview.chart_trend": ("近六个月回访率", "Called, last six months"),
    "overview.places": ("按地区", "By place"),
    "overview.trail": ("层级", "Drill-down"),
    "overview.worst": ("逾期最多的村", "Villages with most late calls"),
    "place.county": ("县", "County"),
    "place.town": ("乡镇", "Town"),
    "place.village": ("村", "Village"),
    # A check-in call's status, on the calls page and a worker's follow-ups alike.
    "calls.status": ("状态", "Status"),
    "calls.status.open": ("待回访", "Open"),
    "calls.status.overdue": ("已逾期", "Overdue"),
    "calls.status.escalated": ("已上报", "Escalated"),
    "calls.status.done": ("已回访", "Called"),
    "calls.status.waived": ("已豁免", "Waived"),
    "worker.name": ("姓名", "Name"),
    "worker.village": ("村", "Village"),
    "worker.phone": ("电话", "Phone"),
    "error.forbidden": ("无权访问", "Not allowed"),
    "error.not_found": ("未找到", "Not found"),
    "error.too_large": (
        "提交的内容过大（上限 20 MB）",
        "What was sent is too large (20 MB at most)",
    ),
    "error.csrf": (
        "表单已过期，请返回刷新后重试",
        "The form expired: go back, reload and try again",
    ),
    # The phone page (/m/<token>) a personal digest links to, and the read receipts.
    "phone.title": ("本月电话回访", "This month's calls"),
    "phone.intro": ("{name}同志：以下 {n} 人本月尚未回访。", "{name}: {n} still to call."),
    "phone.none": ("本条提醒中的人员都已回访，谢谢！", "Everyone in this reminder is called."),
    "phone.call": ("拨打", "Call"),
    "phone.days_left": ("剩 {n} 天", "{n} days left"),
    "phone.overdue": ("逾期 {n} 天", "{n} days overdue"),
    "phone.last_call": ("上次回访", "Last call"),
    "phone.never": ("无", "none"),
    "phone.last_income": ("上次收入（元）", "Last income (yuan)"),
    "phone.reached": ("接通", "Reached"),
    "phone.unreached": ("未接通", "Not reached"),
    "phone.status": ("务工状态", "Work status"),
    "phone.status.none": ("（不变）", "(unchanged)"),
    "phone.status.employed": ("在岗务工", "Employed"),
    "phone.status.looking": ("正在找工作", "Looking for work"),
    "phone.status.returned": ("已返乡", "Returned home"),
    "phone.status.other": ("其他", "Other"),
    "phone.income": ("上月收入（元）", "Last month's income (yuan)"),
    "phone.demands": ("诉求", "Demands"),
    "phone.note": ("备注", "Note"),
    "phone.save": ("保存", "Save"),
    "phone.saved": ("已保存：{name}", "Saved: {name}"),
    "phone.saving": ("正在保存……", "Saving…"),
    "phone.offline": (
        "网络不好，未能保存。填写的内容已留在本机，网络恢复后再点“保存”。",
        "No connection: not saved. What you typed is kept on this phone; tap Save again later.",
    ),
    "phone.restored": ("已恢复上次未保存的内容。", "Restored what was not saved last time."),
    "phone.expires": ("链接有效期至", "This link works until"),
    "phone.bad_input": ("请检查填写的内容。", "Please check what you typed."),
    "phone.refused.altered": ("链接无效。", "This link is not valid."),
    "phone.refused.unknown": ("链接无效。", "This link is not valid."),
    "phone.refused.revoked": ("链接已被收回。", "This link was revoked."),
    "phone.refused.expired": ("链接已过期。", "This link has expired."),
    "phone.refused.scope": ("此人不在本条提醒中。", "This worker is not in this reminder."),
    "phone.refused.closed": ("此人本月已回访。", "This call is recorded already."),
    "phone.refused.csrf": ("表单已失效，请刷新页面。", "The form expired: reload the page."),
    "phone.refused.pace": ("操作太频繁，请稍后再试。", "Too many requests: try in a minute."),
    "read.read": ("已读", "Read"),
    "read.unread": ("未读", "Unread"),
    "read.none": ("—", "—"),
    "read.column": ("提醒已读", "Digest read"),
}


def add_words(words: dict[str, tuple[str, str]]) -> None:
    """Add a page's words (key: (zh, en)) to the catalogue; a key already there is an error,
    so two pages never quietly overwrite each other's words."""
    taken = words.keys() & CATALOGUE.keys()
    if taken:
        raise ValueError(f"words defined twice: {sorted(taken)}")
    CATALOGUE.update(words)


def translate(key: str, language: str) -> str:
    """Return the words for `key` in `language` (zh or en); the key itself when unknown."""
    words = CATALOGUE.get(key)
    if words is None:
        return key
    return words[1] if language == "en" else words[0]


def translator(language: str) -> Callable[[str], str]:
    """Return `_` for templates: `{{ _("nav.overview") }}`."""
    return lambda key: translate(key, language)


def requested_language(request: Request) -> str | None:
    """Return the language asked for in this request's `?lang=`, if it is one we speak."""
    asked = request.query_params.get("lang")
    return asked if asked in LANGUAGES else None


def language_of(request: Request) -> str:
    """Return the page language: `?lang=`, the `lang` cookie, the account's, then Chinese."""
    asked = requested_language(request)
    if asked:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    account = getattr(getattr(request.state, "viewer", None), "language", None)
    return account if account in LANGUAGES else DEFAULT_LANGUAGE
