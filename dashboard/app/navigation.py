"""Which pages exist, who may open them, and the navigation built for the signed-in user.

``app.py`` passes this run's pages to ``st.navigation``. Page scripts live in sub-folders of
``pages/`` (``pages/common/home.py``): Streamlit still scans the top of ``pages/`` for legacy
multipage scripts on a fresh server and in AppTest, and would run such a script directly, without
the shell, when its name matched a URL. A page outside the user's roles is still
listed, hidden, at its own URL, but what runs there is an access-denied message (audited): the page
script itself is never run for them, and a deep link explains itself instead of falling back silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.util import calc_hash

from dashboard.core.identity import AuthUser
from dashboard.data.audit_log import audit
from dashboard.store import Store

__all__ = [
    "PAGES",
    "PageSpec",
    "allowed_pages",
    "build_navigation",
    "requested_url_path",
    "with_not_found",
]


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: str
    icon: str
    url_path: str
    section: str
    #: Roles that may open the page (admin always may); empty: every signed-in user.
    roles: tuple[str, ...] = ()

    def allows(self, user: AuthUser) -> bool:
        return not self.roles or user.has_role(*self.roles)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/common/home.py", "Home", ":material/home:", "home", "Spendlens"),
    PageSpec(
        "pages/spending/overview.py",
        "Overview",
        ":material/dashboard:",
        "overview",
        "My spending",
        ("user",),
    ),
    PageSpec(
        "pages/spending/categories.py",
        "Categories",
        ":material/category:",
        "categories",
        "My spending",
        ("user",),
    ),
    PageSpec(
        "pages/spending/budgets.py",
        "Budgets",
        ":material/savings:",
        "budgets",
        "My spending",
        ("user",),
    ),
    PageSpec(
        "pages/spending/transactions.py",
        "Transactions",
        ":material/receipt_long:",
        "transactions",
        "My spending",
        ("user",),
    ),
    PageSpec(
        "pages/spending/import.py",
        "Import",
        ":material/upload_file:",
        "import",
        "My spending",
        ("user",),
    ),
    PageSpec(
        "pages/spending/insights.py",
        "Insights",
        ":material/lightbulb:",
        "insights",
        "My spending",
        ("user",),
    ),
    PageSpec(
        "pages/product/usage.py", "Usage", ":material/groups:", "usage", "Product", ("product",)
    ),
    PageSpec(
        "pages/product/system.py",
        "System performance",
        ":material/speed:",
        "system-performance",
        "Product",
        ("product",),
    ),
    PageSpec(
        "pages/finance/reports.py",
        "Finance reports",
        ":material/request_quote:",
        "finance-reports",
        "Finance",
        ("finance",),
    ),
    PageSpec("pages/common/alerts.py", "Alerts", ":material/notifications:", "alerts", "Account"),
    PageSpec("pages/common/account.py", "Account", ":material/person:", "account", "Account"),
    PageSpec(
        "pages/admin/users.py", "Users", ":material/group:", "admin-users", "Admin", ("admin",)
    ),
    PageSpec(
        "pages/admin/audit.py", "Audit log", ":material/policy:", "audit-log", "Admin", ("admin",)
    ),
)


def allowed_pages(user: AuthUser) -> list[PageSpec]:
    return [p for p in PAGES if p.allows(user)]


def _denied(spec: PageSpec, user: AuthUser, store: Store) -> Callable[[], None]:
    def page() -> None:
        audit(
            store,
            "access.denied",
            actor=user.username,
            target=spec.url_path,
            details={"page": spec.title},
        )
        st.title(spec.title)
        st.error(
            "You don't have access to this page. It needs the "
            f"{' or '.join(spec.roles)} role; ask an admin if you need it."
        )

    page.__name__ = f"denied_{spec.url_path.replace('-', '_')}"
    return page


def _stub(spec: PageSpec, render: Callable[[], None]) -> st.Page:
    def page() -> None:
        render()

    page.__name__ = f"login_{spec.url_path.replace('-', '_')}"
    return st.Page(page, title=spec.title, url_path=spec.url_path, visibility="hidden")


def build_navigation(
    user: AuthUser | None,
    store: Store,
    *,
    login: Callable[[], None],
    register: Callable[[], None] | None,
    change_password: Callable[[], None],
) -> dict[str, list[st.Page]]:
    """The ``st.navigation`` sections for this run."""
    if user is None:
        pages = [
            st.Page(login, title="Log in", icon=":material/login:", url_path="login", default=True)
        ]
        if register is not None:
            pages.append(
                st.Page(
                    register,
                    title="Create account",
                    icon=":material/person_add:",
                    url_path="register",
                )
            )
        # A deep link to a protected page shows the login form at that URL; after logging in the
        # same URL runs the real page.
        pages += [_stub(spec, login) for spec in PAGES]
        return {"Welcome": pages}
    if user.must_change_password:
        page = st.Page(
            change_password,
            title="Change password",
            icon=":material/key:",
            url_path="change-password",
            default=True,
        )
        return {"Account": [page, *[_stub(spec, change_password) for spec in PAGES]]}
    sections: dict[str, list[st.Page]] = {}
    first = True
    for spec in PAGES:
        if spec.allows(user):
            page = st.Page(
                spec.script, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=first
            )
            first = False
        else:
            page = st.Page(
                _denied(spec, user, store),
                title=spec.title,
                url_path=spec.url_path,
                visibility="hidden",
            )
        sections.setdefault(spec.section, []).append(page)
    # The URL of the login (or password) page the user just left: land on the home page instead
    # of Streamlit's "page not found" dialog.
    home = next(p for p in PAGES if p.allows(user))
    sections.setdefault(home.section, []).extend(
        _redirect(url_path, home) for url_path in ("login", "register", "change-password")
    )
    return sections


def _redirect(url_path: str, target: PageSpec) -> st.Page:
    def page() -> None:
        st.switch_page(target.script)

    page.__name__ = f"redirect_{url_path.replace('-', '_')}"
    return st.Page(page, title=url_path, url_path=url_path, visibility="hidden")


#: A URL path Streamlit can register a page at (one segment, no slash).
_URL_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$")


#: Session key of the last URL path asked for by name (see :func:`requested_url_path`).
_REQUESTED = "_spendlens_requested_url_path"


def requested_url_path() -> str | None:
    """The URL path the browser asked for in this run (``/no-such-page`` → ``"no-such-page"``), or
    None when it asked for a page of the navigation by its id (a link or the sidebar) or for the
    root URL. Opening a URL sends its name; the browser's next runs on that page send the id of the
    page registered there, so a name asked for is remembered to recognise them."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    page_id, name = (
        ctx.pages_manager.intended_page_script_hash,
        ctx.pages_manager.intended_page_name,
    )
    if not page_id:
        if name:
            st.session_state[_REQUESTED] = name
        return name or None
    remembered = st.session_state.get(_REQUESTED)
    if isinstance(remembered, str) and calc_hash(remembered) == page_id:
        return remembered
    return None


def with_not_found(
    sections: dict[str, list[st.Page]], requested: str | None
) -> dict[str, list[st.Page]]:
    """``sections`` plus, when ``requested`` names none of their pages, a hidden page at that URL
    that says "Page not found" and links the default page (home, or the login). Streamlit would
    otherwise open its own blocking "Page not found" dialog over the default page. (A URL of
    several segments, which no page can be registered at, still gets Streamlit's dialog.)"""
    if requested is None or not _URL_PATH.match(requested):
        return sections
    every = [p for pages in sections.values() for p in pages]
    # The default page's url_path reads "" (the root URL): its own path is still taken.
    known = {p.url_path for p in every} | {p._url_path for p in every}
    if requested in known:
        return sections
    home = next((p for p in every if p.url_path == ""), every[0])

    def page() -> None:
        st.title("Page not found")
        st.write(
            f"There is no page at **/{requested}**. It may have moved, or the link is mistyped."
        )
        st.page_link(home, label="Go to the home page", icon=":material/home:")

    page.__name__ = "page_not_found"
    not_found = st.Page(page, title="Page not found", url_path=requested, visibility="hidden")
    first = next(iter(sections))
    return {**sections, first: [*sections[first], not_found]}
