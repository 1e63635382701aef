"""Third-party apps as staff see them in the admin."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class SignInAttemptsConfig(AxesAppConfig):
    """django-axes, whose admin section would otherwise be called "Axes", which means nothing to an editor."""

    verbose_name = _("Sign-in attempts")
