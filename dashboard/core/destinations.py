"""Where a notice may go, checked where the user types it and again before sending: one e-mail
address, or an http(s) webhook URL without credentials."""

from __future__ import annotations

from email.utils import getaddresses, parseaddr
from urllib.parse import urlsplit

__all__ = ["WEBHOOK_URL_MAX", "check_address", "check_webhook_url"]

WEBHOOK_URL_MAX = 2_000


def check_address(to: str) -> str | None:
    """``None`` when ``to`` is one e-mail address; else what is wrong with it."""
    if any(c in to for c in "\r\n\0"):
        return "An e-mail address contains no line breaks."
    if len(to) > 254:
        return "An e-mail address is at most 254 characters."
    found = getaddresses([to])
    _, address = parseaddr(to)
    local, at, domain = address.rpartition("@")
    if len(found) != 1 or not at or not local or not domain or " " in address:
        return f"Not one e-mail address: {to!r}."
    return None


def check_webhook_url(url: str) -> str | None:
    """``None`` when ``url`` can be a webhook; else what is wrong with it, for the form."""
    if len(url) > WEBHOOK_URL_MAX:
        return f"A webhook URL is at most {WEBHOOK_URL_MAX:,} characters."
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "A webhook URL contains no spaces or control characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme.lower() not in ("http", "https"):
        return "A webhook URL starts with http:// or https://."
    if not parts.hostname:
        return "A webhook URL needs a host name."
    if parts.username is not None or parts.password is not None:
        return "A webhook URL must not contain a user name or password."
    return None
