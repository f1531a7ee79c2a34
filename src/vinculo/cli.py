"""The ``vinculo`` command: operator commands on top of every Django management command.

``vinculo serve``, ``vinculo demo``, ``vinculo createorg``… are management commands of the
``core`` app; this entry point only sets the settings module and hands over to Django.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vinculo", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
