"""Several app hosts: what a second ``vinculo serve`` host behind a load balancer buys.

```
.venv/bin/python bench/scale.py [--customers 2000] [--duration 60] [--warmup 10]
    [--connections 8] [--workers 2] [--keep]
```

Needs Debian's ``haproxy`` (the load balancer) and ``wrk`` (the load generator, with
bench/scale.lua for the mix): ``apt-get install haproxy wrk``; the installed PostgreSQL
binaries (``initdb``, ``pg_ctl``, ``pg_basebackup``) and ``redis-server``. It exits with a
message naming what is missing.

Everything runs privately in a temporary folder on free ports (bench/_pgcluster.py): a
PostgreSQL primary (``initdb``) filled by ``vinculo migrate`` and ``vinculo demo --customers
N``, then a streaming replica of it (``pg_basebackup -R``); a Redis (``redis-server``) that is
the shared cache and sessions (``VINCULO_CACHE_URL``) and the task queue (``VINCULO_TASKS=rq``);
one worker host (``vinculo worker``); two app hosts, each ``vinculo serve --workers W`` with its
own data directory, on the same ``DATABASE_URL``, ``DATABASE_REPLICA_URL`` and Redis; and
haproxy in front, first with one host behind it, then with both (same haproxy, same ports, same
client: the ratio is the second host's doing). A third layout is the reference for reading that
ratio: one host with as many gunicorn workers as the two together (``--workers`` × 2), so
what the second host buys beyond more worker processes shows.

For each layout wrk replays the mix for ``--warmup`` seconds (not counted), then for
``--duration`` seconds, from ``--connections`` keep-alive connections that each send a request
as soon as the last one is answered (a closed loop: the figures are what the layout serves
flat out). Every connection is one of ``--connections`` bench users (administrators): a
signed-in browser session for the pages, a second session for the contact form (a session
that posts reads the primary for a while: core.db.ReplicaPinMiddleware; the reading one stays
free to use the replica), and an API token.

| kind | share | request |
|---|---|---|
| list | 18 % | ``GET /customers/accounts/?page=N`` (first 10 pages) |
| search | 14 % | ``GET /customers/contacts/?q=<surname or e-mail prefix from the data>`` |
| 360 | 18 % | ``GET /customers/accounts/<uuid>/`` — the account page, all its panels |
| contact_create | 6 % | ``POST /customers/contacts/new/`` — the form, CSRF token, redirect (302) |
| call_log | 10 % | ``POST /api/interactions/`` — a phone call on an account (201) |
| ticket_open | 6 % | ``POST /api/tickets/`` — queue, SLA, assignee, notification (201) |
| api_read | 24 % | ``GET /api/contacts/?page=N`` or ``GET /api/accounts/<uuid>/`` |
| report | 4 % | ``GET /analytics/`` — a heavy page, read on the replica |

Printed per kind and layout: requests/s, p95 (ms), errors (any status other than the
expected one, or a request without an answer); the ratio 2 hosts ÷ 1 host of requests/s and of
p95; which host answered how many requests; that the replica answered queries and the worker
sent the ticket notifications. PASS/FAIL: no errors (target 0); the exit status is non-zero on
errors. The CPU time of each part (app hosts, PostgreSQL, worker + Redis, haproxy, and wrk
itself) is printed too: on this 2-core machine the load generator, the load
balancer, PostgreSQL, Redis and the worker all share the cores with the app hosts, so the second
host adds processes, not cores — the ratio says what that is worth here. On a machine busy with
other work it also wins scheduler share: with sched_autogroup the kernel shares the CPU between
sessions, and each host here is a session of its own; the app CPU per request and the reference
layout (one host, the workers of both) tell that apart from capacity.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import VINCULO, base_env, markdown, percentile, say, table
from _pgcluster import HOST, Cluster, Redis, free_port, pg_binary

LUA = Path(__file__).resolve().with_name("scale.lua")
PASSWORD = "bench-Scale-2026"
MAX_LAG = 5.0  # VINCULO_REPLICA_MAX_LAG: short, so that signing in pins the readers briefly
KINDS = (  # name, weight, expected status
    ("list", 18, 200), ("search", 14, 200), ("360", 18, 200), ("contact_create", 6, 302),
    ("call_log", 10, 201), ("ticket_open", 6, 201), ("api_read", 24, 200), ("report", 4, 200),
)
LUA_NAMES = {"360": "account"}  # the Lua builder of each kind, where its name differs
REPORT_PATH = "/analytics/"
REPLICA_SCANS = ("SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) "
                 "FROM pg_stat_user_tables")
LIST_PAGES = 10
CPU_PARTS = ("app hosts", "PostgreSQL", "worker + Redis", "haproxy", "wrk")

SEED = """
import json, random
from vinculo.core.models import User
from vinculo.core.services import api_token_create, user_create
from vinculo.core.tenancy import organization_scope
from vinculo.customers.models import Account, Contact
org = User.objects.get(email="admin@demo.vinculo.test").organization
out = {"users": []}
with organization_scope(org):
    for i in range(1, %(users)d + 1):
        email = f"bench{i}@scale.test"
        user = user_create(organization=org, email=email, password=%(password)r, role="admin")
        out["users"].append({"email": email,
                             "token": api_token_create(user=user, name="bench")[1]})
    accounts = list(Account.objects.values_list("uuid", flat=True))
    contacts = list(Contact.objects.values_list("last_name", "email"))
rng = random.Random(7)
out["accounts"] = [str(u) for u in rng.sample(accounts, min(500, len(accounts)))]
surnames = sorted({last for last, _email in contacts if last})
prefixes = sorted({email.split("@")[0][:5] for _last, email in contacts if email})
out["terms"] = rng.sample(surnames, min(40, len(surnames))) + \\
    rng.sample(prefixes, min(20, len(prefixes)))
print("SEED " + json.dumps(out))
"""


# ---- the pieces: requirements, hosts, sessions ----------------------------------------------


def missing_tools() -> list[str]:
    """What this bench needs and does not find, each with where it comes from."""
    needs = {"haproxy": "apt-get install haproxy", "wrk": "apt-get install wrk",
             "redis-server": "apt-get install redis-server"}
    missing = [f"{tool} ({how})" for tool, how in needs.items() if not shutil.which(tool)]
    for tool in ("initdb", "pg_ctl", "pg_basebackup"):
        if not pg_binary(tool):
            missing.append(f"{tool} (PostgreSQL's server binaries: apt-get install postgresql)")
    return missing


def request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
            ) -> tuple[int, dict[str, list[str]], bytes]:
    """One HTTP request without following redirects: status, headers (all values), body."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(req, timeout=60) as response:
            status, raw, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, raw, body = error.code, error.headers, error.read()
    found: dict[str, list[str]] = defaultdict(list)
    for key, value in raw.items():
        found[key.lower()].append(value)
    return status, found, body


def cookies(headers: dict[str, list[str]]) -> dict[str, str]:
    return dict(c.split(";", 1)[0].split("=", 1) for c in headers.get("set-cookie", []))


def sign_in(base: str, email: str) -> tuple[str, str]:
    """A browser session through the login form: its session id and CSRF token."""
    _status, headers, body = request(base + "/login/")
    csrf = cookies(headers)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token, "no CSRF token on the login page"
    form = urllib.parse.urlencode({"username": email, "password": PASSWORD,
                                   "csrfmiddlewaretoken": token.group(1).decode()}).encode()
    status, headers, body = request(base + "/login/", data=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"})
    assert status == 302, f"signing in as {email}: {status} {body[-500:]!r}"
    got = cookies(headers)
    return got["sessionid"], got.get("csrftoken", csrf)  # rotated on sign-in


class FormDefaults(HTMLParser):
    """What a browser posts for a form left as shown: inputs' values, selects' choices."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("checkbox", "radio", "submit"):
            self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and (self.select not in self.values
                                                  or "selected" in a):
            self.values[self.select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


def contact_form(base: str, session: str) -> str:
    """The contact form's other fields as shown, url-encoded (the Lua adds the varying ones)."""
    status, _headers, body = request(base + "/customers/contacts/new/",
                                     headers={"Cookie": f"sessionid={session}"})
    assert status == 200, f"contact form: {status}"
    fields = FormDefaults()
    fields.feed(body.decode())
    for varied in ("csrfmiddlewaretoken", "first_name", "last_name", "email"):
        fields.values.pop(varied, None)
    return urllib.parse.urlencode(fields.values)


def lua(value: object) -> str:
    """A Python value as a Lua literal (strings as JSON strings: LuaJIT reads their escapes)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


class Process:
    """A long-running command in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], root: Path) -> None:
        self.name = name
        self.log = root / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def output(self, tail: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-tail:]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def wait_ready(url: str, process: Process, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise SystemExit(f"{process.name} stopped:\n{process.output()}")
        with contextlib.suppress(OSError):
            if request(url)[0] == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{process.name} did not answer {url}:\n{process.output()}")


def haproxy_config(port: int, hosts: list[int]) -> str:
    """Round robin over the app hosts; a host is taken out when its /login/ stops answering."""
    servers = "\n".join(f"    server host{i} {HOST}:{p} check inter 2s" for i, p in
                        enumerate(hosts, 1))
    return f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    option http-server-close
frontend vinculo
    bind {HOST}:{port}
    default_backend hosts
backend hosts
    balance roundrobin
    option httpchk GET /login/
{servers}
"""


def cpu_by_tree(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds (user + system, with reaped children) used so far by each named set of
    processes and their descendants: what each part of the installation cost, whatever else
    the machine ran."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid: (parent, CPU seconds)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        stats[int(stat.parent.name)] = (int(fields[1]),
                                        sum(int(f) for f in fields[11:15]) / tick)
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _cpu) in stats.items():
        children[parent].append(pid)
    used = {}
    for name, pids in roots.items():
        todo, total = list(pids), 0.0
        while todo:
            pid = todo.pop()
            total += stats.get(pid, (0, 0.0))[1]
            todo += children[pid]
        used[name] = total
    return used


def served(host: Process) -> int:
    """Requests a host has logged (gunicorn's access log: one line each)."""
    return host.log.read_text(errors="replace").count(' HTTP/1.1" ')  # health checks: 1.0


# ---- one layout under load ------------------------------------------------------------------


def run_wrk(base: str, data: Path, out: Path, seconds: float, connections: int, run: str,
            ) -> tuple[list[str], float]:
    """wrk with the mix for ``seconds``: its rows, and its CPU time (user + system)."""
    env = os.environ | {"SCALE_DATA": str(data), "SCALE_OUT": str(out), "SCALE_RUN": run}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["wrk", "-t", str(connections), "-c", str(connections), "-d",
                    f"{max(1, round(seconds))}s", "--timeout", "60s", "-s", str(LUA), base],
                   env=env, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.read_text().splitlines(), cpu


def summarise(rows: list[str]) -> dict:
    """Per kind: count, latencies (ms), errors; and wrk's duration and socket errors."""
    expected = {name: status for name, _w, status in KINDS}
    lua_to_kind = {LUA_NAMES.get(name, name): name for name in expected}
    kinds: dict[str, dict] = {name: {"ms": [], "errors": 0, "statuses": defaultdict(int)}
                              for name in expected}
    result: dict = {"kinds": kinds}
    for row in rows:
        parts = row.split()
        if parts[0] == "summary":
            duration_us, _requests, *socket_errors = (int(x) for x in parts[1:])
            result["seconds"] = duration_us / 1e6
            result["socket_errors"] = sum(socket_errors[:4])  # connect, read, write, status
            result["timeouts"] = socket_errors[4]
            continue
        kind = kinds[lua_to_kind[parts[0]]]
        status = int(parts[2])
        kind["statuses"][status] += 1
        if status == expected[lua_to_kind[parts[0]]]:
            kind["ms"].append(int(parts[1]) / 1000)
        else:
            kind["errors"] += 1
    return result


def measure(layout: str, hosts: list[Process], ports: list[int], args: argparse.Namespace,
            data: Path, root: Path, groups: dict[str, list[int]]) -> dict:
    """haproxy in front of the hosts on ``ports``; wrk's warm-up, then the measured run."""
    lb_port = free_port()
    slug = re.sub(r"\W+", "-", layout)
    config = root / f"haproxy-{slug}.cfg"
    config.write_text(haproxy_config(lb_port, ports))
    haproxy = Process(f"haproxy-{slug}", ["haproxy", "-db", "-f", str(config)],
                      os.environ.copy(), root)
    groups = groups | {"haproxy": [haproxy.popen.pid]}
    base = f"http://{HOST}:{lb_port}"
    try:
        wait_ready(base + "/login/", haproxy, 30)
        time.sleep(2.5)  # the first health checks mark every host up
        say(f"{layout}: warm-up {args.warmup:.0f} s")
        run = secrets.token_hex(3)
        run_wrk(base, data, root / "warmup.txt", args.warmup, args.connections, f"w{run}")
        before = [served(h) for h in hosts]
        cpu_before, load_before = cpu_by_tree(groups), os.getloadavg()[0]
        say(f"{layout}: measuring {args.duration:.0f} s")
        rows, wrk_cpu = run_wrk(base, data, root / f"rows-{slug}.txt", args.duration,
                                args.connections, f"m{run}")
        cpu_after, load_after = cpu_by_tree(groups), os.getloadavg()[0]
        result = summarise(rows)
        result["per_host"] = [served(h) - b for h, b in zip(hosts, before, strict=True)]
        result["cpu"] = {name: cpu_after[name] - cpu_before[name] for name in groups}
        result["cpu"]["wrk"] = wrk_cpu
        result["load"] = (load_before, load_after)
        return result
    finally:
        haproxy.stop(signal.SIGUSR1)  # haproxy: soft stop


# ---- the installation, the two layouts, the report ------------------------------------------


def build(args: argparse.Namespace, root: Path, cluster: Cluster, redis: Redis,
          ) -> tuple[dict[str, str], dict]:
    """The primary filled with the demo and the bench users, then its replica: env and seed."""
    env = base_env() | {
        "DATABASE_URL": cluster.primary_url, "VINCULO_DATA_DIR": str(root / "setup"),
        "SECRET_KEY": secrets.token_urlsafe(40),  # one key for every host
        "VINCULO_CACHE_URL": redis.url(1), "VINCULO_TASKS": "rq", "REDIS_URL": redis.url(0),
        "VINCULO_REPLICA_MAX_LAG": str(MAX_LAG), "CONN_MAX_AGE": "60",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("WEB_CONCURRENCY", None)

    def vinculo(*argv: str) -> str:
        done = subprocess.run([VINCULO, *argv], env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"vinculo {argv[0]} failed:\n{done.stdout[-2000:]}"
                             f"{done.stderr[-3000:]}")
        return done.stdout

    say("primary: initdb, migrate")
    cluster.init_primary()
    vinculo("migrate", "--no-input", "--verbosity", "0")
    say(f"primary: demo with {args.customers:,} customers, {args.connections} bench users")
    vinculo("demo", "--customers", str(args.customers), "--password", PASSWORD,
            "--no-progress")
    out = vinculo("shell", "-c", SEED % {"users": args.connections, "password": PASSWORD})
    seed = json.loads(next(line for line in out.splitlines()
                           if line.startswith("SEED "))[5:])
    say("replica: pg_basebackup -R")
    cluster.add_replica()
    cluster.caught_up()
    return env | {"DATABASE_REPLICA_URL": cluster.replica_url}, seed


def data_file(base: str, seed: dict, root: Path) -> Path:
    """Sign every bench user in twice (reader, writer) and write the Lua data file."""
    users = []
    for user in seed["users"]:
        reader, _csrf = sign_in(base, user["email"])
        writer, csrf = sign_in(base, user["email"])
        users.append({"reader": f"sessionid={reader}",
                      "writer": f"sessionid={writer}; csrftoken={csrf}",
                      "csrf": csrf, "token": user["token"]})
    form = contact_form(base, users[0]["writer"].split(";")[0].split("=", 1)[1])
    data = {"users": users, "accounts": seed["accounts"], "terms": seed["terms"],
            "list_pages": LIST_PAGES, "report_path": REPORT_PATH, "contact_form": form,
            "kinds": [{"name": LUA_NAMES.get(n, n), "weight": w} for n, w, _s in KINDS]}
    path = root / "data.lua"
    path.write_text("return " + lua(data) + "\n")
    return path


def report(results: dict[str, dict], args: argparse.Namespace, checks: list[str]) -> int:
    one, two, *others = results
    headers = ["kind"]
    for layout in results:
        headers += [f"{layout} req/s", "p95 ms", "errors"]
        if layout == two:
            headers += ["ratio req/s", "ratio p95"]
    rows = []
    errors = 0
    for name in [name for name, _w, _s in KINDS] + ["all"]:
        cells: list[object] = [name]
        rates, p95s = {}, {}
        for layout, result in results.items():
            if name == "all":
                ms = [m for k in result["kinds"].values() for m in k["ms"]]
                failed = sum(k["errors"] for k in result["kinds"].values()) + \
                    result["socket_errors"]
                errors += failed
            else:
                ms, failed = result["kinds"][name]["ms"], result["kinds"][name]["errors"]
            rates[layout], p95s[layout] = len(ms) / result["seconds"], percentile(ms, 95)
            cells += [f"{rates[layout]:.1f}", f"{p95s[layout]:.0f}", failed]
            if layout == two:
                cells += [f"{rates[two] / rates[one]:.2f}" if rates[one] else "-",
                          f"{p95s[two] / p95s[one]:.2f}" if p95s[one] else "-"]
        rows.append(cells)
    print()
    print(table(headers, rows))
    print()
    cpu_rows = []
    for layout, result in results.items():
        cpu, answered = result["cpu"], sum(result["per_host"])
        cpu_rows.append((layout, f"{answered:,}", " / ".join(f"{n:,}" for n in result["per_host"]),
                         *(f"{cpu[name]:.1f}" for name in CPU_PARTS),
                         f"{1000 * cpu['app hosts'] / max(answered, 1):.0f}",
                         f"{result['load'][0]:.1f} → {result['load'][1]:.1f}"))
    cpu_headers = ("layout", "answered", "per host", *(f"{n} CPU s" for n in CPU_PARTS),
                   "app CPU ms/request", "load average")
    print(table(cpu_headers, cpu_rows))
    for layout, result in results.items():
        odd = {name: dict(k["statuses"]) for name, k in result["kinds"].items() if k["errors"]}
        if odd or result["timeouts"]:
            print(f"{layout}: statuses of the kinds with errors: {odd}; wrk timeouts "
                  f"{result['timeouts']}")
    for line in checks:
        print(line)
    verdict = "PASS" if errors == 0 else "FAIL"
    print(f"\n{verdict}: {errors} errors in the {len(results)} layouts (target 0)")
    total = {layout: sum(len(k["ms"]) for k in r["kinds"].values()) / r["seconds"]
             for layout, r in results.items()}
    print(f"ratio {two} ÷ {one}, all kinds: {total[two] / total[one]:.2f}× requests/s, "
          f"{rows[-1][8]}× p95 ({args.connections} connections, {os.cpu_count()} cores shared "
          "by everything)")
    for other in others:
        print(f"ratio {two} ÷ {other} (as many gunicorn workers on one host): "
              f"{total[two] / total[other]:.2f}× requests/s")
    print()
    print(markdown(headers, rows))
    print()
    print(markdown(cpu_headers, cpu_rows))
    return 0 if errors == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=60, help="seconds per layout")
    parser.add_argument("--warmup", type=float, default=10, help="seconds per layout")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, data)")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        raise SystemExit("bench/scale.py needs: " + "; ".join(missing))

    root = Path(tempfile.mkdtemp(prefix="vinculo-scale-"))
    cluster = Cluster(root)
    redis: Redis | None = None
    processes: list[Process] = []
    wall = time.perf_counter()
    try:
        redis = Redis(root)
        env, seed = build(args, root, cluster, redis)
        say("worker host: vinculo worker (RQ)")
        processes.append(Process("worker", [VINCULO, "worker"], env | {
            "VINCULO_DATA_DIR": str(root / "worker")}, root))
        hosts, ports = [], []
        # hosts 1 and 2 as deployed; host 3 (the reference) has the workers of both
        for i, workers in ((1, args.workers), (2, args.workers), (3, 2 * args.workers)):
            ports.append(free_port())
            say(f"app host {i}: vinculo serve --workers {workers} on port {ports[-1]}")
            host = Process(f"host{i}", [VINCULO, "serve", "--host", HOST, "--port",
                                        str(ports[-1]), "--workers", str(workers)],
                           env | {"VINCULO_DATA_DIR": str(root / f"host{i}")}, root)
            processes.append(host)
            hosts.append(host)
        for host, port in zip(hosts, ports, strict=True):
            wait_ready(f"http://{HOST}:{port}/login/", host)
        base = f"http://{HOST}:{ports[0]}"
        data = data_file(base, seed, root)
        time.sleep(MAX_LAG * 1.5 + 0.5)  # signing in pinned the sessions to the primary
        started = cluster.sql(cluster.primary_port, "SELECT now()")[0][0]
        replica_before = cluster.sql(cluster.replica_port, REPLICA_SCANS)[0][0]
        groups = {"app hosts": [h.popen.pid for h in hosts], "PostgreSQL": cluster.postmasters(),
                  "worker + Redis": [processes[0].popen.pid, redis.process.pid]}
        layouts = {"1 host": ports[:1], "2 hosts": ports[:2],
                   f"1 host ×{2 * args.workers}": ports[2:]}
        results = {layout: measure(layout, hosts, behind, args, data, root, groups)
                   for layout, behind in layouts.items()}
        replica_after = cluster.sql(cluster.replica_port, REPLICA_SCANS)[0][0]
        time.sleep(3)  # the worker's last e-mails
        mail = dict(cluster.sql(cluster.primary_port, "SELECT status, count(*) FROM "
                                f"core_outgoingemail WHERE created_at >= '{started}' "
                                "GROUP BY status"))
        checks = [f"replica: {replica_after - replica_before:,} table scans on it during the "
                  "runs (the report page reads there; its lag checks touch no table)",
                  f"worker host: e-mails queued by the runs, by status: {mail or 'none'}"]
        for process in processes:
            if "Traceback" in process.log.read_text(errors="replace"):
                checks.append(f"FAIL: a traceback in {process.log}")
    finally:
        for process in reversed(processes):
            process.stop()
        if redis is not None:
            redis.close()
        cluster.close()
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    status = report(results, args, checks)
    if any(line.startswith("FAIL") for line in checks):
        status = 1
    print(f"\nwall time {time.perf_counter() - wall:.0f} s")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
