"""The portal's URLs. Public paths are a contract: keep them stable."""
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "IOM Serbia Project Catalogue: staff"
admin.site.site_title = "IOM Serbia Project Catalogue"
admin.site.index_title = "Edit the catalogue"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("projects.urls")),
]
