"""Commands that change data tell every replica's cache, and fail loudly when Redis did not hear."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from dashboard.cache.keys import KEY_VERSION
from dashboard.cli.commands import main

LIVE_REDIS = "redis://127.0.0.1:6379/15"


def test_a_redis_that_does_not_answer_fails_the_command_and_says_what_to_do(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert main(["rollups", "--uri", f"embedded://{tmp_path / 'db'}"]) == 2
    err = capsys.readouterr().err
    assert "the data is written, but Redis" in err
    assert f"redis-cli INCR spendlens:{KEY_VERSION}:gen" in err


def test_a_live_redis_records_that_everything_cached_is_stale(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    try:
        client = redis.Redis.from_url(LIVE_REDIS, socket_timeout=0.5)
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail("no Redis at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379: start one (see the README)")
    clean_env.setenv("REDIS_URL", LIVE_REDIS)
    key = f"spendlens:{KEY_VERSION}:gen"
    before = int(client.get(key) or 0)
    assert main(["rollups", "--uri", f"embedded://{tmp_path / 'db'}"]) == 0
    assert int(client.get(key) or 0) > before
