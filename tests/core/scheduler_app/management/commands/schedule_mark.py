"""Append one line (name, process id) to ``<data dir>/marks.txt``: the proof that a job ran."""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("--seconds", type=float, default=0.0)

    def handle(self, *args: Any, name: str, seconds: float, **opts: Any) -> None:
        time.sleep(seconds)
        with open(settings.DATA_DIR / "marks.txt", "a") as marks:  # O_APPEND: whole lines
            marks.write(f"{name} {os.getpid()}\n")
