"""The portal's URLs. Public paths are a contract: keep them stable."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from projects.urls import unprefixed_urlpatterns
from projects.views import healthz

admin.site.site_header = _("IOM Serbia Project Catalogue: staff")
admin.site.site_title = _("IOM Serbia Project Catalogue")
admin.site.index_title = _("Edit the catalogue")

urlpatterns = [
    path("admin/", admin.site.urls),
    # For load balancers and uptime checks; outside any language prefix, never cached.
    path("healthz", healthz, name="healthz"),
    # Exports, sitemap.xml and robots.txt: outside any language prefix too.
    path("", include(unprefixed_urlpatterns)),
]
# The pages: English at the addresses of the contract (/projects/), Serbian under /sr-latn/ (/sr-latn/projects/).
urlpatterns += i18n_patterns(path("", include("projects.urls")), prefix_default_language=False)
