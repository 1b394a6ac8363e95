"""A notice: what an alert or a scheduled report says, rendered for e-mail and for webhooks.

Pure: a :class:`Notice` is data (a subject, paragraphs, an optional table and a link back to the
page), and each rendering escapes every value for its medium: HTML for the e-mail body, Slack's
``mrkdwn`` for Slack. Nothing in a notice is ever read as a template or markup, so a category named
``<script>`` or ``*bold*`` shows as those characters. :mod:`dashboard.jobs.delivery` sends it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

__all__ = ["SEVERITIES", "Notice", "page_link"]

#: Severity → the colour of the strip at the top of the e-mail (and its label).
_COLOURS = {
    "info": ("#2563eb", "Info"),
    "warning": ("#d97706", "Warning"),
    "critical": ("#dc2626", "Critical"),
    "recovered": ("#16a34a", "Recovered"),
}
SEVERITIES = tuple(_COLOURS)
#: Slack's limits: a header's text, a section's text.
_SLACK_HEADER_MAX = 150
_SLACK_SECTION_MAX = 3000
_FONT = "font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
_CELL = "padding:4px 12px 4px 0;border-bottom:1px solid #e5e7eb;text-align:left;"


@dataclass(frozen=True)
class Notice:
    """One alert or report message, independent of how it is delivered.

    ``lines`` are paragraphs of plain text with amounts already formatted; ``table``'s first row is
    its header; ``link`` is an absolute http(s) URL back to the page (see :func:`page_link`).
    """

    subject: str
    lines: tuple[str, ...]
    link: str | None = None
    link_label: str = "Open in Spendlens"
    table: tuple[tuple[str, ...], ...] = ()
    severity: str = "info"

    def __post_init__(self) -> None:
        # Lists are accepted and frozen into tuples, so a notice stays hashable and unchanged.
        object.__setattr__(self, "lines", tuple(str(line) for line in self.lines))
        object.__setattr__(self, "table", tuple(tuple(str(c) for c in row) for row in self.table))
        if self.severity not in _COLOURS:
            msg = f"severity must be one of {', '.join(SEVERITIES)}, got {self.severity!r}"
            raise ValueError(msg)
        if self.table and len({len(row) for row in self.table}) != 1:
            raise ValueError("every row of a notice's table must have as many cells as its header")
        if self.link is not None:
            parts = urlsplit(self.link)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("a notice's link must be an absolute http:// or https:// URL")

    def text(self) -> str:
        """Plain text: the paragraphs, the table in aligned columns, then the link."""
        blocks = list(self.lines)
        if self.table:
            blocks.append(_text_table(self.table))
        if self.link:
            blocks.append(f"{self.link_label}: {self.link}")
        return "\n\n".join(blocks) + "\n"

    def html(self) -> str:
        """The HTML e-mail body: inline styles only (mail clients drop style sheets), every value
        escaped, and a coloured strip naming the severity (not by colour alone)."""
        colour, label = _COLOURS[self.severity]
        parts = [
            "<!DOCTYPE html>",
            '<html><body style="margin:0;padding:0;background:#f3f4f6;">',
            f'<div style="max-width:640px;margin:0 auto;background:#ffffff;{_FONT}color:#111827;">',
            f'<div style="height:6px;background:{colour};"></div>',
            '<div style="padding:16px 24px;">',
            f'<p style="margin:0 0 4px;font-size:12px;font-weight:600;color:{colour};'
            f'text-transform:uppercase;">{label}</p>',
            f'<h1 style="margin:0 0 12px;font-size:18px;">{_esc(self.subject)}</h1>',
        ]
        for line in self.lines:
            body = _esc(line).replace("\n", "<br>")
            parts.append(f'<p style="margin:0 0 12px;line-height:1.5;">{body}</p>')
        if self.table:
            parts.append(_html_table(self.table))
        if self.link:
            parts.append(
                f'<p style="margin:16px 0 0;"><a href="{_esc(self.link)}" '
                'style="display:inline-block;padding:8px 14px;background:#2563eb;color:#ffffff;'
                f'text-decoration:none;border-radius:4px;">{_esc(self.link_label)}</a></p>'
            )
        parts.append("</div></div></body></html>")
        return "\n".join(parts) + "\n"

    def webhook_payload(self, *, slack: bool) -> dict[str, Any]:
        """The JSON body of a webhook call: Slack's incoming-webhook format, or Spendlens' own
        (``subject``, ``text``, ``severity``, ``link`` and the table as one object per row)."""
        if slack:
            return self._slack_payload()
        header, *rows = self.table or ((),)
        return {
            "subject": self.subject,
            "text": self.text(),
            "severity": self.severity,
            "link": self.link,
            "table": [dict(zip(header, row, strict=True)) for row in rows],
        }

    def _slack_payload(self) -> dict[str, Any]:
        fallback = _mrkdwn(self.subject)
        if self.link:
            fallback += "\n" + _mrkdwn(self.link)
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": _clip(self.subject)}},
        ]
        if self.lines:
            text = _mrkdwn_clipped("\n\n".join(self.lines), _SLACK_SECTION_MAX)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        if self.table:
            # Three backticks in a value would end the code block early: break them up.
            table = _text_table(self.table).replace("```", "`\u200b`\u200b`")
            code = _mrkdwn_clipped(table, _SLACK_SECTION_MAX - 8)
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```\n{code}\n```"}}
            )
        if self.link:
            button = {
                "type": "button",
                "text": {"type": "plain_text", "text": _clip(self.link_label, 75)},
                "url": self.link,
            }
            blocks.append({"type": "actions", "elements": [button]})
        return {"text": fallback, "blocks": blocks}


def page_link(base_url: str, url_path: str, params: Mapping[str, str] | None = None) -> str:
    """The absolute URL of a page with its filters, e.g.
    ``page_link("http://host:8501", "overview", {"period": "2025-10"})``
    → ``"http://host:8501/overview?period=2025-10"``; values are URL-encoded, never trusted as-is.
    """
    url = f"{base_url.rstrip('/')}/{quote(url_path.lstrip('/'), safe='/')}"
    if params:
        url += "?" + urlencode(dict(params))
    return url


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def _text_table(table: tuple[tuple[str, ...], ...]) -> str:
    """Columns padded to their widest cell, the header underlined with dashes."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    header, *rows = table
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _html_table(table: tuple[tuple[str, ...], ...]) -> str:
    header, *rows = table
    head = "".join(f'<th style="{_CELL}font-weight:600;">{_esc(c)}</th>' for c in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{_esc(c)}</td>' for c in row) + "</tr>"
        for row in rows
    )
    return (
        '<table style="border-collapse:collapse;margin:0 0 12px;font-size:14px;">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _mrkdwn(value: str) -> str:
    """Slack's escaping: ``&``, ``<`` and ``>`` (``<!channel>`` or ``<url|label>`` stay text)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn_clipped(value: str, limit: int) -> str:
    """Escaped, and cut to ``limit`` characters with an ellipsis without splitting an entity."""
    escaped = _mrkdwn(value)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    size = 0
    for char in value:
        piece = _mrkdwn(char)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + "…"


def _clip(value: str, limit: int = _SLACK_HEADER_MAX) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
