"""The Import page's form: upload a statement, map its columns with a preview, see what would be
imported (every bad row with its line, column and reason; duplicates; money in left out), then
start the import job.

Nothing is written until the user presses *Import*: the check runs on the uploaded bytes in this
page run. The mapping is remembered per account name (the next statement of the same bank opens
with it), and the job re-checks the file itself, so what it applies is what was shown.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.core.statement_file import StatementError, StatementFile, preview, read_statement
from dashboard.core.statement_mapping import (
    DATE_FORMATS,
    ColumnMapping,
    date_formats_for,
    suggest_mapping,
)
from dashboard.data.runner import Runner
from dashboard.jobs.context import JobContext
from dashboard.jobs.import_job import submit_import
from dashboard.jobs.queue import JobQueue
from dashboard.jobs.submit import QUEUE_ERRORS
from dashboard.views.imports import ImportCheck, check_upload, remembered_mapping

__all__ = ["data_changed", "import_form"]

log = logging.getLogger("spendlens.imports")
_NONE = "(none)"
_SAMPLE_ROWS = 200
_PROBLEMS_SHOWN = 1_000


def _choice(
    label: str, header: tuple[str, ...], current: str | None, key: str, *, optional: bool
) -> str | None:
    options = ([_NONE] if optional else []) + list(header)
    index = options.index(current) if current in options else 0
    picked = st.selectbox(label, options, index=index, key=key)
    return None if picked == _NONE else picked


def _mapping_widgets(
    statement: StatementFile, start: ColumnMapping, sample: pl.DataFrame, key: str
) -> ColumnMapping:
    header = statement.header
    a, b, c = st.columns(3)
    with a:
        date = _choice("Date column", header, start.date, f"{key}_date", optional=False)
        description = _choice(
            "Description column", header, start.description, f"{key}_desc", optional=False
        )
        external_id = _choice(
            "Transaction id column", header, start.external_id, f"{key}_xid", optional=True
        )
    with b:
        split = st.radio(
            "Amounts are in",
            ["one column", "debit and credit columns"],
            index=1 if start.debit or start.credit else 0,
            key=f"{key}_split",
            horizontal=True,
        )
        if split == "one column":
            amount = _choice("Amount column", header, start.amount, f"{key}_amount", optional=False)
            sign = st.radio(
                "Spending is shown as",
                ["negative (bank statement)", "positive (card statement)"],
                index=0 if start.negative_is_spending else 1,
                key=f"{key}_sign",
            )
            debit = credit = None
            negative = sign.startswith("negative")
        else:
            amount, negative = None, start.negative_is_spending
            debit = _choice(
                "Debit (money out)", header, start.debit, f"{key}_debit", optional=False
            )
            credit = _choice(
                "Credit (money in)", header, start.credit, f"{key}_credit", optional=True
            )
        decimal_comma = st.checkbox(
            "Decimal comma (1.234,56)", value=start.decimal_comma, key=f"{key}_comma"
        )
    with c:
        category = _choice("Category column", header, start.category, f"{key}_cat", optional=True)
        currency = _choice("Currency column", header, start.currency, f"{key}_cur", optional=True)
        fits = date_formats_for(sample[date].to_list() if date in sample.columns else [])
        formats = fits + [f for f in DATE_FORMATS if f not in fits]
        fmt = st.selectbox(
            "Date format",
            formats,
            index=formats.index(start.date_format) if start.date_format in formats else 0,
            format_func=lambda f: f"{f}  (fits the file)" if f in fits else f,
            key=f"{key}_fmt",
        )
        credits = st.radio(
            "Money in (refunds, salary)",
            ["skip", "refund"],
            index=0 if start.credits == "skip" else 1,
            format_func=lambda v: "leave out" if v == "skip" else "import as refunds",
            key=f"{key}_credits",
        )
    return replace(
        start,
        date=date or "",
        description=description or "",
        amount=amount,
        debit=debit,
        credit=credit,
        category=category,
        currency=currency,
        external_id=external_id,
        date_format=fmt,
        decimal_comma=decimal_comma,
        negative_is_spending=negative,
        credits=credits,
    )


def _summary(check: ImportCheck) -> None:
    counts = check.counts
    a, b, c, d = st.columns(4)
    a.metric("Rows in the file", f"{counts['rows']:,}")
    b.metric("To import", f"{counts['imported']:,}")
    c.metric("Duplicates (skipped)", f"{counts['duplicates']:,}",
             help=f"{counts['duplicates_in_file']:,} repeated in the file, "
                  f"{counts['duplicates_existing']:,} already in your expenses")  # fmt: skip
    d.metric("Rejected rows", f"{counts['rejected']:,}")
    notes = []
    if counts["credits_skipped"]:
        notes.append(f"{counts['credits_skipped']:,} rows of money in are left out")
    if counts["categorised"]:
        notes.append(f"{counts['categorised']:,} rows categorised by your rules")
    if notes:
        st.caption("; ".join(notes) + ".")


def _problems(check: ImportCheck) -> None:
    if not check.problems:
        return
    rejected = len(check.problems_by_line)
    st.warning(
        f"{rejected:,} rows cannot be imported. Import the other rows, or fix these in the file "
        "and upload it again.",
        icon=":material/warning:",
    )
    st.dataframe(check.problem_frame(limit=_PROBLEMS_SHOWN), hide_index=True, key="imp_problems")
    if len(check.problems) > _PROBLEMS_SHOWN:
        st.caption(f"The first {_PROBLEMS_SHOWN:,} of {len(check.problems):,} problems.")


#: Bumped when the user's rules or expenses change on this page (import, undo, rules): a cached
#: check is then done again.
GENERATION = "imp_generation"


def data_changed() -> None:
    """The user's rules or expenses changed on this page: a statement's cached check is redone."""
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1


def _checked(
    runner: Runner,
    user: AuthUser,
    data: bytes,
    digest: str,
    mapping: ColumnMapping,
    statement: StatementFile,
) -> ImportCheck:
    """The check of this file with this mapping, done once per session, not on every rerun (a
    100,000-row file takes about a second): widgets elsewhere on the page rerun it all. The job
    checks the file again before writing, so an expense added meanwhile is never imported twice."""
    key = (digest, repr(sorted(mapping.to_document().items())), st.session_state.get(GENERATION, 0))
    cached = st.session_state.get("imp_check")
    if cached is not None and cached[0] == key:
        return cached[1]
    with st.spinner("Checking every row…"):
        check = check_upload(runner, user, data, mapping, statement=statement)
    st.session_state["imp_check"] = (key, check)
    return check


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def import_form(
    runner: Runner, user: AuthUser, jobs: tuple[JobContext, JobQueue], *, busy: bool = False
) -> None:
    """Draw the upload, mapping and check; start the job when asked (not while ``busy``: an import
    of this user is still running)."""
    limit_mb = runner.settings.import_max_mb
    account = st.text_input(
        "Account name",
        value=st.session_state.get("imp_last_account", ""),
        placeholder="e.g. Visa card, Girokonto",
        help="The column mapping you choose is remembered for this account.",
        key="imp_account",
    ).strip()
    upload = st.file_uploader(
        f"Statement file (CSV, up to {limit_mb:g} MB)",
        type=["csv", "txt"],
        max_upload_size=max(1, math.ceil(limit_mb)),
        key=f"imp_file_{st.session_state.get('imp_uploads', 0)}",  # a new key empties it
    )
    if upload is None:
        st.info(
            "Export a CSV statement from your bank or card's website, then upload it here. "
            "Comma, semicolon and tab separated files in UTF-8 or Windows encoding work.",
            icon=":material/upload_file:",
        )
        return
    data = upload.getvalue()
    if len(data) > limit_mb * 1024 * 1024:
        st.error(
            f"{upload.name} is {_size(len(data))}; the limit is {limit_mb:g} MB (IMPORT_MAX_MB). "
            "Split the statement into smaller periods and import each."
        )
        return
    try:
        statement = read_statement(data)
    except StatementError as exc:
        st.error(f"{upload.name}: {exc}")
        return
    st.caption(
        f"{upload.name}: {statement.rows:,} rows, {statement.encoding} text, columns separated by "
        f"{ {',': 'commas', ';': 'semicolons', chr(9): 'tabs', '|': 'bars'}.get(statement.delimiter, repr(statement.delimiter)) }."
    )
    sample = preview(data, statement, rows=_SAMPLE_ROWS)
    st.dataframe(sample.head(10), hide_index=True, key="imp_preview")
    suggested = suggest_mapping(statement.header, [list(r) for r in sample.drop("line").rows()])
    start = remembered_mapping(runner, user, account, statement.header) or suggested
    digest = hashlib.sha256(data).hexdigest()[:16]
    st.subheader("Columns")
    mapping = _mapping_widgets(statement, start, sample, f"imp_{digest}")
    mapping = replace(mapping, default_currency=user.currency)
    if problems := mapping.check(statement.header):
        for problem in problems:
            st.error(problem)
        return
    check = _checked(runner, user, data, digest, mapping, statement)
    st.subheader("What will be imported")
    _summary(check)
    _problems(check)
    if check.rows.height == 0:
        st.info("Nothing to import: every row is a duplicate, rejected or money in.")
        return
    if st.button(f"Import {check.rows.height:,} expenses", type="primary", key="imp_start",
                 icon=":material/download_done:"):  # fmt: skip
        context, queue = jobs
        try:
            job_id = submit_import(
                context,
                queue,
                user,
                data,
                mapping,
                file_name=upload.name,
                account=account or upload.name,
            )
        except QUEUE_ERRORS as exc:
            log.error("could not queue an import: %s", exc)
            st.error(
                "The job queue cannot be reached right now, so the import did not start. Nothing "
                "was imported; try again in a minute."
            )
            return
        st.session_state["imp_job"] = str(job_id)
        st.session_state["imp_last_account"] = account
        st.session_state["imp_uploads"] = st.session_state.get("imp_uploads", 0) + 1
        data_changed()
        st.rerun()
