"""The replica settings refuse a max lag that is not a number of seconds, naming the variable.

(The routing itself is tested against a real streaming replica in test_replica.py.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("value", ["thirty", "0", "-5", "nan"])
def test_a_bad_max_lag_stops_the_start_with_the_variable_named(value):
    env = {**os.environ, "VINCULO_REPLICA_MAX_LAG": value}
    done = subprocess.run([sys.executable, "-c", "import vinculo.settings"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "ImproperlyConfigured: VINCULO_REPLICA_MAX_LAG must be a number of seconds" \
        in done.stderr
    assert repr(value) in done.stderr


def test_the_max_lag_is_read_in_seconds():
    env = {**os.environ, "VINCULO_REPLICA_MAX_LAG": "2.5"}
    done = subprocess.run(
        [sys.executable, "-c", "import vinculo.settings as s; print(s.VINCULO_REPLICA_MAX_LAG)"],
        env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "2.5", done.stderr
