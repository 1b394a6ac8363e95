"""Admin account management and the self-service forms (register, change password, details):
one password policy and scheme everywhere, bounded fields, emails unique whatever their case."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth import accounts, passwords, registration
from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.store import Store
from tests.apptest import answer_question, login, login_as, open_url_path


def _user(store: Store, username: str) -> AuthUser:
    return AuthUser.from_document(store.find("users", {"username": username})[0])


def test_role_changes_are_audited_and_guarded(app_store: Store) -> None:
    admin, user = _user(app_store, "demo-admin"), _user(app_store, "demo-user")
    accounts.set_roles(app_store, admin, user.id, ["user", "finance"])
    assert _user(app_store, "demo-user").roles == ("finance", "user")
    (entry,) = app_store.find("audit_log", {"event": "role.changed"})
    assert entry["target"] == "demo-user"
    assert entry["details"] == {"from": ["user"], "to": ["finance", "user"]}
    with pytest.raises(accounts.AccountError, match="non-empty subset"):
        accounts.set_roles(app_store, admin, user.id, ["superuser"])
    with pytest.raises(accounts.AccountError, match="own admin role"):
        accounts.set_roles(app_store, admin, admin.id, ["user"])
    with pytest.raises(PermissionDenied):
        accounts.set_roles(app_store, user, user.id, ["admin"])


def test_disable_and_enable_are_audited(app_store: Store) -> None:
    admin, user = _user(app_store, "demo-admin"), _user(app_store, "demo-user")
    accounts.set_disabled(app_store, admin, user.id, disabled=True)
    accounts.set_disabled(app_store, admin, user.id, disabled=False)
    events = [
        d["event"] for d in app_store.find("audit_log", {"target": "demo-user"}, sort=[("at", 1)])
    ]
    assert events == ["account.disabled", "account.enabled"]


def test_temporary_password_is_shown_once_and_must_be_changed(new_app, app_store: Store) -> None:
    user = _user(app_store, "demo-user")
    temporary = accounts.issue_temporary_password(
        app_store, _user(app_store, "demo-admin"), user.id
    )
    stored = app_store.find("users", {"username": "demo-user"})[0]
    assert stored["passwordHash"].startswith(passwords.SCHEME_PREFIX)
    assert passwords.verify_password(temporary, stored["passwordHash"])
    assert stored["mustChangePassword"] is True
    assert temporary not in str(app_store.find("audit_log", {}))

    at = login(new_app(), "demo-user", temporary)
    assert at.title[0].value == "Change your password"
    at.text_input[0].input(temporary)
    at.text_input[1].input("Brand-new-pass1!")
    at.text_input[2].input("Brand-new-pass1!")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value.startswith("Welcome")
    stored = app_store.find("users", {"username": "demo-user"})[0]
    assert stored["mustChangePassword"] is False
    assert passwords.verify_password("Brand-new-pass1!", stored["passwordHash"])
    assert app_store.find("audit_log", {"event": "password.changed", "actor": "demo-user"})


def test_registration_creates_a_user_account(new_app, app_store: Store) -> None:
    at = new_app().run()
    open_url_path(at, "register")
    inputs = {t.label: t for t in at.text_input}
    inputs["First name"].input("Ada")
    inputs["Last name"].input("Lovelace")
    inputs["Email"].input("ada@example.org")
    inputs["Username"].input("ada")
    inputs["Password"].input("Analytical-1!")
    inputs["Repeat password"].input("Analytical-1!")
    answer_question(at)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "Account created" in at.success[0].value
    (doc,) = app_store.find("users", {"username": "ada"})
    assert doc["roles"] == ["user"]
    assert doc["email"] == "ada@example.org"
    assert passwords.verify_password("Analytical-1!", doc["passwordHash"])
    logged = login(new_app(), "ada", "Analytical-1!")
    assert logged.session_state["authentication_status"] is True


def test_registration_can_be_turned_off(new_app, monkeypatch) -> None:
    monkeypatch.setenv("SPENDLENS_ALLOW_REGISTRATION", "false")
    at = new_app().run()
    assert "register" not in {i.get("url_pathname") for i in at._registered_pages.values()}


def test_update_details_writes_back_to_users(new_app, app_store: Store) -> None:
    at = login_as(new_app, "user")
    at.switch_page("pages/common/account.py").run()
    next(t for t in at.text_input if t.label == "Email").input("dana@new.example")
    next(b for b in at.button if b.label == "Update").click().run()
    assert not at.exception
    (doc,) = app_store.find("users", {"username": "demo-user"})
    assert doc["email"] == "dana@new.example"
    entries = app_store.find("audit_log", {"event": "account.updated", "target": "demo-user"})
    assert entries[0]["details"]["fields"] == ["email"]


def _register(at: AppTest, **values: str) -> AppTest:
    """Fill the registration form (``set_value``: a crafted request skips ``max_chars``)."""
    fields = {"First name": "Ada", "Last name": "Lovelace", "Email": "ada@example.org",
              "Username": "ada", "Password": "Analytical-1!", "Repeat password": "Analytical-1!"}  # fmt: skip
    fields.update({k.replace("_", " "): v for k, v in values.items()})
    inputs = {t.label: t for t in at.text_input}
    for label, value in fields.items():
        inputs[label].set_value(value)
    answer_question(at)
    return at.button[0].click().run()


PASSPHRASE = "Ünsere kleine Kätzchen schläft ruhig unter dem großen grünen Baum, 猫は静かに眠る"


def test_registration_takes_a_long_unicode_passphrase_and_all_of_it_counts(
    new_app, app_store: Store
) -> None:
    """Before: 8-20 ASCII characters only; bcrypt would have ignored all after byte 72."""
    at = open_url_path(new_app().run(), "register")
    _register(at, Password=PASSPHRASE, Repeat_password=PASSPHRASE)
    assert not at.exception, at.exception
    assert "Account created" in at.success[0].value
    assert login(new_app(), "ada", PASSPHRASE).session_state["authentication_status"] is True
    first_72_bytes = PASSPHRASE.encode()[:72].decode("utf-8", "ignore")
    at = login(new_app(), "ada", first_72_bytes)
    assert at.session_state["authentication_status"] is not True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Password": "iloveyou", "Repeat_password": "iloveyou"}, "most common passwords"),
        ({"Password": "Zq7!x", "Repeat_password": "Zq7!x"}, "at least 8 characters"),
        ({"Repeat_password": "Analytical-2!"}, "the two passwords differ"),
        ({"Username": "a" * 1_000_000}, "username: at most 32 characters"),
        ({"Email": "e" * 1_000_000 + "@example.org"}, "email: at most 254 characters"),
        ({"First_name": "A" * 1_000_000}, "first name has at most 50 characters"),
        ({"Email": "Demo-User@Spendlens.Example"}, "already registered"),
    ],
)
def test_registration_refuses_with_a_message_and_writes_nothing(
    values: dict[str, str], message: str, new_app, app_store: Store
) -> None:
    at = open_url_path(new_app().run(), "register")
    _register(at, **values)
    assert not at.exception
    assert message.lower() in at.error[0].value.lower()
    assert app_store.find("users", {"username": "ada"}) == []
    assert app_store.find("audit_log", {}) == []


def test_registration_stores_the_email_lower_case(new_app, app_store: Store) -> None:
    at = open_url_path(new_app().run(), "register")
    _register(at, Email="Ada.Lovelace@Example.ORG")
    (doc,) = app_store.find("users", {"username": "ada"})
    assert doc["email"] == "ada.lovelace@example.org"


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> list[registration.Question]:
    """The registration questions in the order the form asks them (no randomness)."""
    asked = [registration.Question(2, 3), registration.Question(4, 4), registration.Question(9, 1)]
    queue = iter(asked * 20)
    monkeypatch.setattr(registration, "new_question", lambda: next(queue))
    return asked


def _question_shown(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Question:**"))


def test_the_question_is_text_and_a_wrong_answer_gets_a_new_one(
    new_app, app_store: Store, questions: list[registration.Question]
) -> None:
    """Before: a distorted picture of digits (no text for a screen reader, misread zoomed)."""
    at = open_url_path(new_app().run(), "register")
    assert not at.get("imgs")  # no picture captcha any more
    assert _question_shown(at) == "**Question:** What is 2 plus 3?"
    inputs = {t.label: t for t in at.text_input}
    inputs["Username"].set_value("ada")
    inputs["Your answer (in digits)"].set_value("6")
    at.button[0].click().run()
    assert "answer to the question is not right" in at.error[0].value
    assert _question_shown(at) == "**Question:** What is 4 plus 4?"
    assert app_store.find("users", {"username": "ada"}) == []
    # The new question's answer works; the old one would not have.
    _register(at)
    assert "Account created" in at.success[0].value


def test_registration_submits_are_rate_limited_per_client(
    new_app, app_store: Store, clock, questions: list[registration.Question]
) -> None:
    """Every submit counts, right or wrong: after 10 in an hour the client waits, then may again."""
    at = open_url_path(new_app().run(), "register")
    for i in range(registration.MAX_SUBMITS):
        _register(at, Username=f"ada{i}", Password="iloveyou", Repeat_password="iloveyou")
        assert "most common passwords" in at.error[0].value
    _register(at)  # right answer, valid fields: still refused
    assert (
        at.error[0].value
        == "Too many registration attempts from your network, try again in 60 minutes."
    )
    _register(at)
    assert app_store.find("users", {"username": "ada"}) == []
    assert len(app_store.find("audit_log", {"event": "registration.locked"})) == 1  # once per lock
    clock.now += 60 * 60 + 1
    _register(at)
    assert "Account created" in at.success[0].value


def test_the_username_rules_are_stated_next_to_the_field(new_app) -> None:
    at = open_url_path(new_app().run(), "register")
    field = next(t for t in at.text_input if t.label == "Username")
    rule = "3–32 characters: letters, digits, dots, hyphens, underscores"
    assert field.help.startswith(rule)
    assert any(c.value.startswith(rule) for c in at.caption)


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("ab", "Username: at least 3 characters, got 2."),
        (
            "ana silva",
            "Username: only letters a-z, digits, dots, hyphens and underscores; not allowed: spaces.",
        ),
        (
            "ana@home",
            "Username: only letters a-z, digits, dots, hyphens and underscores; not allowed: '@'.",
        ),
        (".ana", "Username: start with a letter or digit, not '.'."),
        ("", "Username: enter 3 to 32 characters."),
    ],
)
def test_a_refused_username_says_which_rule_it_breaks(
    username: str, message: str, new_app, app_store: Store
) -> None:
    """Before: "Username is not valid", whatever was wrong."""
    at = open_url_path(new_app().run(), "register")
    _register(at, Username=username)
    assert at.error[0].value == message
    assert app_store.count_documents("users", {"email": "ada@example.org"}) == 0


@pytest.mark.parametrize("username", ["ana.silva", "Ana.Silva", "j_doe-2", "007", "a.b"])
def test_dotted_and_other_seed_shaped_usernames_register(
    username: str, new_app, app_store: Store
) -> None:
    at = open_url_path(new_app().run(), "register")
    _register(at, Username=username)
    assert not at.error, at.error[0].value
    assert app_store.find("users", {"username": username.lower()})


def test_every_seeded_username_is_a_valid_registration_username() -> None:
    """Seeded names (``ana.silva``, ``anasilva``, ``ana_silva``, ``asilva``, digits, suffixes)
    all pass the registration rule, so none of them is something a person could not register."""
    from dashboard.core.demo import DEMO_ACCOUNTS
    from dashboard.seed import dataset

    names = {a.username for a in DEMO_ACCOUNTS}
    for firsts, lasts in dataset._NAMES.values():
        for given in firsts:
            for family in lasts:
                for style in range(4):
                    for digits in (-1, 1, 99):
                        base = dataset._username(given, family, style, digits)
                        names |= {base, f"{base}2", f"{base}19"}  # _unique's suffixes
    users = next(iter(dataset.generate(users=400, months=1, seed=11)))[1]
    names |= {doc["username"] for doc in users}
    assert len(names) > 10_000
    refused = {}
    for name in names:
        try:
            assert accounts.check_username(name) == name
        except accounts.AccountError as exc:
            refused[name] = str(exc)
    assert refused == {}
