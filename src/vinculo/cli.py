"""The ``vinculo`` command: operator commands on top of every Django management command.

``vinculo serve``, ``vinculo demo``, ``vinculo createorg``… are management commands of the
``core`` app; this entry point only sets the settings module and hands over to Django.
"""

from __future__ import annotations

import os
import sys

# Commands that read and write only the files they are given: no data directory is created.
NO_DATA_COMMANDS = {"analytics"}


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
    if args and args[0] in NO_DATA_COMMANDS:
        os.environ.setdefault("VINCULO_NO_DATA_DIR", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vinculo", *args])


if __name__ == "__main__":
    main()
