"""Settings: defaults, every error message, secrets, and the README's configuration table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.core.settings import (
    DEMO_COOKIE_KEY,
    VARIABLES,
    Settings,
    SettingsError,
    describe_uri,
    load_settings,
    startup_check,
)

ROOT = Path(__file__).resolve().parents[3]


def test_defaults_make_the_embedded_mode_work_with_nothing_set() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.uses_embedded
    assert settings.store_uri == f"embedded://{(Path('data')).resolve()}"
    assert settings.mongodb_db == "expense_tracker"
    assert settings.read_preference == "secondaryPreferred"
    assert settings.max_time_ms == 15_000
    assert settings.cache_ttl_statistics == 30 * 60
    assert settings.cache_ttl_profile == 60 * 60
    assert settings.env == "development"
    assert not settings.is_production


def test_values_are_read_and_typed() -> None:
    settings = load_settings(
        {
            "MONGODB_URI": "mongodb://db1:27017,db2:27017/?replicaSet=rs0",
            "MONGODB_DB": "tracker",
            "MONGODB_READ_PREFERENCE": "nearest",
            "MONGODB_MAX_TIME_MS": "5000",
            "REDIS_URL": "redis://cache:6379/1",
            "CACHE_TTL_STATISTICS": "0",
            "SPENDLENS_ENV": "Production",
            "AUTH_COOKIE_KEY": "k" * 40,
            "SPENDLENS_DATA_DIR": "/srv/spendlens",
        }
    )
    assert settings.store_uri == "mongodb://db1:27017,db2:27017/?replicaSet=rs0"
    assert not settings.uses_embedded
    assert settings.mongodb_db == "tracker"
    assert settings.read_preference == "nearest"
    assert settings.max_time_ms == 5000
    assert settings.redis_url == "redis://cache:6379/1"
    assert settings.cache_ttl_statistics == 0
    assert settings.is_production
    assert settings.data_dir == Path("/srv/spendlens")


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("MONGODB_URI", "postgres://localhost/db", "mongodb:// or mongodb+srv:// URI"),
        ("MONGODB_URI", "mongodb://", "mongodb:// or mongodb+srv:// URI"),
        ("MONGODB_DB", "bad/name", "a database name"),
        ("MONGODB_READ_PREFERENCE", "secondaries", "secondaryPreferred, nearest"),
        ("MONGODB_MAX_TIME_MS", "-1", "a positive whole number of ms"),
        ("MONGODB_MAX_TIME_MS", "fast", "a positive whole number of ms"),
        ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "0", "a positive whole number of ms"),
        ("MONGODB_MAX_POOL_SIZE", "1.5", "a positive whole number"),
        ("REDIS_URL", "http://cache:6379", "a redis:// or rediss:// URL"),
        ("CACHE_TTL_STATISTICS", "-60", "0 or more"),
        ("CACHE_TTL_PROFILE", "an hour", "0 or more"),
        ("CACHE_TTL_RECENT", "-1", "0 or more"),
        ("SPENDLENS_ENV", "staging", "development, production"),
        ("AUTH_COOKIE_KEY", "short", "32 characters or more"),
        ("AUTH_COOKIE_NAME", "bad name;", "letters, digits, _ and -"),
        ("AUTH_COOKIE_EXPIRY_DAYS", "0", "a number of days above 0"),
        ("SPENDLENS_ALLOW_REGISTRATION", "maybe", "true or false"),
        ("LOGIN_MAX_ATTEMPTS", "0", "a positive whole number"),
        ("LOGIN_WINDOW_MINUTES", "-5", "a positive whole number"),
        ("SMTP_HOST", "mail.example.com/x", "a host name or address"),
        ("SMTP_PORT", "70000", "a port number"),
        ("SMTP_TLS", "tls", "none, starttls, ssl"),
        ("ALERT_SENDER", "Spendlens", "an e-mail address"),
        ("ALERT_SENDER", "not an address <nobody>", "an e-mail address"),
        ("SPENDLENS_BASE_URL", "ftp://spendlens.example.com", "an http:// or https:// URL"),
        ("SPENDLENS_BASE_URL", "https://", "an http:// or https:// URL"),
        ("WEBHOOK_TIMEOUT_S", "0", "a number of seconds above 0"),
    ],
)
def test_invalid_value_names_the_variable_and_what_it_accepts(
    name: str, value: str, accepted: str
) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({name: value})
    message = str(info.value)
    assert name in message
    assert accepted in message


def test_delivery_settings_are_read_and_typed() -> None:
    settings = load_settings(
        {
            "SMTP_HOST": "smtp.example.com",
            "SMTP_PORT": "465",
            "SMTP_TLS": "SSL",
            "SMTP_USER": "alerts",
            "ALERT_SENDER": "Spendlens Alerts <alerts@example.com>",
            "SPENDLENS_BASE_URL": "https://spendlens.example.com/app/",
            "WEBHOOK_TIMEOUT_S": "2.5",
        },
        secrets={"SMTP_PASSWORD": "s3cret"},
    )
    assert settings.smtp_host == "smtp.example.com"
    assert settings.smtp_port == 465
    assert settings.smtp_tls == "ssl"
    assert settings.smtp_user == "alerts"
    assert settings.smtp_password == "s3cret"
    assert settings.alert_sender == "Spendlens Alerts <alerts@example.com>"
    assert settings.base_url == "https://spendlens.example.com/app"
    assert settings.webhook_timeout_s == 2.5
    defaults = load_settings({})
    assert defaults.smtp_host is None
    assert (defaults.smtp_port, defaults.smtp_tls) == (587, "starttls")
    assert defaults.base_url == "http://localhost:8501"


def test_every_problem_is_reported_at_once_and_secrets_are_not_echoed() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"SPENDLENS_ENV": "prod", "MONGODB_URI": "http://user:hunter2@db"})
    message = str(info.value)
    assert "SPENDLENS_ENV" in message
    assert "MONGODB_URI" in message
    assert "hunter2" not in message


def test_secrets_fill_in_secret_variables_and_environment_wins() -> None:
    secrets = {
        "MONGODB_URI": "mongodb://from-secrets/",
        "REDIS_URL": "redis://s:6379",
        "AUTH_COOKIE_KEY": "s" * 40,  # a MongoDB means production, which needs its own key
    }
    assert load_settings({}, secrets=secrets).mongodb_uri == "mongodb://from-secrets/"
    assert load_settings({}, secrets=secrets).effective_cookie_key == "s" * 40
    env = {"MONGODB_URI": "mongodb://from-env/"}
    assert load_settings(env, secrets=secrets).mongodb_uri == "mongodb://from-env/"
    assert load_settings(env, secrets=secrets).redis_url == "redis://s:6379"


def test_secrets_do_not_supply_non_secret_settings() -> None:
    assert load_settings({}, secrets={"SPENDLENS_ENV": "production"}).env == "development"


def test_every_variable_is_in_the_readme_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text()
    table_rows = re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE)
    missing = [var.name for var in VARIABLES if var.name not in table_rows]
    assert not missing, f"add these variables to the README's configuration table: {missing}"


def test_every_variable_read_in_the_package_is_a_declared_setting() -> None:
    """A variable read straight from os.environ elsewhere would escape the README check."""
    declared = {var.name for var in VARIABLES} | {"CI"}
    found: set[str] = set()
    for path in (ROOT / "dashboard").rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r"environ(?:\.get)?\(\s*[\"']([A-Z_]+)[\"']", text))
        found |= set(re.findall(r"getenv\(\s*[\"']([A-Z_]+)[\"']", text))
    assert found <= declared, f"undeclared environment variables: {sorted(found - declared)}"


def test_production_refuses_to_start_without_its_own_cookie_key() -> None:
    with pytest.raises(SettingsError, match="AUTH_COOKIE_KEY is not set"):
        load_settings({"SPENDLENS_ENV": "production"})
    with pytest.raises(SettingsError, match="public demo key"):
        load_settings({"SPENDLENS_ENV": "production", "AUTH_COOKIE_KEY": DEMO_COOKIE_KEY})
    key = "x" * 48
    settings = load_settings({"SPENDLENS_ENV": "production", "AUTH_COOKIE_KEY": key})
    assert settings.effective_cookie_key == key


def test_development_uses_the_demo_key_when_none_is_set() -> None:
    assert load_settings({}).effective_cookie_key == DEMO_COOKIE_KEY
    assert load_settings({"SPENDLENS_ALLOW_REGISTRATION": "off"}).allow_registration is False


def test_describe_uri_hides_the_password() -> None:
    assert describe_uri("mongodb://u:p4ss@h:27017/db") == "mongodb://u:***@h:27017/db"
    assert describe_uri("redis://cache:6379") == "redis://cache:6379"


# -- safe defaults wherever real data can be (issue 15 #1) ----------------------------------------

MONGODB = {"MONGODB_URI": "mongodb://db.example:27017/"}
KEY = "operator-key-" + "x" * 40


def test_a_mongodb_uri_means_production_and_its_own_cookie_key() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(MONGODB)
    message = str(info.value)
    assert "AUTH_COOKIE_KEY is not set" in message
    assert "because MONGODB_URI is set" in message
    assert "SPENDLENS_ENV=development" in message  # how to ask for the demo mode
    settings = load_settings({**MONGODB, "AUTH_COOKIE_KEY": KEY})
    assert settings.is_production
    assert settings.effective_cookie_key == KEY  # the demo key never signs a cookie here
    with pytest.raises(SettingsError, match="public demo key"):
        load_settings({**MONGODB, "AUTH_COOKIE_KEY": DEMO_COOKIE_KEY})


def test_development_on_mongodb_only_when_asked_for_explicitly() -> None:
    settings = load_settings({**MONGODB, "SPENDLENS_ENV": "development"})
    assert settings.env == "development"
    assert settings.effective_cookie_key == DEMO_COOKIE_KEY
    assert load_settings({}).env == "development"  # the embedded store: the demo


def test_an_invalid_environment_is_reported_alone() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({**MONGODB, "SPENDLENS_ENV": "staging"})
    assert "SPENDLENS_ENV='staging' is not valid" in str(info.value)
    assert "AUTH_COOKIE_KEY" not in str(info.value)


def test_the_command_line_signs_no_cookie_and_needs_no_key() -> None:
    settings = load_settings(MONGODB, signs_cookies=False)
    assert settings.is_production
    with pytest.raises(SettingsError, match="SPENDLENS_ENV"):
        load_settings({"SPENDLENS_ENV": "prod"}, signs_cookies=False)  # the rest is still checked


DEV, DEV_KEY, PROD = (
    Settings(),
    Settings(cookie_key=KEY),
    Settings(env="production", cookie_key=KEY),
)


@pytest.mark.parametrize(
    ("settings", "kind", "refused", "banner", "listed"),
    [
        # The public key signs cookies only for data nobody minds: nothing, or the demo data set.
        (DEV, "empty", False, None, False),
        (DEV, "demo", False, None, True),
        (DEV, "incomplete", False, "seed was interrupted", False),  # accounts may be missing
        (DEV, "other", True, None, False),
        (Settings(cookie_key=DEMO_COOKIE_KEY), "other", True, None, False),  # named, still public
        # Its own key makes development on other data safe from forged cookies, but loud.
        (DEV_KEY, "other", False, "not the demo data set", False),
        (DEV_KEY, "demo", False, None, True),
        # Production: its key is checked by load_settings; it never lists the demo accounts.
        (PROD, "demo", False, None, False),
        (PROD, "other", False, None, False),
        (PROD, "empty", False, None, False),
    ],
)
def test_startup_check(
    settings: Settings, kind: str, refused: bool, banner: str | None, listed: bool
) -> None:
    check = startup_check(settings, store_kind=kind)
    assert (check.refusal is not None) is refused
    if refused:
        assert "AUTH_COOKIE_KEY" in check.refusal
        assert "SPENDLENS_ENV=production" in check.refusal
    assert (check.banner is None) is (banner is None)
    if banner:
        assert banner in check.banner
    assert check.list_demo_accounts is listed


def test_startup_check_refuses_an_unknown_store_kind() -> None:
    with pytest.raises(ValueError, match="store_kind must be one of"):
        startup_check(DEV, store_kind="real")
