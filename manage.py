#!/usr/bin/env python
"""Django's manage.py, for those who expect it; ``vinculo`` is the same command."""

from vinculo.cli import main

if __name__ == "__main__":
    main()
