"""Two app hosts: `vinculo serve` twice, on two ports, sharing one database and one Redis cache
(``VINCULO_CACHE_URL``, this run's own Redis database, under a key prefix of this test's own).

A session made on one host is valid on the other; a login lock-out earned on one is enforced
on the other; a web form's rate limit counts the submissions made on both.
"""

from __future__ import annotations

import re
import secrets
import time
import urllib.parse
from pathlib import Path

import redis

from tests.core.test_serve import EMAIL, PASSWORD
from tests.deploy import Server, cookies, fresh_database, log_in, request, vinculo

FAILURES = 3
FORM = """
from vinculo.core.models import User
from vinculo.core.tenancy import organization_scope
from vinculo.interactions.services import web_form_create
from vinculo.core.audit import acting_as
admin = User.objects.get(email="{email}")
with organization_scope(admin.organization), acting_as(admin):
    form = web_form_create(actor=admin, data={{"name": "Contacto", "kind": "contact",
                                              "owner": admin, "max_per_hour": 2}})
print(form.uuid)
"""


def _login_attempt(port: int, password: str) -> int:
    _status, headers, body = request(port, "GET", "/login/")
    csrf = cookies(headers)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": EMAIL, "password": password, "csrfmiddlewaretoken": token})
    return request(port, "POST", "/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"})[0]


def _submit(port: int, form: str, n: int) -> int:
    body = request(port, "GET", f"/f/{form}/")[2]
    started = re.search(rb'name="started" value="([^"]+)"', body).group(1).decode()
    time.sleep(2.1)  # a form sent back sooner is taken for a robot's
    data = urllib.parse.urlencode({"name": f"Marta Gil {n}", "email": f"marta{n}@gil.es",
                                   "message": "Quiero el catálogo.", "started": started})
    return request(port, "POST", f"/f/{form}/", body=data,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})[0]


def test_sessions_lock_outs_and_rate_limits_hold_across_two_app_hosts(
        tmp_path: Path, migrated, redis_url):
    prefix = f"hosts-{secrets.token_hex(4)}"
    with fresh_database(tmp_path, migrated) as env:
        env.update(VINCULO_CACHE_URL=redis_url, VINCULO_CACHE_PREFIX=prefix,
                   AXES_FAILURE_LIMIT=str(FAILURES))
        vinculo("createorg", "Two Hosts", env=env)
        vinculo("createuser", "--org", "Two Hosts", "--email", EMAIL, "--password", PASSWORD,
                "--role", "admin", env=env)
        form = vinculo("shell", "-c", FORM.format(email=EMAIL), env=env).split()[-1]
        # One after the other: the two "hosts" share this test's data directory (the SQLite
        # file lives there), and each `vinculo serve` collects the static files into it at
        # start; real hosts each have their own data directory and share the database.
        hosts = []
        try:
            for i in (1, 2):
                hosts.append(Server(env, workers=1, log=tmp_path / f"serve-{i}.log"))
                hosts[-1].wait_until_ready()
            one, two = (host.port for host in hosts)

            # A session made on one host is valid on the other, read from the shared cache.
            session = log_in(one, EMAIL, PASSWORD)
            status, _headers, body = request(two, "GET", "/", headers={
                "Cookie": f"sessionid={session}"})
            assert status == 200 and EMAIL.encode() in body, body[-1000:]
            cache = redis.Redis.from_url(redis_url)
            assert any(session.encode() in key for key in cache.keys(f"{prefix}:*")), \
                "the session is not in the shared cache"

            # A rate limit counts the submissions on both hosts: two an hour, the third refused.
            assert [_submit(one, form, 1), _submit(two, form, 2)] == [200, 200]
            assert _submit(one, form, 3) == 429
            assert _submit(two, form, 4) == 429

            # A lock-out earned on one host is enforced on the other, even for the right
            # password.
            wrong = [_login_attempt(one, "wrong-password") for _ in range(FAILURES)]
            assert wrong[:-1] == [200] * (FAILURES - 1), wrong  # the form again, then locked
            assert _login_attempt(two, PASSWORD) == 429
        finally:
            for host in hosts:
                host.stop()
        outputs = "".join(host.output() for host in hosts)
        assert "Traceback" not in outputs, outputs
