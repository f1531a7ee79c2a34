"""``vinculo serve``: migrate if needed, collect static files, and serve with gunicorn."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from vinculo.core.staticfiles import collect_if_changed

# The longest path a Unix socket can be bound at (sun_path: 108 bytes on Linux, 104 on macOS).
UNIX_SOCKET_PATH_MAX = 103


def default_host() -> str:
    """The host ``vinculo serve`` binds without ``--host`` (``VINCULO_HOST``)."""
    return os.environ.get("VINCULO_HOST", "127.0.0.1")


def default_port() -> int:
    """The port ``vinculo serve`` binds without ``--port`` (``PORT``)."""
    return int(os.environ.get("PORT", "8000"))


def address(host: str, port: int) -> str:
    """The URL of a server bound at ``host``:``port``."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def migrate_if_needed() -> None:
    """Apply pending migrations (a fresh data directory has none applied)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


def control_socket_args(port: int) -> list[str]:
    """gunicorn's options for its control socket (``gunicornc``), where it has one (≥ 25.1).

    Its default is one path per user (``~/.gunicorn/gunicorn.ctl``): a second ``vinculo serve``
    on the host would take that path over from the first, and whichever stops first would
    remove it. Each serve listens on its own, in the data dir and named by its port; where that
    path is too long for a Unix socket, the control socket is off.
    """
    from gunicorn.config import KNOWN_SETTINGS

    if not any(setting.name == "control_socket" for setting in KNOWN_SETTINGS):
        return []
    path = settings.DATA_DIR / f"gunicorn-{port}.ctl"
    if len(os.fsencode(path)) > UNIX_SOCKET_PATH_MAX:
        return ["--no-control-socket"]
    return ["--control-socket", str(path)]


class Command(BaseCommand):
    help = "Apply pending migrations and serve Vínculo (gunicorn; --dev for Django's server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=default_host())
        parser.add_argument("--port", type=int, default=default_port())
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3"))
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("VINCULO_THREADS", "4")),
            help="Threads per worker (gunicorn's gthread worker; 1: the sync worker).",
        )
        parser.add_argument(
            "--dev", action="store_true", help="Django's development server with auto-reload."
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        workers: int,
        threads: int,
        dev: bool,
        **options: Any,
    ) -> None:
        migrate_if_needed()
        # In every profile: the hashed, compressed copies and the manifest whitenoise serves
        # them from (a far-future cache); a changed file gets a new name. Collected again only
        # when a source changed.
        collect_if_changed()
        if dev:
            call_command("runserver", f"{host}:{port}")
            return
        # gunicorn forks its workers from this process: a database connection left open here
        # (migrate's) would be inherited by every worker, which would then all talk to the
        # server over one socket ("lost synchronization with server", hung requests). Each
        # worker opens its own on its first query.
        connections.close_all()
        from gunicorn.app.wsgiapp import WSGIApplication

        self.stdout.write(f"Vínculo at {address(host, port)}/")
        control = control_socket_args(port)
        if control == ["--no-control-socket"]:
            self.stdout.write(
                f"gunicorn's control socket is off: the path under {settings.DATA_DIR} would be "
                "too long for a Unix socket."
            )
        argv = [
            "gunicorn",
            "vinculo.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            # gthread: each worker answers several requests at once and keeps connections
            # alive (the sync worker closes each one, so every request pays a new TCP
            # connection, and one slow client holds a whole worker: there is no buffering
            # proxy in front of a plain `vinculo serve`).
            "--threads",
            str(max(threads, 1)),
            "--access-logfile",
            "-",
            *control,
        ]
        import sys

        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
