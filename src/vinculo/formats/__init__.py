"""Number and date formats where Vínculo departs from Django's locale defaults
(``FORMAT_MODULE_PATH``); only the names set here are overridden."""
