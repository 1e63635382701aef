urlpatterns = []; app_name="projects"
