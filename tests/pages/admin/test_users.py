"""The Users admin page through app.py: real paging over every account, readable cells."""

from __future__ import annotations

import bson
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.apptest import login_as

PAGE = "pages/admin/users.py"


def _add_accounts(store: Store, n: int) -> int:
    """``n`` extra accounts (some without a name or email); returns how many accounts exist."""
    store.insert_many(
        "users",
        [
            {"_id": bson.ObjectId(), "username": f"zz-user-{i:04d}", "roles": ["user"],
             **({"name": f"User {i}", "email": f"u{i}@example.com"} if i % 2 else {})}
            for i in range(n)
        ],
    )  # fmt: skip
    return len(store.find("users", {}))


def _caption(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_users_are_paged_with_the_count_of_every_account(new_app, app_store: Store) -> None:
    total = _add_accounts(app_store, 450)
    at = login_as(new_app, "admin").switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert f"Showing 1–200 of {total:,} users" in _caption(at)
    assert len(at.dataframe[0].value) == 200
    at.number_input(key="admin_user_page").set_value(2).run()
    assert f"Showing 201–400 of {total:,} users" in _caption(at)
    second = at.dataframe[0].value
    assert len(second) == 200
    at.number_input(key="admin_user_page").set_value(3).run()
    assert f"Showing 401–{total:,} of {total:,} users" in _caption(at)
    assert len(at.dataframe[0].value) == total - 400


def test_user_cells_read_as_text_not_none(new_app, app_store: Store) -> None:
    _add_accounts(app_store, 10)
    at = login_as(new_app, "admin").switch_page(PAGE).run()
    table = at.dataframe[0].value
    assert list(table.columns) == ["Username", "Name", "Email", "Roles", "Disabled"]
    cells = set(table.to_numpy().ravel().astype(str))
    assert not cells & {"None", "{}", "[]", "nan", "True", "False"}
    row = table[table["Username"] == "zz-user-0000"].iloc[0]
    assert (row["Name"], row["Email"], row["Roles"], row["Disabled"]) == ("—", "—", "user", "No")


def test_audit_details_read_as_text(new_app) -> None:
    at = login_as(new_app, "admin").switch_page("pages/admin/audit.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert "Details" in table.columns
    cells = set(table.to_numpy().ravel().astype(str))
    assert not cells & {"None", "{}", "nan"}
    assert not any(c.startswith("{") for c in cells)
