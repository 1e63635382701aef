"""Editors and their admin forms, as the staff tests drive them over the test client."""

from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from .html import form_fields


def make_editor(username="ana", password="a long editor password 1"):
    """A staff user in the Editors group, named after `username` ("ana" -> "Ana")."""
    user = User.objects.create_user(username, password=password, is_staff=True, first_name=username.title())
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def signed_in(user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def change_url(obj):
    return reverse(f"admin:projects_{obj._meta.model_name}_change", args=[obj.pk])


def open_form(client, url):
    """The change form at `url` as the browser would post it back: every field with its shown value."""
    response = client.get(url)
    assert response.status_code == 200
    return form_fields(response.content, f"{response.context['opts'].model_name}_form")
