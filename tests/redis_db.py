"""A Redis database of this test run's own, on the Redis at 127.0.0.1:6379 (``TEST_REDIS_URL``).

Several runs of the suite may share the machine's Redis (parallel branches, CI beside a
developer): each run claims one of the databases 1–15 with ``SET … NX`` on a key in database
0 (expiring after six hours, should the run die), empties it, and gives it back at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
CLAIM_KEY = "vinculo:tests:redis-db:{}"
CLAIM_SECONDS = 6 * 3600


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``redis://…/<n>``: a database no other run uses while this one lasts."""
    import redis

    claims = redis.Redis.from_url(f"{BASE_URL}/0")
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    for number in range(1, 16):
        if claims.set(CLAIM_KEY.format(number), token, nx=True, ex=CLAIM_SECONDS):
            break
    else:
        raise RuntimeError(f"every Redis database 1–15 at {BASE_URL} is claimed by a test run")
    url = f"{BASE_URL}/{number}"
    redis.Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        redis.Redis.from_url(url).flushdb()
        if claims.get(CLAIM_KEY.format(number)) == token.encode():
            claims.delete(CLAIM_KEY.format(number))
