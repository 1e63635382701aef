"""Site-wide response behaviour that Django has no setting for."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY on every response: features the portal never uses stay off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class DatabaseUnavailableMiddleware:
    """While the database is down or restarting, answer 503 with a page that says so.

    A lost connection is not a bug in the portal: a 503 with Retry-After tells browsers,
    crawlers and the load balancer to come back, and Django's connection health checks
    (CONN_HEALTH_CHECKS) reconnect by themselves on the next request once it is back.
    """

    retry_after_seconds = 10

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable for %s: %s", request.path, exception)
        response = TemplateResponse(request, "503.html", status=503)
        response["Retry-After"] = str(self.retry_after_seconds)
        response["Cache-Control"] = "no-store"
        return response.render()


class StaffLanguageMiddleware:
    """The admin in the staff member's language: from the language cookie or the browser's Accept-Language.

    Public pages take their language from the address (LocaleMiddleware: /sr-latn/... or English), but the
    admin has no language prefix, and LocaleMiddleware gives every unprefixed address the default language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(reverse("admin:index")):
            translation.activate(translation.get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
