"""``connect()`` picks the backend from the URI and explains bad URIs."""

from __future__ import annotations

import pytest

from dashboard.store import DatabaseUnavailable, connect
from dashboard.store.embedded import EmbeddedStore
from dashboard.store.mongo import MongoStore


def test_memory_uri_gives_an_embedded_store_that_keeps_nothing() -> None:
    store = connect("memory://")
    assert isinstance(store, EmbeddedStore)
    assert store.root is None
    store.insert_many("expenses", [{"amount": 1.5}])
    assert store.count_documents("expenses", {}) == 1
    assert connect("memory://").count_documents("expenses", {}) == 0


def test_embedded_uri_persists_in_its_directory(tmp_path) -> None:
    uri = f"embedded://{tmp_path}/db"
    with connect(uri) as store:
        assert isinstance(store, EmbeddedStore)
        store.insert_many("expenses", [{"amount": 2.25}])
    with connect(uri) as again:
        assert [d["amount"] for d in again.find("expenses")] == [2.25]


def test_mongodb_uris_give_the_mongodb_backend_without_connecting() -> None:
    store = connect("mongodb://127.0.0.1:1/?directConnection=true")
    assert isinstance(store, MongoStore)
    assert "127.0.0.1:1" in store.description
    store.close()
    srv = "mongodb+srv://user:secret@cluster0.example.invalid/"
    with pytest.raises(Exception, match=r"cluster0\.example\.invalid|DNS|resolve|query"):
        connect(srv)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "store URI is empty"),
        ("postgres://localhost/x", "unsupported store URI"),
        ("embedded://relative/dir", "embedded:///absolute/dir"),
        ("embedded:///", "embedded:///absolute/dir|absolute directory|is a file"),
        ("memory://somewhere", "memory:// takes no path"),
    ],
)
def test_bad_uris_say_what_is_accepted(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        connect(uri)


def test_embedded_uri_pointing_at_a_file_is_refused(tmp_path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        connect(f"embedded://{path}")


def test_unreachable_mongodb_fails_ping_quickly_with_a_clear_error() -> None:
    store = connect("mongodb://127.0.0.1:1/?directConnection=true", server_selection_timeout_ms=500)
    with pytest.raises(DatabaseUnavailable, match="MongoDB did not answer a ping"):
        store.ping()
    store.close()


def test_a_mongodb_write_gives_up_at_the_time_limit_not_the_selection_timeout() -> None:
    """Writes run under pymongo's client-side timeout: with nothing listening, an update fails
    after about the store's time limit (0.3 s), not after server selection's 2 s."""
    import time

    from dashboard.store import DatabaseUnavailable
    from dashboard.store.mongo import MongoStore

    for limit, lower, upper in ((300, 0.2, 1.5), (0, 1.8, 8.0)):
        store = MongoStore(
            "mongodb://127.0.0.1:9/", server_selection_timeout_ms=2_000, max_time_ms=limit
        )
        started = time.perf_counter()
        with pytest.raises(DatabaseUnavailable):
            store.update_many("expenses", {}, {"$set": {"a": 1}})
        assert lower < time.perf_counter() - started < upper, limit
        store.close()
