"""Delivering a :class:`~dashboard.core.notice.Notice`: by e-mail (SMTP) and by webhook (JSON POST).

Each call either delivers or raises :class:`DeliveryError`, whose ``transient`` says whether another
attempt could succeed (the server unreachable or busy: an SMTP 4xx, an HTTP 5xx or 429, a time-out)
or not (bad configuration, a refused address or login, an SMTP 5xx, an HTTP 4xx or redirect), so
the alert jobs retry only what is worth it. Addresses and URLs are checked before anything
connects; a recipient is one address, never a header (no line breaks).
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from http.client import HTTPException

from dashboard.core.destinations import WEBHOOK_URL_MAX, check_webhook_url
from dashboard.core.notice import Notice
from dashboard.core.settings import Settings

__all__ = [
    "WEBHOOK_URL_MAX",
    "DeliveryError",
    "check_webhook_url",
    "email_enabled",
    "post_webhook",
    "send_email",
]

_USER_AGENT = "Spendlens"


class DeliveryError(Exception):
    """A notice was not delivered; ``transient``: another attempt later may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def email_enabled(settings: Settings) -> bool:
    """Whether e-mail can be sent at all (``SMTP_HOST`` set); webhooks work either way."""
    return bool(settings.smtp_host)


def send_email(
    settings: Settings,
    notice: Notice,
    *,
    to: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> str:
    """Send ``notice`` to one address as text and HTML alternatives, with ``attachments``
    (filename, content, MIME type such as ``application/pdf``); return its Message-ID."""
    if not email_enabled(settings):
        raise DeliveryError("E-mail delivery is off: SMTP_HOST is not set", transient=False)
    recipient = _recipient(to)
    sender = parseaddr(settings.alert_sender)[1]
    message = _message(settings, notice, to=to, sender=sender, attachments=attachments)
    try:
        with _connect(settings) as smtp:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"The SMTP server refused the address {recipient} ({', '.join(map(str, codes))})",
            transient=all(400 <= code < 500 for code in codes),
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"The SMTP server refused the login ({exc.smtp_code}): check SMTP_USER and "
            "SMTP_PASSWORD",
            transient=400 <= exc.smtp_code < 500,
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"The SMTP server answered {exc.smtp_code}: {_said(exc.smtp_error)}",
            transient=400 <= exc.smtp_code < 500,
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(
            f"The SMTP server does not support what SMTP_TLS or SMTP_USER ask for: {exc}",
            transient=False,
        ) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise DeliveryError(
            f"The SMTP server closed the connection: {exc}", transient=True
        ) from exc
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"Sending the e-mail failed: {exc}", transient=False) from exc
    except OSError as exc:
        raise _network_error(exc, what=f"the SMTP server {settings.smtp_host}") from exc
    return str(message["Message-ID"])


def post_webhook(settings: Settings, notice: Notice, *, url: str, slack: bool = False) -> int:
    """POST ``notice`` as JSON (Slack's incoming-webhook format with ``slack``) to ``url`` and
    return the 2xx status. Redirects are not followed (the JSON body would be resent somewhere the
    user did not choose): a 3xx is a permanent :class:`DeliveryError`."""
    problem = check_webhook_url(url)
    if problem:
        raise DeliveryError(problem, transient=False)
    body = json.dumps(notice.webhook_payload(slack=slack), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": _USER_AGENT},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=settings.webhook_timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _http_error(exc.code) from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, OSError):
            raise _network_error(reason, what="the webhook") from exc
        raise DeliveryError(f"The webhook could not be reached: {reason}", transient=True) from exc
    except HTTPException as exc:
        raise DeliveryError(f"The webhook sent a broken answer: {exc!r}", transient=True) from exc
    except OSError as exc:
        raise _network_error(exc, what="the webhook") from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


def _recipient(to: str) -> str:
    """The one address in ``to``; a list, a header injection or a non-address is refused."""
    if any(c in to for c in "\r\n\0"):
        raise DeliveryError("An e-mail address contains no line breaks", transient=False)
    found = getaddresses([to])
    _, address = parseaddr(to)
    local, at, domain = address.rpartition("@")
    if len(found) != 1 or not at or not local or not domain or " " in address:
        raise DeliveryError(f"Not one e-mail address: {to!r}", transient=False)
    return address


def _message(
    settings: Settings,
    notice: Notice,
    *,
    to: str,
    sender: str,
    attachments: Sequence[tuple[str, bytes, str]],
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.alert_sender
    message["To"] = to
    # A subject made from user data (a category name) must stay one header line.
    message["Subject"] = " ".join(notice.subject.split())
    message["Date"] = formatdate(usegmt=True)
    # The sender's domain, not socket.getfqdn(), which can wait seconds on DNS.
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(notice.text())
    message.add_alternative(notice.html(), subtype="html")
    for filename, content, mime in attachments:
        maintype, slash, subtype = mime.partition("/")
        if not slash or not maintype or not subtype:
            raise DeliveryError(f"Not a MIME type: {mime!r}", transient=False)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port = settings.smtp_host or "", settings.smtp_port
    timeout = settings.webhook_timeout_s
    if settings.smtp_tls == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if settings.smtp_tls == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp


def _http_error(status: int) -> DeliveryError:
    if 300 <= status < 400:
        return DeliveryError(
            f"The webhook answered {status} (a redirect, not followed): use the URL it points to",
            transient=False,
        )
    transient = status >= 500 or status in (408, 429)
    return DeliveryError(f"The webhook answered {status}", transient=transient)


def _network_error(exc: OSError, *, what: str) -> DeliveryError:
    """Unreachable or slow is worth a retry; a certificate or TLS mismatch and an unknown host
    are configuration to fix."""
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(f"TLS with {what} failed: {exc}", transient=False)
    if isinstance(exc, socket.gaierror) and exc.errno != socket.EAI_AGAIN:
        return DeliveryError(f"The host of {what} is unknown: {exc}", transient=False)
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"No answer from {what} in time", transient=True)
    return DeliveryError(f"Could not reach {what}: {exc}", transient=True)


def _said(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:200]
