"""Site-wide response behaviour that Django has no setting for."""

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.middleware.security import SecurityMiddleware
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)


class AllowedHostsMiddleware:
    """A request for a Host outside ALLOWED_HOSTS gets the portal's 400 page, and the log one line.

    Django would raise DisallowedHost from the first get_host() (the HTTPS redirect, the page cache,
    CSRF), log it with a traceback and render the 400 page from there. Such requests are everyday
    noise from scanners, not bugs: first in MIDDLEWARE, this answers them before anything asks for
    the host, and the 400 page's context processors never ask for it unguarded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.get_host()
        except DisallowedHost as error:
            logger.warning("Refused a request for %r: %s", request.path, error)
            response = TemplateResponse(request, "400.html", status=400)
            response["Cache-Control"] = "no-store"
            response.render()
            # The headers every other answer gets from the middleware this one runs before.
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
            for middleware in (SecurityMiddleware, ContentSecurityPolicyMiddleware):
                response = middleware(self.get_response).process_response(request, response)
            return response
        return self.get_response(request)


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
