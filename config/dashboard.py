"""The [dashboard] settings: where it listens, how it keeps sessions, what an upload may be."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from config.checks import Section, checked_rate, is_http_url


class DashboardSettings(Section):
    """The web dashboard (`lianxin dashboard`): where it listens and how it keeps sessions."""

    host: str = Field(
        default="127.0.0.1",
        description="The address to listen on; 0.0.0.0 to serve others (behind HTTPS).",
    )
    port: int = Field(default=8300, ge=1, le=65535, description="The port to listen on.")
    secret_key: str = Field(
        default="",
        description="The key that signs session cookies; set it from the environment "
        "(LIANXIN_DASHBOARD__SECRET_KEY). Empty: one is made once and kept in "
        "data_dir/dashboard.secret (mode 0600).",
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="A log-in lasts this many hours."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only; turn on when served behind HTTPS.",
    )
    login_rate: str = Field(
        default="30/hour",
        description="Failed log-ins allowed from one address across all user names (against "
        'trying one password on many names), as "N/hour"; names that logged in from that '
        "address before are not held back by it.",
    )
    login_backoff_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="The wait after a name's first failed log-in from an address; each "
        "further failure doubles it. Only failures count, and a success clears them.",
    )
    login_backoff_max_seconds: float = Field(
        default=900.0,
        gt=0,
        le=24 * 3600,
        description="The longest wait between failed log-ins of one name from one address.",
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="The proxies (addresses or networks, like 127.0.0.1 or 10.0.0.0/8) whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed: the audit log and the log-in "
        "pace then see the client the proxy names. Empty: nobody's; the peer's own address "
        "is used.",
    )
    upload_max_rows: int = Field(
        default=50_000,
        ge=1,
        le=1_000_000,
        description="The most records (rows with a value, besides up to 20 title and header "
        "rows) an uploaded table may hold; counted before it is parsed. A larger file is "
        "refused: split it.",
    )
    upload_max_unpacked_mb: int = Field(
        default=200,
        ge=1,
        le=4096,
        description="The most an uploaded .xlsx may unpack to, all its members together, as "
        "its zip directory declares; checked before it is parsed.",
    )
    upload_max_ratio: int = Field(
        default=200,
        ge=10,
        description="The highest compression ratio (unpacked / packed) of an .xlsx member of a "
        "MiB or more: spreadsheets pack 5 to 50 times, zip bombs a thousand.",
    )
    upload_max_members: int = Field(
        default=1000, ge=10, description="The most files an uploaded .xlsx may hold inside."
    )
    upload_parse_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long reading one upload may take in its worker process before the "
        "process is killed and the upload refused.",
    )
    upload_parse_memory_mb: int = Field(
        default=1024,
        ge=0,
        description="The address space (RLIMIT_AS) of the process that reads an upload; "
        "0: no cap (Windows has none).",
    )
    upload_parsers: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Uploads read at once, each in a process of its own; more wait their turn "
        "(up to upload_parse_seconds), and each person has one at a time.",
    )
    prefect_ui_url: str = Field(
        default="",
        description="The Prefect UI the runs page links each flow run into, e.g. "
        "http://127.0.0.1:4200. Empty: Prefect's own PREFECT_UI_URL, or PREFECT_API_URL "
        "without /api, when set; otherwise runs are listed without links.",
    )

    public_url: str = Field(
        default="",
        description="The dashboard's address as cadres' phones reach it, e.g. "
        "https://lianxin.example.gov.cn; personal digests link to its phone page (/m/…). "
        "Empty: http://host:port.",
    )
    link_grace_hours: int = Field(
        default=72,
        ge=0,
        le=24 * 60,
        description="A digest's phone-page link works until the end of its check-in window "
        "(the due day, Asia/Shanghai), or its sending when later (an overdue digest), plus "
        "this many hours; then it answers 410.",
    )
    link_rate: str = Field(
        default="30/minute",
        description="Requests one phone-page link, and one address, may make on the phone "
        'page, as "N/minute"; more answer 429 and record nothing.',
    )
    link_full_phone: bool = Field(
        default=True,
        description="The phone page (reached only through the cadre's own digest link) shows "
        "workers' numbers in full with a tel: link; false: masked, and no tel: link.",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str) -> str:
        if value and not is_http_url(value.strip()):
            raise ValueError(
                f"dashboard.public_url = {value!r}: write the dashboard's http(s) address as "
                "phones reach it, like https://lianxin.example.gov.cn, or leave it empty"
            )
        return value.strip().rstrip("/")

    @field_validator("prefect_ui_url")
    @classmethod
    def _ui_url_is_http(cls, value: str) -> str:
        if value and not is_http_url(value.strip()):
            raise ValueError(
                f"dashboard.prefect_ui_url = {value!r}: write the Prefect UI's http(s) address, "
                "like http://127.0.0.1:4200, or leave it empty"
            )
        return value.strip().rstrip("/")

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"dashboard.forwarded_allow_ips: {item!r} is not an address or network; "
                    'list your proxies, like ["127.0.0.1", "10.0.0.0/8"] (never "*")'
                ) from exc
        return [item.strip() for item in value]

    @field_validator("login_rate")
    @classmethod
    def _rate_parses(cls, value: str) -> str:
        return checked_rate(value, "dashboard.login_rate", "10/minute")

    @field_validator("link_rate")
    @classmethod
    def _link_rate_parses(cls, value: str) -> str:
        return checked_rate(value, "dashboard.link_rate", "30/minute")
