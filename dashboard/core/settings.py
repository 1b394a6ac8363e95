"""Spendlens settings: one typed object read from environment variables (and Streamlit secrets).

Defaults make the embedded mode work with nothing configured. Every variable read here is listed in
the README's configuration table (a test checks it). An invalid value stops start-up with one message
naming the variable and what it accepts.

The environment is safe by default wherever real data can be: with ``MONGODB_URI`` set,
``SPENDLENS_ENV`` defaults to ``production`` (its own cookie key required, no demo accounts listed);
only the embedded store defaults to ``development``. :func:`startup_check` adds the rule that needs
the store: the public demo cookie key only ever signs cookies for the demo data set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dashboard.core.periods import check_zone

__all__ = [
    "DEMO_COOKIE_KEY",
    "READ_PREFERENCES",
    "SMTP_TLS_MODES",
    "STORE_KINDS",
    "VARIABLES",
    "Settings",
    "SettingsError",
    "StartupCheck",
    "describe_uri",
    "load_settings",
    "startup_check",
]

#: Public, committed: good enough for a laptop demo, refused in production.
DEMO_COOKIE_KEY = "spendlens-demo-cookie-key-not-secret"
READ_PREFERENCES = ("primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest")
ENVIRONMENTS = ("development", "production")
QUEUES = ("auto", "redis", "sqlite", "immediate")
SMTP_TLS_MODES = ("none", "starttls", "ssl")
#: What a store holds, as far as the start-up check cares: nothing at all, the complete demo data
#: set, a demo seed that did not finish, or anything else (data that may be real).
STORE_KINDS = ("empty", "demo", "incomplete", "other")


class SettingsError(ValueError):
    """A setting has a value Spendlens cannot use; the message names it and what it accepts."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, already validated."""

    mongodb_uri: str | None = None
    mongodb_db: str = "expense_tracker"
    data_dir: Path = Path("data")
    read_preference: str = "secondaryPreferred"
    max_time_ms: int = 15_000
    server_selection_timeout_ms: int = 3_000
    max_pool_size: int = 50
    redis_url: str | None = None
    cache_ttl_statistics: int = 1_800
    cache_ttl_profile: int = 3_600
    cache_ttl_recent: int = 300
    env: str = "development"
    cookie_name: str = "spendlens_auth"
    cookie_key: str | None = None
    cookie_expiry_days: float = 1.0
    allow_registration: bool = True
    login_max_attempts: int = 5
    login_window_minutes: int = 15
    report_timezone: str = "UTC"
    extra: Mapping[str, Any] = field(default_factory=dict)
    login_client_max_attempts: int = 20
    login_username_soft_limit: int = 10
    trusted_proxies: int = 0
    queue: str = "auto"
    worker_threads: int = 2
    in_app_worker: bool | None = None
    import_max_mb: float = 20.0
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    alert_sender: str = "Spendlens <spendlens@localhost>"
    base_url: str = "http://localhost:8501"
    webhook_timeout_s: float = 10.0

    @property
    def effective_cookie_key(self) -> str:
        """The cookie signing key; the public demo key only outside production."""
        return self.cookie_key or DEMO_COOKIE_KEY

    @property
    def store_uri(self) -> str:
        """The URI :func:`dashboard.store.connect` opens: MongoDB if configured, else embedded."""
        if self.mongodb_uri:
            return self.mongodb_uri
        return f"embedded://{self.data_dir.resolve()}"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_embedded(self) -> bool:
        return not self.mongodb_uri

    @property
    def queue_backend(self) -> str:
        """``redis``, ``sqlite`` or ``immediate``: ``auto`` is Redis when ``REDIS_URL`` is set."""
        if self.queue != "auto":
            return self.queue
        return "redis" if self.redis_url else "sqlite"

    @property
    def runs_worker_in_app(self) -> bool:
        """Whether the app process runs the job worker itself: always with the embedded engine
        (its data directory has one owner), by default not with MongoDB (``make worker``)."""
        if self.uses_embedded:
            return True
        return bool(self.in_app_worker)


@dataclass(frozen=True)
class _Var:
    name: str
    attr: str
    parse: Callable[[str], Any]
    accepted: str
    description: str
    secret: bool = False


def _mongo_uri(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("mongodb", "mongodb+srv") or not parts.netloc:
        raise ValueError
    if parts.scheme == "mongodb+srv" and ("," in parts.netloc or parts.port):
        raise ValueError
    return value


def _redis_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("redis", "rediss", "unix") or (
        parts.scheme != "unix" and not parts.hostname
    ):
        raise ValueError
    return value


def _positive_int(value: str) -> int:
    number = int(value.strip())
    if number <= 0:
        raise ValueError
    return number


def _non_negative_int(value: str) -> int:
    number = int(value.strip())
    if number < 0:
        raise ValueError
    return number


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        for option in options:
            if value.strip().lower() == option.lower():
                return option
        raise ValueError

    return parse


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _positive_float(value: str) -> float:
    number = float(value.strip())
    if not number > 0 or number != number:
        raise ValueError
    return number


def _port(value: str) -> int:
    number = int(value.strip())
    if not 0 < number < 65_536:
        raise ValueError
    return number


def _host(value: str) -> str:
    if any(c.isspace() or c in "/@" for c in value):
        raise ValueError
    return value


def _sender(value: str) -> str:
    """A sender address: one mailbox with an ``@`` and no line breaks (they would add headers)."""
    _, address = parseaddr(value)
    if "@" not in address or any(c in value for c in "\r\n"):
        raise ValueError
    return value


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError
    return value.rstrip("/")


def _cookie_name(value: str) -> str:
    if not value or not all(c.isalnum() or c in "_-" for c in value):
        raise ValueError
    return value


def _cookie_key(value: str) -> str:
    if len(value) < 32:
        raise ValueError
    return value


def _db_name(value: str) -> str:
    if not value or any(c in value for c in '/\\. "$*<>:|?') or len(value) > 63:
        raise ValueError
    return value


VARIABLES: tuple[_Var, ...] = (
    _Var("MONGODB_URI", "mongodb_uri", _mongo_uri, "a mongodb:// or mongodb+srv:// URI",
         "Production database. Unset: the embedded engine in SPENDLENS_DATA_DIR.", secret=True),
    _Var("MONGODB_DB", "mongodb_db", _db_name, "a database name (no / \\ . space \" $)",
         "Database holding the Expense Tracker's collections."),
    _Var("SPENDLENS_DATA_DIR", "data_dir", lambda v: Path(v).expanduser(), "a directory path",
         "Where the embedded engine keeps its files (when MONGODB_URI is unset)."),
    _Var("MONGODB_READ_PREFERENCE", "read_preference", _choice(READ_PREFERENCES),
         ", ".join(READ_PREFERENCES), "Read preference for dashboard reads (replica sets)."),
    _Var("MONGODB_MAX_TIME_MS", "max_time_ms", _positive_int, "a positive whole number of ms",
         "Time limit of every database operation (maxTimeMS); longer ones are stopped."),
    _Var("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "server_selection_timeout_ms", _positive_int,
         "a positive whole number of ms", "How long to wait for a reachable MongoDB server."),
    _Var("MONGODB_MAX_POOL_SIZE", "max_pool_size", _positive_int, "a positive whole number",
         "Connections per app process."),
    _Var("REDIS_URL", "redis_url", _redis_url, "a redis:// or rediss:// URL",
         "Shared result cache. Unset: an in-process cache.", secret=True),
    _Var("CACHE_TTL_STATISTICS", "cache_ttl_statistics", _non_negative_int,
         "a whole number of seconds, 0 or more", "Cache lifetime of statistics (30 minutes)."),
    _Var("CACHE_TTL_PROFILE", "cache_ttl_profile", _non_negative_int,
         "a whole number of seconds, 0 or more", "Cache lifetime of user profiles (1 hour)."),
    _Var("CACHE_TTL_RECENT", "cache_ttl_recent", _non_negative_int,
         "a whole number of seconds, 0 or more", "Cache lifetime of recent-activity queries."),
    _Var("SPENDLENS_ENV", "env", _choice(ENVIRONMENTS), ", ".join(ENVIRONMENTS),
         "Default: production when MONGODB_URI is set, else development (demo data only)."),
    _Var("AUTH_COOKIE_NAME", "cookie_name", _cookie_name, "letters, digits, _ and -",
         "Name of the login cookie."),
    _Var("AUTH_COOKIE_KEY", "cookie_key", _cookie_key, "a random string of 32 characters or more",
         "Signs login cookies. Required in production; identical on every replica.", secret=True),
    _Var("AUTH_COOKIE_EXPIRY_DAYS", "cookie_expiry_days", _positive_float,
         "a number of days above 0", "How long a login is remembered."),
    _Var("SPENDLENS_ALLOW_REGISTRATION", "allow_registration", _boolean, "true or false",
         "Whether people can create their own accounts."),
    _Var("LOGIN_MAX_ATTEMPTS", "login_max_attempts", _positive_int, "a positive whole number",
         "Failed logins allowed per username and client in the window (scaling notes: 5)."),
    _Var("LOGIN_WINDOW_MINUTES", "login_window_minutes", _positive_int, "a positive whole number",
         "The login throttling window in minutes (scaling notes: 15)."),
    _Var("SPENDLENS_REPORT_TIMEZONE", "report_timezone", check_zone,
         "an IANA time zone (Europe/Paris, UTC)",
         "The time zone finance reports read their periods in."),
    _Var("LOGIN_CLIENT_MAX_ATTEMPTS", "login_client_max_attempts", _positive_int,
         "a positive whole number",
         "Failed logins one client address may make across all usernames in the window."),
    _Var("LOGIN_USERNAME_SOFT_LIMIT", "login_username_soft_limit", _positive_int,
         "a positive whole number",
         "Failed logins on one username (all clients) before each try waits, doubling to 60 s."),
    _Var("SPENDLENS_QUEUE", "queue", _choice(QUEUES), ", ".join(QUEUES),
         "Job queue: auto (Redis when REDIS_URL is set, else SQLite in SPENDLENS_DATA_DIR); "
         "immediate runs each job at once in the process that submits it (tests)."),
    _Var("SPENDLENS_WORKER_THREADS", "worker_threads", _positive_int, "a positive whole number",
         "Jobs one worker process runs at the same time."),
    _Var("SPENDLENS_IN_APP_WORKER", "in_app_worker", _boolean, "true or false",
         "Run the job worker inside the app process. Always on with the embedded engine; with "
         "MongoDB off by default: run `python -m dashboard worker`."),
    _Var("IMPORT_MAX_MB", "import_max_mb", _positive_float, "a number of megabytes above 0",
         "Largest statement file a user may upload for import."),
    _Var("SPENDLENS_TRUSTED_PROXIES", "trusted_proxies", _non_negative_int,
         "a whole number, 0 or more",
         "Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none)."),
    _Var("SMTP_HOST", "smtp_host", _host, "a host name or address",
         "SMTP server for alert e-mails. Unset: e-mail delivery is off (webhooks still work)."),
    _Var("SMTP_PORT", "smtp_port", _port, "a port number (1-65535)",
         "Port of the SMTP server (587 for STARTTLS, 465 for SSL, 25 for none)."),
    _Var("SMTP_TLS", "smtp_tls", _choice(SMTP_TLS_MODES), ", ".join(SMTP_TLS_MODES),
         "How the SMTP connection is encrypted: none, STARTTLS after connecting, or SSL from the "
         "start."),
    _Var("SMTP_USER", "smtp_user", lambda v: v, "a user name",
         "SMTP login. Unset: no login."),
    _Var("SMTP_PASSWORD", "smtp_password", lambda v: v, "a password",
         "SMTP password (with SMTP_USER).", secret=True),
    _Var("ALERT_SENDER", "alert_sender", _sender,
         "an e-mail address, optionally with a name (Spendlens <alerts@example.com>)",
         "From address of alert and report e-mails."),
    _Var("SPENDLENS_BASE_URL", "base_url", _base_url, "an http:// or https:// URL",
         "Address of the app as users reach it: links in alerts and reports point there."),
    _Var("WEBHOOK_TIMEOUT_S", "webhook_timeout_s", _positive_float, "a number of seconds above 0",
         "Time limit of one webhook call or SMTP connection."),
)  # fmt: skip


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    secrets: Mapping[str, Any] | None = None,
    signs_cookies: bool = True,
) -> Settings:
    """Read and validate every setting; raise :class:`SettingsError` naming each bad variable.

    Secrets (``MONGODB_URI``, ``REDIS_URL``) may also come from Streamlit's ``secrets.toml``; the
    environment wins when both are set. ``SPENDLENS_ENV`` unset means ``production`` when a
    ``MONGODB_URI`` is configured (real data can be there) and ``development`` otherwise.
    Production needs its own ``AUTH_COOKIE_KEY``; ``signs_cookies=False`` (the command line, which
    signs no login cookie) skips that requirement and nothing else.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for var in VARIABLES:
        raw = environ.get(var.name)
        if raw is None and var.secret and secrets is not None and var.name in secrets:
            raw = str(secrets[var.name])
        if raw is None or raw.strip() == "":
            continue
        try:
            values[var.attr] = var.parse(raw.strip())
        except (ValueError, TypeError):
            shown = "(hidden)" if var.secret else repr(raw)
            problems.append(f"{var.name}={shown} is not valid: expected {var.accepted}")
    env_given = bool((environ.get("SPENDLENS_ENV") or "").strip())
    implied = not env_given and "mongodb_uri" in values
    if "env" not in values and not env_given:
        values["env"] = "production" if "mongodb_uri" in values else "development"
    if signs_cookies and values.get("env") == "production":
        key = values.get("cookie_key")
        if key is None:
            why = (
                " (production is the default because MONGODB_URI is set; SPENDLENS_ENV=development "
                "asks for the demo mode explicitly)"
                if implied
                else ""
            )
            problems.append(
                "AUTH_COOKIE_KEY is not set: production needs its own random key of 32 characters "
                "or more (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                + why
            )
        elif key == DEMO_COOKIE_KEY:
            problems.append("AUTH_COOKIE_KEY is the public demo key: production needs its own key")
    if problems:
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(problems))
    return Settings(**values)


@dataclass(frozen=True)
class StartupCheck:
    """What start-up decided for these settings on this store.

    ``refusal``: why the app must not start (shown instead of any page); ``banner``: a warning shown
    on every page; ``list_demo_accounts``: whether the login page may list the demo accounts.
    """

    refusal: str | None = None
    banner: str | None = None
    list_demo_accounts: bool = False


def startup_check(settings: Settings, *, store_kind: str) -> StartupCheck:
    """The start-up rules that depend on what the store holds (one of :data:`STORE_KINDS`).

    The public demo cookie key lets anyone sign a login cookie for any username, so it may only sign
    cookies for data nobody minds: an empty store or the demo data set. Development on any other
    data with that key refuses to start; with its own ``AUTH_COOKIE_KEY`` it starts with a warning
    on every page. The demo accounts are listed only in development on a finished demo data set.

    >>> startup_check(Settings(), store_kind="other").refusal is not None
    True
    """
    if store_kind not in STORE_KINDS:
        msg = f"store_kind must be one of {', '.join(STORE_KINDS)}, got {store_kind!r}"
        raise ValueError(msg)
    if settings.is_production:
        return StartupCheck()
    if store_kind == "other" and settings.effective_cookie_key == DEMO_COOKIE_KEY:
        return StartupCheck(
            refusal=(
                "SPENDLENS_ENV is development and login cookies are signed with the public demo "
                "key (AUTH_COOKIE_KEY is unset or is that key), but the database holds data that "
                "is not Spendlens' demo data set: anyone could sign in as any of its users. For "
                "real data set SPENDLENS_ENV=production and AUTH_COOKIE_KEY; to develop on this "
                "data set your own AUTH_COOKIE_KEY; for the demo use an empty data directory "
                "(`make run` seeds it)."
            )
        )
    if store_kind == "other":
        banner = (
            "Development mode on data that is not the demo data set: set SPENDLENS_ENV=production "
            "for real data."
        )
    elif store_kind == "incomplete":
        banner = (
            "The demo data set is incomplete (its seed was interrupted): run "
            "`python -m dashboard seed --if-empty` to seed it again."
        )
    else:
        banner = None
    # An interrupted seed may not have written the demo accounts yet: list them once it finished.
    return StartupCheck(banner=banner, list_demo_accounts=store_kind == "demo")


def describe_uri(uri: str) -> str:
    """The URI without its password, for logs and the home page."""
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return uri.replace(parts.netloc, netloc)
    return uri
