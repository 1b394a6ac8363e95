"""The Alerts page as people use it: each role is offered only its kinds, a user creates and deletes
their own alert, an admin sees everyone's."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.apptest import login_as

PAGE = "pages/common/alerts.py"


def _open(new_app, role: str) -> AppTest:
    at = login_as(new_app, role).switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _kinds(at: AppTest) -> list[str]:
    return list(at.selectbox(key="al_kind").options)


def test_each_role_is_offered_only_its_kinds(new_app) -> None:
    user = _open(new_app, "user")
    assert any("No alerts yet" in i.value for i in user.info)
    assert len(_kinds(user)) == 2  # budget and summary
    assert all("API p95" not in k for k in _kinds(user))
    product = _open(new_app, "product")
    assert len(_kinds(product)) == 1 and "API p95" in _kinds(product)[0]
    finance = _open(new_app, "finance")
    assert len(_kinds(finance)) == 1 and "finance period report" in _kinds(finance)[0]


def test_a_user_creates_an_alert_and_deletes_it(new_app, app_store: Store) -> None:
    at = _open(new_app, "user")
    at.text_input(key="al_category").input("Food")
    at.button(key="al_create").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Alert created."]
    (sub,) = app_store.find("subscriptions", {})
    user = app_store.find("users", {"username": "demo-user"})[0]
    assert sub["userId"] == user["_id"]
    assert sub["params"] == {"thresholds": [80, 100], "category": "Food", "forecast": False}
    assert sub["channel"] == {"type": "email", "to": user["email"]}
    assert sub["title"] == "Food reaches 80% or 100% of its budget"
    assert at.dataframe[0].value["title"].tolist() == [sub["title"]]
    at.button(key="alerts_mine_delete").click().run()
    assert app_store.count_documents("subscriptions", {}) == 0
    assert app_store.count_documents("audit_log", {"event": "alert.unsubscribed"}) == 1


def test_a_bad_webhook_is_refused_with_its_reason(new_app, app_store: Store) -> None:
    at = _open(new_app, "user")
    at.radio(key="al_channel").set_value("webhook").run()
    at.text_input(key="al_url").input("ftp://hooks.example.com/x")
    at.button(key="al_create").click().run()
    assert [e.value for e in at.error] == [
        "webhook: A webhook URL starts with http:// or https://."
    ]
    assert app_store.count_documents("subscriptions", {}) == 0


def test_an_admin_sees_everyones_alerts(new_app) -> None:
    at = _open(new_app, "user")
    at.button(key="al_create").click().run()
    admin = _open(new_app, "admin")
    table = admin.dataframe[-1].value
    assert table["owner"].tolist() == ["demo-user"]


def test_a_summarys_link_opens_the_overview_on_that_period(new_app, app_store: Store) -> None:
    import datetime as dt
    from urllib.parse import parse_qsl, urlsplit

    from dashboard.cache import MemoryCache
    from dashboard.core.identity import AuthUser
    from dashboard.core.settings import Settings
    from dashboard.data.runner import Runner
    from dashboard.views.alerts import evaluate

    doc = app_store.find("users", {"username": "demo-user"})[0]
    user = AuthUser.from_document(doc)
    runner = Runner(store=app_store, cache=MemoryCache(), settings=Settings())
    sub = {"kind": "summary", "params": {"frequency": "weekly"}}
    slot = dt.datetime(2026, 5, 18, 14, tzinfo=dt.UTC)  # a Monday: the week of 11 to 17 May
    (firing,) = evaluate(runner, user, sub, slot=slot).firing
    link = urlsplit(firing.notice.link)
    assert link.path == "/overview"
    at = login_as(new_app, "user").switch_page("pages/spending/overview.py")
    for name, value in parse_qsl(link.query):
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]  # the link's values are all understood
    assert any("11 May 2026 – 17 May 2026" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
