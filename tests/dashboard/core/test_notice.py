"""Notices: the plain-text layout, HTML and Slack escaping, webhook payloads and page links.

Every expected value is written out by hand.
"""

from __future__ import annotations

import pytest

from dashboard.core.notice import Notice, page_link

BUDGET = Notice(
    subject="Budget for Food at 92%",
    lines=("You spent €460.00 of €500.00 in October 2025.", "8 days left."),
    link="http://localhost:8501/budgets?period=2025-10",
    table=(("Category", "Spent"), ("Food", "€460.00"), ("Restaurants & bars", "€120.50")),
    severity="warning",
)


def test_text_lays_out_paragraphs_the_table_in_columns_and_the_link() -> None:
    assert BUDGET.text() == (
        "You spent €460.00 of €500.00 in October 2025.\n"
        "\n"
        "8 days left.\n"
        "\n"
        "Category            Spent\n"
        "------------------  -------\n"
        "Food                €460.00\n"
        "Restaurants & bars  €120.50\n"
        "\n"
        "Open in Spendlens: http://localhost:8501/budgets?period=2025-10\n"
    )


def test_text_without_table_or_link_is_just_the_paragraphs() -> None:
    assert Notice("Done", ("One.", "Two.")).text() == "One.\n\nTwo.\n"


def test_html_escapes_every_value() -> None:
    notice = Notice(
        subject="Alert: <script>alert(1)</script>",
        lines=("Spent on <script> & more",),
        link='http://localhost:8501/overview?category=a"onmouseover="x',
        link_label="Open <here>",
        table=(("Category", "Spent"), ("<script>", "€1 & €2")),
        severity="critical",
    )
    body = notice.html()
    assert "<script>" not in body
    assert "<h1" in body and "Alert: &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in body
    assert "Spent on &lt;script&gt; &amp; more</p>" in body
    assert (
        '<td style="padding:4px 12px 4px 0;border-bottom:1px solid #e5e7eb;text-align:left;">&lt;script&gt;</td>'
        in body
    )
    assert "€1 &amp; €2</td>" in body
    assert 'href="http://localhost:8501/overview?category=a&quot;onmouseover=&quot;x"' in body
    assert ">Open &lt;here&gt;</a>" in body
    assert "#dc2626" in body and ">Critical</p>" in body
    assert "<table" in body and "<th " in body
    assert "<style" not in body


def test_html_keeps_line_breaks_inside_a_paragraph() -> None:
    assert '<p style="margin:0 0 12px;line-height:1.5;">a<br>b</p>' in Notice("s", ("a\nb",)).html()


def test_plain_webhook_payload() -> None:
    assert BUDGET.webhook_payload(slack=False) == {
        "subject": "Budget for Food at 92%",
        "text": BUDGET.text(),
        "severity": "warning",
        "link": "http://localhost:8501/budgets?period=2025-10",
        "table": [
            {"Category": "Food", "Spent": "€460.00"},
            {"Category": "Restaurants & bars", "Spent": "€120.50"},
        ],
    }
    assert Notice("s", ("x",)).webhook_payload(slack=False) == {
        "subject": "s",
        "text": "x\n",
        "severity": "info",
        "link": None,
        "table": [],
    }


def test_slack_payload_shape_and_escaping() -> None:
    notice = Notice(
        subject="Budget <!channel> & co",
        lines=("Spent on <script> & <http://evil|click>", "Second > first"),
        link="http://localhost:8501/budgets?period=2025-10&category=Food",
        table=(("Category", "Spent"), ("<b>", "1 & 2")),
    )
    assert notice.webhook_payload(slack=True) == {
        "text": "Budget &lt;!channel&gt; &amp; co\n"
        "http://localhost:8501/budgets?period=2025-10&amp;category=Food",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Budget <!channel> & co"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Spent on &lt;script&gt; &amp; &lt;http://evil|click&gt;\n\n"
                    "Second &gt; first",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "```\nCategory  Spent\n--------  -----\n&lt;b&gt;       1 &amp; 2\n```",
                },
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Spendlens"},
                        "url": "http://localhost:8501/budgets?period=2025-10&category=Food",
                    }
                ],
            },
        ],
    }


def test_slack_payload_without_table_or_link_has_no_such_blocks() -> None:
    payload = Notice("Hello", ("World",)).webhook_payload(slack=True)
    assert payload["text"] == "Hello"
    assert [b["type"] for b in payload["blocks"]] == ["header", "section"]


def test_slack_text_is_clipped_to_its_limit_without_splitting_an_entity() -> None:
    payload = Notice("s", ("&" * 1000,)).webhook_payload(slack=True)
    text = payload["blocks"][1]["text"]["text"]
    assert text == "&amp;" * 599 + "…"


def test_page_link_encodes_the_filters() -> None:
    assert (
        page_link("http://host:8501", "overview", {"period": "2025-10", "category": "Food & Drink"})
        == "http://host:8501/overview?period=2025-10&category=Food+%26+Drink"
    )
    assert page_link("https://spendlens.example.com/app/", "budgets") == (
        "https://spendlens.example.com/app/budgets"
    )
    assert page_link("http://host:8501", "overview", {"q": "a=b?c#d"}) == (
        "http://host:8501/overview?q=a%3Db%3Fc%23d"
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"severity": "urgent"},
        {"table": (("a", "b"), ("only one",))},
        {"link": "javascript:alert(1)"},
        {"link": "/relative/path"},
    ],
)
def test_a_notice_refuses_what_it_cannot_render(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Notice("s", ("x",), **kwargs)  # type: ignore[arg-type]


def test_lists_are_frozen_into_tuples() -> None:
    notice = Notice("s", ["a"], table=[["h"], ["v"]])  # type: ignore[arg-type]
    assert notice.lines == ("a",)
    assert notice.table == (("h",), ("v",))
