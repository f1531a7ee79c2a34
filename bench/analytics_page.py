"""The analytics page as a person first opens it: the real server, the demo data, cold and warm.

```
.venv/bin/python bench/analytics_page.py [--customers 2000] [--requests 20] [--keep]
```

A fresh SQLite data directory gets ``vinculo demo --customers N``; ``vinculo serve --workers
1`` serves it on a free port; a client logs in through the login form (session cookie, as a
browser does) and measures over HTTP:

- **cold**: the first ``GET /analytics/`` the new server process answers (lazy imports,
  template compilation, cold database pages), then the first fetch of every script the page
  names (``plotly.min.js`` and the rest), gzip accepted as browsers do: the first load;
- **warm**: ``--requests`` more ``GET /analytics/``: p50 and p95.

Reference, in the same run and server: the accounts list page (``/customers/accounts/``), the
product's most ordinary page, cold and warm. The ratios are analytics ÷ reference. PASS when the
cold first load (page + scripts) stays under 1 s.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import VINCULO, markdown, percentile, say, sqlite_database, table

PASSWORD = "bench-analytics-1"
ADMIN = "admin@demo.vinculo.test"
TARGET_S = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """Cookies and gzip, like a browser: enough to log in and fetch pages and scripts."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[float, int, bytes]:
        request = urllib.request.Request(self.base + path,
                                         headers={"Accept-Encoding": "gzip, br"})
        started = time.perf_counter()
        with self.opener.open(request, timeout=60) as response:
            body = response.read()
        return time.perf_counter() - started, response.status, body

    def log_in(self) -> None:
        _t, _s, body = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert token, "no CSRF token on the login page"
        data = urllib.parse.urlencode({"username": ADMIN, "password": PASSWORD,
                                       "csrfmiddlewaretoken": token.group(1).decode(),
                                       "next": "/"}).encode()
        request = urllib.request.Request(self.base + "/login/", data=data,
                                         headers={"Referer": self.base + "/login/"})
        with self.opener.open(request, timeout=60) as response:
            assert b"Hello" in response.read() or response.status == 200


def wait_for(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/login/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer")


def scripts(html: bytes) -> list[str]:
    return [s.decode() for s in re.findall(rb'<script src="([^"]+)"', html)]


def first_load(browser: Browser, path: str) -> dict[str, float]:
    """The page, then each script it names (fetched one after another: an upper bound)."""
    page_s, status, html = browser.get(path)
    assert status == 200, (path, status)
    script_s, script_bytes = 0.0, 0
    for src in scripts(html):
        seconds, _status, body = browser.get(src)
        script_s += seconds
        script_bytes += len(body)
    return {"page": page_s, "scripts": script_s, "total": page_s + script_s,
            "html_kb": len(html) / 1024, "scripts_kb": script_bytes / 1024}


def warm(browser: Browser, path: str, n: int) -> list[float]:
    return [browser.get(path)[0] for _ in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    db = sqlite_database()
    server = None
    try:
        say(f"demo with {args.customers:,} customers in {db.data_dir}")
        db.vinculo("demo", "--customers", str(args.customers), "--password", PASSWORD,
                   "--no-progress")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([VINCULO, "serve", "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", "1"], env=db.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(base)
        browser = Browser(base)
        browser.log_in()
        say("measuring")
        cold = {"analytics": first_load(browser, "/analytics/"),
                "reference": first_load(browser, "/customers/accounts/")}
        runs = {"analytics": warm(browser, "/analytics/", args.requests),
                "reference": warm(browser, "/customers/accounts/", args.requests)}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            db.drop()
        else:
            say(f"kept {db.data_dir}")

    rows = []
    for name, path in (("analytics", "/analytics/"), ("reference", "/customers/accounts/")):
        c, w = cold[name], runs[name]
        rows.append((f"{name} {path}", f"{c['page'] * 1000:.0f}", f"{c['scripts'] * 1000:.0f}",
                     f"{c['total'] * 1000:.0f}", f"{c['html_kb']:.0f}",
                     f"{c['scripts_kb']:.0f}", f"{percentile(w, 50) * 1000:.0f}",
                     f"{percentile(w, 95) * 1000:.0f}"))
    headers = ("page", "cold page ms", "cold scripts ms", "cold first load ms", "HTML KiB",
               "scripts KiB (gzip)", "warm p50 ms", "warm p95 ms")
    print(table(headers, rows))
    ratio_cold = cold["analytics"]["page"] / cold["reference"]["page"]
    ratio_warm = percentile(runs["analytics"], 50) / percentile(runs["reference"], 50)
    verdict = "PASS" if cold["analytics"]["total"] < TARGET_S else "FAIL"
    print(f"\nratio analytics ÷ reference: cold page {ratio_cold:.2f}, warm p50 {ratio_warm:.2f}")
    print(f"{verdict}: cold first load {cold['analytics']['total'] * 1000:.0f} ms "
          f"(target < {TARGET_S * 1000:.0f} ms)\n")
    print(markdown(headers, rows))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
