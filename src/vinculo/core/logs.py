"""Logging filters named by ``settings.LOGGING``."""

from __future__ import annotations

import logging


class ClientErrorsOneLine(logging.Filter):
    """A 4xx answer (a 403 for a role without the permission, a 404) is an ordinary outcome:
    Django logs it with the exception that produced it, a full traceback per request. Keep the
    line, drop the traceback; a 5xx keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
