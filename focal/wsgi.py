"""WSGI entry point (the web server, focal/webserver.py, serves `application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focal.settings")
application = get_wsgi_application()
