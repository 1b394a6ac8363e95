"""Data rights: a user's export holds exactly their documents; deletion leaves only the audit record."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile

from dashboard.auth import data_rights
from dashboard.cache import MemoryCache
from dashboard.core.identity import AuthUser
from dashboard.core.settings import Settings
from dashboard.data import rollups
from dashboard.data.runner import Runner
from dashboard.store import Store
from tests.apptest import login_as
from tests.factories import PRODUCT


def _user(store: Store, username: str) -> AuthUser:
    return AuthUser.from_document(store.find("users", {"username": username})[0])


def test_export_contains_exactly_the_users_documents(app_store: Store) -> None:
    me = _user(app_store, "demo-user")
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    app_store.insert_many(
        "expenses",
        [{"userId": me.id, "amount": 3.5, "category": "Food", "description": "Deleted lunch",
          "tags": [], "currency": "USD", "date": yesterday, "createdAt": yesterday,
          "updatedAt": yesterday, "deletedAt": yesterday}],
    )  # fmt: skip
    data = data_rights.export_user_data(app_store, me)
    everything = {
        name: app_store.find(name, {}) for name in ("expenses", "budgets", "api_requests")
    }
    for name, docs in everything.items():
        expected = sorted(str(d["_id"]) for d in docs if d.get("userId") == me.id)
        assert sorted(str(d["_id"]) for d in data[name]) == expected, name
        assert expected, f"the seed gave demo-user no {name}"
    assert [d["username"] for d in data["profile"]] == ["demo-user"]
    assert "passwordHash" not in data["profile"][0]
    soft_deleted = [d for d in data["expenses"] if d.get("deletedAt") is not None]
    assert soft_deleted, "soft-deleted expenses are the user's data too"


def test_json_and_csv_exports_read_back(app_store: Store) -> None:
    me = _user(app_store, "demo-user")
    data = data_rights.export_user_data(app_store, me)
    parsed = json.loads(data_rights.export_json(data))
    assert len(parsed["expenses"]) == len(data["expenses"])
    assert parsed["expenses"][0]["userId"] == str(me.id)
    with zipfile.ZipFile(io.BytesIO(data_rights.export_csv_zip(data))) as archive:
        assert set(archive.namelist()) == {
            "profile.csv",
            "expenses.csv",
            "budgets.csv",
            "api_requests.csv",
        }
        rows = list(csv.DictReader(io.StringIO(archive.read("expenses.csv").decode())))
    assert len(rows) == len(data["expenses"])
    assert {r["userId"] for r in rows} == {str(me.id)}


def test_csv_cells_never_run_as_formulas() -> None:
    data = {"expenses": [{"description": '=HYPERLINK("http://x")'}, {"description": "+1"}]}
    with zipfile.ZipFile(io.BytesIO(data_rights.export_csv_zip(data))) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("expenses.csv").decode())))
    assert [r["description"] for r in rows] == ['\'=HYPERLINK("http://x")', "'+1"]


def test_deletion_leaves_nothing_of_the_user_but_a_pseudonymous_audit_record(
    new_app, app_store: Store
) -> None:
    at = login_as(new_app, "user")
    at.switch_page("pages/common/account.py").run()
    at.checkbox(key="account_delete_confirm").check().run()
    at.button(key="account_delete").click().run()
    assert not at.exception
    assert "Deletion requested" in at.success[0].value
    me = _user(app_store, "demo-user")
    runner = Runner(store=app_store, cache=MemoryCache(), settings=Settings())
    rollups.build_rollups(runner, PRODUCT)
    activity = rollups.ACTIVITY.collection
    assert app_store.count_documents(activity, {"userId": me.id}) > 0, "no activity to delete"

    admin = login_as(new_app, "admin")
    admin.switch_page("pages/admin/users.py").run()
    admin.button(key=f"admin_delete_{me.id}").click().run()
    assert not admin.exception
    assert "Deleted demo-user" in admin.success[0].value
    assert "{" not in admin.success[0].value  # the counts read "expenses: 3, …", not a dict

    assert app_store.find("users", {"_id": me.id}) == []
    for name in ("expenses", "budgets", "api_requests", activity):
        assert app_store.count_documents(name, {"userId": me.id}) == 0, name
    # Her requests still count, anonymously: the rollup holds every logged request.
    rolled = sum(d["requests"] for d in app_store.find(activity, {}))
    assert rolled == app_store.count_documents("api_requests", {})
    trail = app_store.find("audit_log", {})
    for entry in trail:
        text = json.dumps(entry, default=str)
        assert "demo-user" not in text, entry
        assert str(me.id) not in text, entry
    alias = "deleted-user-" + hashlib.sha256(me.id.binary).hexdigest()[:12]
    (deleted,) = [e for e in trail if e["event"] == "account.deleted"]
    assert (deleted["actor"], deleted["target"]) == ("demo-admin", alias)
    # Her own earlier entries (sign-in, the request) are kept under the pseudonym.
    hers = {e["event"] for e in trail if alias in (e.get("actor"), e.get("target"))}
    assert {"login.success", "deletion.requested", "account.deleted"} <= hers


def test_only_an_admin_confirms_deletions(app_store: Store) -> None:
    me = _user(app_store, "demo-user")
    import pytest

    with pytest.raises(PermissionError):
        data_rights.confirm_deletion(app_store, MemoryCache(), me, me.id)
