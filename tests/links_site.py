"""A store for the phone-page tests: 李建国 owes two November calls (张伟 and 刘洋), 周敏 one
(王磊), as of the 12th; digests delivered to the outbox (and, when asked, a group bot)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from config.settings import NotifySettings, RulesSettings, Settings
from lianxin.dashboard import auth
from lianxin.dashboard.scope import Role
from lianxin.notify.deliver import DeliveryStats, deliver
from lianxin.notify.digests import build_checkin_digests
from lianxin.notify.links import prepare
from lianxin.records import ObligationKind
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance
from lianxin.store.writes import save_results
from personas import FETCHED, SHANGHAI, VILLAGE, checkins, roster

AS_OF = date(2026, 11, 12)
NOON = datetime(2026, 11, 12, 12, 0, tzinfo=SHANGHAI)
LINK = re.compile(r"http://\S+/m/([A-Za-z]+\.[A-Za-z]+)")
LEAD = ("wangfang", "lead-Passw0rd-青山")


@dataclass
class LinkSite:
    engine: Engine
    settings: Settings

    def send(self, now: datetime, as_of: date = AS_OF) -> DeliveryStats:
        """Build the check-in digests as of `as_of` and deliver them as the remind flow does."""
        with self.engine.connect() as conn:
            digests = build_checkin_digests(conn, as_of, self.settings.rules)
        planned = prepare(self.engine, digests, self.settings, now)
        return deliver(self.engine, planned, self.settings.notify, now, sleep=lambda _s: None)

    def outbox_tokens(self) -> dict[str, str]:
        """Return the token of each outbox message that carries one, by the file's name."""
        found = {}
        for path in sorted(Path(self.settings.notify.outbox_dir).rglob("*")):
            if path.is_file():
                match = LINK.search(path.read_text(encoding="utf-8"))
                if match:
                    found[path.name] = match.group(1)
        return found

    def token_of(self, cadre: str) -> str:
        """Return the token of `cadre`'s digest, read from the outbox as a cadre would."""
        for path in sorted(Path(self.settings.notify.outbox_dir).rglob("*")):
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            match = LINK.search(text)
            if match and cadre in text:
                return match.group(1)
        raise AssertionError(f"no outbox message for {cadre} carries a link")

    def _november(self, name: str) -> tuple[int, str]:
        o, w = t.obligations, t.workers
        with self.engine.connect() as conn:
            found = conn.execute(
                select(o.c.id, o.c.status)
                .join(w, w.c.key == o.c.subject)
                .where(
                    w.c.name == name,
                    o.c.kind == ObligationKind.monthly_checkin.value,
                    o.c.period == "2026-11",
                )
            ).one()
        return int(found[0]), str(found[1])

    def status(self, name: str) -> str:
        """Return the status of `name`'s November call."""
        return self._november(name)[1]

    def obligation(self, name: str) -> int:
        """Return the id of `name`'s November call."""
        return self._november(name)[0]

    def calls(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(t.checkins)
                    .where(t.checkins.c.source_url.like("manual:%"))
                ).scalar_one()
            )

    def audit(self, action: str) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
        a = t.audit_log
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.c.username, a.c.target, a.c.detail).where(a.c.action == action)
            )
            return [(r[0], r[1], r[2]) for r in rows]


def build_link_site(
    engine: Engine, folder: Path, notify: NotifySettings | None = None, **dashboard: object
) -> LinkSite:
    """The personas with no November calls yet, evaluated on the 12th (all overdue)."""
    notify = notify or NotifySettings(outbox_dir=folder / "outbox")
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        data_dir=folder,
        notify=notify,
        dashboard={"public_url": "http://127.0.0.1:8300", **dashboard},  # type: ignore[arg-type]
    )
    save_results(engine, [roster(), checkins("2026-09", {"张伟": date(2026, 9, 4)})], FETCHED)
    evaluate(engine, AS_OF, RulesSettings(), FETCHED)
    refresh_compliance(engine, None, FETCHED)
    with engine.begin() as conn:
        auth.create_user(
            conn, LEAD[0], LEAD[1], Role.village_lead, display_name="王芳", village=VILLAGE
        )
    return LinkSite(engine, settings)
