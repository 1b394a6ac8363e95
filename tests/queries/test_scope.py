"""Isolation in the query layer: every user-scoped query starts with the session user's $match, and
values from widgets and URLs are data, never operators."""

from __future__ import annotations

import bson
import pytest

from dashboard.core.identity import AuthUser, PermissionDenied
from queries.profile import data_inventory, my_summary
from queries.scope import literal, literal_in, own_expenses, require_roles
from queries.validity import valid_expense
from tests.apptest import RecordingStore, login_as


def _user(roles: tuple[str, ...] = ("user",)) -> AuthUser:
    return AuthUser(id=bson.ObjectId(), username="u", name="U", email=None, roles=roles)


def test_every_query_a_plain_user_sends_starts_with_their_match(
    new_app, recording: RecordingStore
) -> None:
    at = login_as(new_app, "user")
    at.query_params["userId"] = str(bson.ObjectId())  # a URL cannot change whose data it is
    at.query_params["username"] = "demo-admin"
    at.run()
    for script in ("pages/common/account.py", "pages/common/home.py"):
        at.switch_page(script).run()
        assert not at.exception
    me = recording.find("users", {"username": "demo-user"})[0]["_id"]
    user_scoped = [(c, p, n) for c, p, n in recording.sent if c in ("expenses", "budgets")]
    assert user_scoped, "the pages sent no query over the user's data"
    for collection, pipeline, name in user_scoped:
        first = pipeline[0]["$match"]
        assert first["userId"] == me, (collection, name)
        if collection == "expenses":
            assert "deletedAt" in first, (collection, name)
            assert first["deletedAt"] is None, (collection, name)


def test_user_scoped_queries_start_with_the_users_match() -> None:
    user = _user()
    assert my_summary(user).pipeline[0] == own_expenses(user, **valid_expense())
    assert own_expenses(user) == {"$match": {"userId": user.id, "deletedAt": None}}
    assert my_summary(user).scope == f"user:{user.id}"


def test_extra_conditions_cannot_replace_the_user_or_the_soft_delete() -> None:
    user = _user()
    stage = own_expenses(user, category=literal("Food"))
    assert stage == {"$match": {"userId": user.id, "deletedAt": None, "category": {"$eq": "Food"}}}
    for bad in ("userId", "deletedAt", "$or", "$expr"):
        with pytest.raises(ValueError, match="cannot override"):
            own_expenses(user, **{bad: 1})


def test_queries_spanning_users_require_a_staff_role() -> None:
    with pytest.raises(PermissionDenied, match="spans users"):
        data_inventory(_user(), "expenses")
    for role in ("product", "finance", "admin"):
        assert data_inventory(_user((role,)), "expenses").scope == "global"
    with pytest.raises(PermissionDenied):
        require_roles("not a user", "finance")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["$gt", ".*", "^demo", "{'$ne': None}"])
def test_literal_values_are_matched_as_data(store, value: str) -> None:
    store.insert_many("expenses", [{"category": "$gt"}, {"category": "Food"}, {"category": ".*"}])
    found = store.find("expenses", {"category": literal(value)}, projection={"_id": 0})
    assert found == ([{"category": value}] if value in ("$gt", ".*") else [])


def test_operator_documents_cannot_pass_as_values() -> None:
    with pytest.raises(TypeError, match="plain value"):
        literal({"$ne": None})
    with pytest.raises(TypeError, match="plain value"):
        literal_in(["Food", {"$gt": ""}])


def test_admin_search_treats_regex_characters_literally(new_app) -> None:
    at = login_as(new_app, "admin")
    at.switch_page("pages/admin/users.py").run()
    at.text_input(key="admin_user_search").input(".*").run()
    assert not at.exception
    assert "No user matches" in at.info[0].value
    at.text_input(key="admin_user_search").input("demo-").run()
    usernames = set(at.dataframe[0].value["Username"])
    assert usernames == {"demo-user", "demo-product", "demo-finance", "demo-admin"}


def test_audit_filter_values_are_data(new_app) -> None:
    at = login_as(new_app, "admin")
    at.switch_page("pages/admin/audit.py").run()
    at.text_input(key="audit_user").input('{"$ne": null}').run()
    assert not at.exception
    assert "No audit entries match" in at.info[0].value
    at.text_input(key="audit_user").input("demo-admin").run()
    assert set(at.dataframe[0].value["Event"]) >= {"login.success"}
