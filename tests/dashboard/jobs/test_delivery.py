"""Delivery against real servers on the loopback: an SMTP server (aiosmtpd) and an HTTP server
in a thread, each stopped by its fixture. Expected values are written by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from dashboard.core.notice import Notice
from dashboard.core.settings import Settings
from dashboard.jobs.delivery import (
    DeliveryError,
    check_webhook_url,
    email_enabled,
    post_webhook,
    send_email,
)
from tests.dashboard.jobs.conftest import PLAIN_AUTH, Hook, Inbox, Smtp, free_port, read_mail

NOTICE = Notice(
    subject="Budget for <script> & co at 92%",
    lines=("You spent €460.00 of €500.00.",),
    link="http://localhost:8501/budgets?period=2025-10&category=Food",
    table=(("Category", "Spent"), ("<script>", "€460.00")),
    severity="warning",
)


def test_an_email_arrives_with_both_alternatives_and_its_attachment(smtp: Smtp) -> None:
    message_id = send_email(
        smtp.settings,
        NOTICE,
        to="Ann Example <ann@example.com>",
        attachments=[("report-2025-10.pdf", b"%PDF-1.7 fake", "application/pdf")],
    )
    [(mail_from, rcpt_tos, raw)] = smtp.inbox.messages
    assert (mail_from, rcpt_tos) == ("alerts@spendlens.example", ["ann@example.com"])
    message = read_mail(raw)
    assert message["From"] == "Spendlens Alerts <alerts@spendlens.example>"
    assert message["To"] == "Ann Example <ann@example.com>"
    assert message["Subject"] == "Budget for <script> & co at 92%"
    assert message["Message-ID"] == message_id
    assert message_id.endswith("@spendlens.example>")
    assert message["Date"]
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == NOTICE.text()
    assert "You spent €460.00 of €500.00." in text.get_content()
    body = html.get_content()
    assert "<script>" not in body
    assert "Budget for &lt;script&gt; &amp; co at 92%</h1>" in body
    assert 'href="http://localhost:8501/budgets?period=2025-10&amp;category=Food"' in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report-2025-10.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.7 fake"


def test_a_subject_with_line_breaks_stays_one_header(smtp: Smtp) -> None:
    notice = Notice("Food\r\nBcc: victim@example.com", ("x",))
    send_email(smtp.settings, notice, to="ann@example.com")
    [(_, rcpt_tos, raw)] = smtp.inbox.messages
    assert rcpt_tos == ["ann@example.com"]
    message = read_mail(raw)
    assert message["Subject"] == "Food Bcc: victim@example.com"
    assert message["Bcc"] is None


@PLAIN_AUTH
def test_login_with_the_right_password_sends(smtp_with_login: Smtp) -> None:
    settings = replace(smtp_with_login.settings, smtp_user="alerts", smtp_password="right-password")
    send_email(settings, NOTICE, to="ann@example.com")
    assert len(smtp_with_login.inbox.messages) == 1


@PLAIN_AUTH
def test_a_wrong_password_is_a_permanent_failure(smtp_with_login: Smtp) -> None:
    settings = replace(smtp_with_login.settings, smtp_user="alerts", smtp_password="wrong")
    with pytest.raises(DeliveryError) as info:
        send_email(settings, NOTICE, to="ann@example.com")
    assert info.value.transient is False
    assert "SMTP_PASSWORD" in str(info.value)
    assert smtp_with_login.inbox.messages == []


class _Refusing(Inbox):
    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return self.reply


@pytest.mark.parametrize(
    ("reply", "transient"),
    [("450 4.2.1 Mailbox busy, try later", True), ("550 5.1.1 No such user", False)],
)
def test_a_refused_recipient_is_retried_only_on_a_4xx(reply: str, transient: bool) -> None:
    port = free_port()
    controller = Controller(_Refusing(reply), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
        with pytest.raises(DeliveryError) as info:
            send_email(settings, NOTICE, to="ann@example.com")
    finally:
        controller.stop()
    assert info.value.transient is transient
    assert reply[:3] in str(info.value)


def test_a_closed_port_is_worth_a_retry() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    with pytest.raises(DeliveryError) as info:
        send_email(settings, NOTICE, to="ann@example.com")
    assert info.value.transient is True


@pytest.mark.parametrize(
    "to", ["a@b\r\nBcc: x@y", "ann@example.com, bob@example.com", "nobody", "@example.com", ""]
)
def test_a_bad_recipient_is_refused_before_connecting(to: str) -> None:
    # Nothing listens on this port: a connection attempt would be a transient error instead.
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    with pytest.raises(DeliveryError) as info:
        send_email(settings, NOTICE, to=to)
    assert info.value.transient is False


def test_email_is_off_without_an_smtp_host() -> None:
    assert not email_enabled(Settings())
    assert email_enabled(Settings(smtp_host="smtp.example.com"))
    with pytest.raises(DeliveryError) as info:
        send_email(Settings(), NOTICE, to="ann@example.com")
    assert info.value.transient is False
    assert "SMTP_HOST" in str(info.value)


# --- webhooks ---------------------------------------------------------------------------------


SETTINGS = Settings(webhook_timeout_s=2.0)


def test_a_webhook_gets_the_notice_as_json(hook: Hook) -> None:
    assert post_webhook(SETTINGS, NOTICE, url=hook.url) == 200
    [(path, headers, body)] = hook.requests
    assert path == "/hooks/abc?x=1"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Spendlens"
    assert json.loads(body) == {
        "subject": "Budget for <script> & co at 92%",
        "text": NOTICE.text(),
        "severity": "warning",
        "link": "http://localhost:8501/budgets?period=2025-10&category=Food",
        "table": [{"Category": "<script>", "Spent": "€460.00"}],
    }


def test_a_slack_webhook_gets_slacks_format(hook: Hook) -> None:
    assert post_webhook(SETTINGS, NOTICE, url=hook.url, slack=True) == 200
    [(_, _, body)] = hook.requests
    payload = json.loads(body)
    assert payload["text"] == (
        "Budget for &lt;script&gt; &amp; co at 92%\n"
        "http://localhost:8501/budgets?period=2025-10&amp;category=Food"
    )
    assert [block["type"] for block in payload["blocks"]] == [
        "header",
        "section",
        "section",
        "actions",
    ]
    assert payload["blocks"][2]["text"]["text"] == (
        "```\nCategory  Spent\n--------  -------\n&lt;script&gt;  €460.00\n```"
    )


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (404, False), (400, False)]
)
def test_a_webhook_error_is_retried_only_when_worth_it(
    hook: Hook, status: int, transient: bool
) -> None:
    hook.status = status
    with pytest.raises(DeliveryError) as info:
        post_webhook(SETTINGS, NOTICE, url=hook.url)
    assert info.value.transient is transient
    assert str(status) in str(info.value)


def test_a_redirect_is_not_followed(hook: Hook) -> None:
    hook.status = 302
    with pytest.raises(DeliveryError) as info:
        post_webhook(SETTINGS, NOTICE, url=hook.url)
    assert info.value.transient is False
    assert "302" in str(info.value)
    assert [path for path, _, _ in hook.requests] == ["/hooks/abc?x=1"]


def test_a_slow_webhook_times_out_and_is_worth_a_retry(hook: Hook) -> None:
    hook.slow = True
    with pytest.raises(DeliveryError) as info:
        post_webhook(Settings(webhook_timeout_s=0.5), NOTICE, url=hook.url)
    assert info.value.transient is True


def test_a_webhook_on_a_closed_port_is_worth_a_retry() -> None:
    with pytest.raises(DeliveryError) as info:
        post_webhook(SETTINGS, NOTICE, url=f"http://127.0.0.1:{free_port()}/hook")
    assert info.value.transient is True


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://hooks.example.com/x", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("http://user:pw@hooks.example.com/x", "user name or password"),
        ("http://user@hooks.example.com/x", "user name or password"),
        ("https:///path-only", "host"),
        ("https://hooks.example.com/" + "a" * 2000, "2,000 characters"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com:port/", "not a valid URL"),
    ],
)
def test_check_webhook_url_says_what_is_wrong(url: str, problem: str) -> None:
    message = check_webhook_url(url)
    assert message is not None and problem in message


def test_a_bad_webhook_url_is_refused_before_connecting() -> None:
    with pytest.raises(DeliveryError) as info:
        post_webhook(SETTINGS, NOTICE, url="http://user:pw@127.0.0.1:1/x")
    assert info.value.transient is False


@pytest.mark.parametrize(
    "url", ["https://hooks.slack.com/services/T0/B0/XYZ", "http://127.0.0.1:8080/hook?a=1"]
)
def test_check_webhook_url_accepts_plain_http_and_https(url: str) -> None:
    assert check_webhook_url(url) is None
