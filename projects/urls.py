"""Public URLs. They are a contract: stable and shareable; change none without a redirect."""
from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("projects/", views.ProjectListView.as_view(), name="project_list"),
    path("projects/<slug:slug>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("donors/", views.DonorListView.as_view(), name="donor_list"),
    path("donors/<slug:slug>/", views.DonorDetailView.as_view(), name="donor_detail"),
    path("areas/", views.AreaListView.as_view(), name="area_list"),
    path("areas/<slug:slug>/", views.AreaDetailView.as_view(), name="area_detail"),
]
