"""WSGI entry point for gunicorn (`vinculo serve`): the apps' lean routes (``core.lean``)
without the middleware, everything else through the full stack."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vinculo.settings")
application = get_wsgi_application()

from vinculo.core.lean import dispatcher  # noqa: E402  (after Django is set up)

application = dispatcher(application)
