"""The portal's URLs. Public paths are a contract: keep them stable."""
from django.contrib import admin
from django.urls import include, path

from projects.urls import unprefixed_urlpatterns
from projects.views import healthz

admin.site.site_header = "IOM Serbia Project Catalogue: staff"
admin.site.site_title = "IOM Serbia Project Catalogue"
admin.site.index_title = "Edit the catalogue"

urlpatterns = [
    path("admin/", admin.site.urls),
    # For load balancers and uptime checks; outside any language prefix, never cached.
    path("healthz", healthz, name="healthz"),
    # Exports, sitemap.xml and robots.txt: outside any language prefix too.
    path("", include(unprefixed_urlpatterns)),
    path("", include("projects.urls")),
]
