"""The one period picker, driven as a person would (AppTest), on a fixed 'today'.

Expected periods are computed by hand; each menu keeps its widget keys, so links stay stable.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _picker(menu: str, tz: str) -> None:
    import datetime as dt

    import streamlit as st

    from dashboard.core import periods
    from dashboard.ui.filters import period_picker

    period = period_picker(getattr(periods, menu), tz=tz, today=dt.date(2026, 11, 18))
    st.code(f"{period.spec}|{period.kind}|{period.tz}")


def _app(menu: str, tz: str = "UTC") -> AppTest:
    return AppTest.from_function(_picker, args=(menu, tz), default_timeout=30)


def _shown(at: AppTest) -> list[str]:
    return at.code[0].value.split("|")


def test_the_default_of_each_menu() -> None:
    # The default, last 12 months, on 18 Nov 2026: from 19 Nov 2025 (a year back, plus a day).
    at = _app("SPENDING_PERIODS", "Europe/Paris").run()
    assert _shown(at) == ["2025-11-19:2026-11-18", "days", "Europe/Paris"]
    at = _app("SYSTEM_PERIODS").run()
    assert _shown(at) == ["2025-11-19:2026-11-18", "days", "UTC"]
    at = _app("REPORT_PERIODS", "Asia/Tokyo").run()  # the last complete month
    assert _shown(at) == ["2026-10", "month", "Asia/Tokyo"]


def test_a_calendar_preset_offers_its_recent_instances_by_label() -> None:
    at = _app("REPORT_PERIODS").run()
    at.selectbox(key="fr_period").set_value("quarter").run()
    quarter = at.selectbox(key="fr_quarter")
    assert quarter.options[:2] == ["Q4 2026", "Q3 2026"]
    assert _shown(at)[:2] == ["2026-Q3", "quarter"]
    at.selectbox(key="fr_period").set_value("year").run()
    assert _shown(at)[:2] == ["2026", "year"]


def test_a_custom_range_given_end_first_is_shown_with_a_notice() -> None:
    at = _app("SYSTEM_PERIODS").run()
    at.selectbox(key="perf_period").set_value("custom").run()
    at.date_input(key="perf_from").set_value("2026-05-31")
    at.date_input(key="perf_to").set_value("2026-05-01").run()
    assert not at.exception
    assert _shown(at) == ["2026-05-01:2026-05-31", "days", "UTC"]
    assert "end first" in at.warning[0].value


def test_bad_link_values_are_named_not_silently_replaced() -> None:
    at = _app("SYSTEM_PERIODS")
    at.query_params["perf_period"] = "forever"
    at.query_params["perf_from"] = "2026-13-01"
    at.run()
    warnings = [w.value for w in at.warning]
    assert any("“forever” is not one this page knows" in w for w in warnings)
    assert any("“from” date “2026-13-01” is not a date" in w for w in warnings)
    assert _shown(at)[0] == "2025-11-19:2026-11-18"


def test_an_unknown_zone_is_refused_not_read_as_utc() -> None:
    at = _app("SPENDING_PERIODS", "Mars/Base").run()
    assert (
        at.exception
    )  # a programming error: zones are checked where they enter (profile, settings)
    assert not at.code


def test_link_notices_stay_after_the_link_is_cleaned_until_dismissed() -> None:
    at = _app("SYSTEM_PERIODS")
    at.query_params["perf_period"] = "Fortnight"
    at.query_params["perf_from"] = "2026-13-45"
    at.run()
    expected = [
        "The link's period “Fortnight” is not one this page knows; showing last 12 months instead.",
        "The link's “from” date “2026-13-45” is not a date (YYYY-MM-DD); it was ignored.",
    ]
    assert [w.value for w in at.warning] == expected
    # What the browser does next: the bound widgets take the bad values out of the URL and the
    # page runs again; the notices must not vanish with them.
    at.query_params.pop("perf_period", None)
    at.query_params.pop("perf_from", None)
    at.run()
    at.run()
    assert [w.value for w in at.warning] == expected
    at.button(key="spendlens_dismiss_link_notices").click().run()
    assert not at.warning
    assert not [b for b in at.button if b.key == "spendlens_dismiss_link_notices"]
    at.run()
    assert not at.warning


def test_a_dismissed_notice_does_not_return_while_the_link_still_has_the_value() -> None:
    at = _app("SYSTEM_PERIODS")
    at.query_params["perf_period"] = "Fortnight"
    at.run()
    assert len(at.warning) == 1
    at.button(key="spendlens_dismiss_link_notices").click().run()
    assert not at.warning


def _spending() -> None:
    import datetime as dt

    import bson
    import streamlit as st

    from dashboard.core.identity import AuthUser
    from dashboard.ui.filters import spending_filters

    user = AuthUser(
        id=bson.ObjectId("650000000000000000000001"), username="ana", name="Ana", email=None,
        roles=("user",), timezone="UTC",
    )  # fmt: skip
    chosen = spending_filters(user, options=["Food", "Travel"], today=dt.date(2026, 11, 18))
    st.code(",".join(chosen.categories) or "all")


def test_unknown_categories_from_a_link_are_named_until_dismissed() -> None:
    at = AppTest.from_function(_spending, default_timeout=30)
    at.query_params["categories"] = ["Nonsense", "Food"]
    at.run()
    notice = "Ignored categories from the link that you have no expenses in: Nonsense."
    assert [w.value for w in at.warning] == [notice]
    at.query_params.pop("categories", None)  # the multiselect cleaned the link
    at.run()
    assert [w.value for w in at.warning] == [notice]
    at.button(key="spendlens_dismiss_link_notices").click().run()
    assert not at.warning
