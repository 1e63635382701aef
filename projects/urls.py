"""Public URLs. They are a contract: stable and shareable; change none without a redirect."""

from django.urls import path

from . import views
from .feeds import ProjectFeed
from .sitemaps import SITEMAPS

app_name = "projects"

# The pages, in every language: portal/urls.py puts them under a language prefix (/sr-latn/) for Serbian.
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("projects/", views.ProjectListView.as_view(), name="project_list"),
    # The list's feed (Atom), taking the list's filters; in every language, like the list.
    path("projects/feed.atom", ProjectFeed(), name="project_feed"),
    path("projects/<slug:slug>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("donors/", views.DonorListView.as_view(), name="donor_list"),
    path("donors/<slug:slug>/", views.DonorDetailView.as_view(), name="donor_detail"),
    path("areas/", views.AreaListView.as_view(), name="area_list"),
    path("areas/<slug:slug>/", views.AreaDetailView.as_view(), name="area_detail"),
    path("places/", views.PlaceListView.as_view(), name="place_list"),
    path("places/<slug:slug>/", views.PlaceDetailView.as_view(), name="place_detail"),
    path("context/", views.ContextView.as_view(), name="context"),
]

# Files, not pages: the same in every language, so never under a language prefix. portal/urls.py
# includes them without a namespace, beside /healthz.
unprefixed_urlpatterns = [
    path("projects/export.csv", views.ProjectExportView.as_view(file_format="csv"), name="project_export_csv"),
    path("projects/export.json", views.ProjectExportView.as_view(file_format="json"), name="project_export_json"),
    path(
        "projects/<slug:slug>/cite.bib", views.ProjectCitationView.as_view(file_format="bib"), name="project_cite_bib"
    ),
    path(
        "projects/<slug:slug>/cite.ris", views.ProjectCitationView.as_view(file_format="ris"), name="project_cite_ris"
    ),
    path(
        "projects/<slug:slug>/cite.json",
        views.ProjectCitationView.as_view(file_format="json"),
        name="project_cite_json",
    ),
    path("context/export.csv", views.ContextExportView.as_view(file_format="csv"), name="context_export_csv"),
    path("context/export.json", views.ContextExportView.as_view(file_format="json"), name="context_export_json"),
    # The index, then one file per section (and ?p=2, ... when a section holds more than one file's worth).
    path("sitemap.xml", views.sitemap_index, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, {"sitemaps": SITEMAPS}, name="sitemap_section"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
