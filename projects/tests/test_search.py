"""Search (`q`): full-text search on PostgreSQL, word matching on SQLite, behind one ProjectQuerySet.search().

Tests of what only PostgreSQL does (stemming, highlighting, the GIN index) run on both databases: on
PostgreSQL they check it, on SQLite they check what SQLite does instead. CI runs the suite on both.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from projects.models import Area, Donor, Funding, Partner, Project, SearchDocument
from projects.querysets import search_ranks, search_terms

from .factories import make_area, make_donor, make_funding, make_partner, make_partnership, make_project
from .support.html import listed_titles, page_text

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")


def on_postgresql():
    return connection.vendor == "postgresql"


def found(client, query):
    """The titles the list shows for `q=query`, in page order."""
    response = client.get(LIST, {"q": query})
    assert response.status_code == 200, response.content.decode()[:1000]
    return listed_titles(response)


@pytest.fixture
def projects(db):
    eu = make_donor("European Union", slug="eu", short_name="EU")
    inl = make_donor("International Narcotics and Law Enforcement Affairs", slug="inl", short_name="INL")
    border, asylum = make_area("Border management", slug="border"), make_area("Asylum and reception", slug="asylum")
    police = make_project(
        "Border Police Equipment", areas=[border], text="Vehicles for the border police at the crossings with Bulgaria."
    )
    make_funding(police, eu, amount="1000000", currency="EUR")
    smuggling = make_project(
        "Fighting Smuggling", areas=[border], text="Training of police officers at the borders, against smugglers."
    )
    make_funding(smuggling, inl, amount="650000", currency="USD")
    centres = make_project(
        "Reception Centres Upgrade", areas=[asylum], text="Beds and kitchens for asylum seekers in Obrenovac."
    )
    make_partnership(centres, make_partner("Commissariat for Refugees and Migration", slug="commissariat"))
    make_project("Hidden Border Draft", text="A border project not yet published.", is_published=False)


# What both databases find ----------------------------------------------------------------------------------


def test_search_finds_a_word_of_the_title_or_the_text(client, projects):
    assert found(client, "Equipment") == ["Border Police Equipment"]
    assert found(client, "kitchens") == ["Reception Centres Upgrade"]


def test_search_finds_projects_by_the_name_of_their_donor_area_or_partner(client, projects):
    assert found(client, "European") == ["Border Police Equipment"]
    assert found(client, "INL") == ["Fighting Smuggling"]
    assert found(client, "reception") == ["Reception Centres Upgrade"]
    assert found(client, "Commissariat") == ["Reception Centres Upgrade"]
    assert sorted(found(client, "management")) == ["Border Police Equipment", "Fighting Smuggling"]


def test_search_needs_every_word(client, projects):
    assert found(client, "border Bulgaria") == ["Border Police Equipment"]
    assert found(client, "asylum Bulgaria") == []


def test_search_ignores_case(client, projects):
    assert found(client, "OBRENOVAC") == ["Reception Centres Upgrade"]


def test_a_word_finds_its_plural(client, projects):
    # "border" is in the second project's text only as "borders": PostgreSQL stems it, SQLite finds it inside.
    assert sorted(found(client, "border")) == ["Border Police Equipment", "Fighting Smuggling"]


def test_a_minus_leaves_out_the_projects_with_that_word(client, projects):
    assert found(client, "police -Bulgaria") == ["Fighting Smuggling"]
    assert found(client, "-asylum -police") == []


def test_a_quoted_phrase_needs_its_words_together_and_in_order(client, projects):
    assert found(client, '"border police"') == ["Border Police Equipment"]
    assert found(client, '"police border"') == []


def test_search_never_lists_unpublished_projects(client, projects):
    assert "Hidden Border Draft" not in found(client, "published")
    assert "Hidden Border Draft" not in found(client, "border")


def test_a_search_lists_title_matches_before_text_matches(client, projects):
    # "smuggling" is in one title; the other project's text only says "smugglers".
    make_project("Airport Training", text="Against smuggling of migrants through the airport.")
    assert found(client, "smuggling") == ["Fighting Smuggling", "Airport Training"]


def test_a_search_sorted_by_title_lists_by_title_instead(client, projects):
    make_project("Airport Training", text="Against smuggling of migrants through the airport.")
    response = client.get(LIST, {"q": "smuggling", "sort": "title"})
    assert listed_titles(response) == ["Airport Training", "Fighting Smuggling"]


def test_a_search_offers_best_match_as_its_sort(client, projects):
    html = client.get(LIST, {"q": "police"}).content.decode()
    assert '<option value="relevance">Best match</option>' in html  # the first option: what the browser shows
    assert html.index('value="relevance"') < html.index('value="title"')


def test_best_match_without_search_words_lists_by_title(client, projects):
    response = client.get(LIST, {"sort": "relevance"})
    assert listed_titles(response) == ["Border Police Equipment", "Fighting Smuggling", "Reception Centres Upgrade"]


@pytest.mark.parametrize("query", ["-", '"', '""', "- -", "--"])
def test_a_search_with_no_word_in_it_finds_nothing(client, projects, query):
    assert found(client, query) == []


@pytest.mark.parametrize(
    "query",
    [
        "'",
        "\\",
        "border:*",
        "border & police",
        "border | police",
        "!border",
        "(border",
        "border)",
        "<->",
        "border <-> police",
        '"border',
        'border"',
        '"unbalanced "quotes',
        "a:b:c",
        "--border",
        '-"border police"',
        "or",
        "border or police",
        "Šid – 漢字 😀",
        "%",
        "_",
        "100% _x_",
        "\u200b",
        "\ufeff",
        "' OR 1=1 --",
    ],
)
def test_odd_search_syntax_is_read_as_words_never_an_error(client, projects, query):
    response = client.get(LIST, {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("a\x00b", "Null characters are not allowed."),
        ("x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_a_null_character_or_an_overlong_search_answers_400_and_says_why(client, projects, query, message):
    response = client.get(LIST, {"q": query})
    assert response.status_code == 400
    assert message in page_text(response)


def test_search_terms_reads_phrases_and_minus_words_as_postgresql_does():
    assert search_terms('"border  police" -asylum centres') == (["border police", "centres"], ["asylum"])
    assert search_terms('- "" -"" "a') == (["a"], [])


# What only PostgreSQL does, and what SQLite does instead ------------------------------------------------------


def test_stemming_finds_other_forms_of_a_word_on_postgresql_only(client, projects):
    # "borders" stems to "border"; SQLite matches letters, and "borders" is not inside "border".
    expected = ["Border Police Equipment", "Fighting Smuggling"] if on_postgresql() else ["Fighting Smuggling"]
    assert sorted(found(client, "borders")) == expected


def test_matches_are_highlighted_on_postgresql_and_rows_are_plain_on_sqlite(client, projects):
    html = client.get(LIST, {"q": "Bulgaria police"}).content.decode()
    if on_postgresql():
        assert '<a href="/projects/border-police-equipment/">Border <mark>Police</mark> Equipment</a>' in html
        assert "the border <mark>police</mark> at the crossings with <mark>Bulgaria</mark>" in html
    else:
        assert "<mark>" not in html
        assert '<a href="/projects/border-police-equipment/">Border Police Equipment</a>' in html


def test_highlighting_escapes_the_text_and_marks_only_the_matches(client):
    make_project(
        "Police <b>Project</b>",
        slug="tags-project",
        text='Police at the border <script>alert("x")</script> & <mark>fake</mark> <img src=x onerror=alert(1)>.',
    )
    html = client.get(LIST, {"q": "police"}).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Project</b>" not in html
    assert "<mark>fake</mark>" not in html
    if on_postgresql():
        assert ">Police &lt;b&gt;Project&lt;/b&gt;</a>" not in html  # the title is highlighted...
        assert "><mark>Police</mark> &lt;b&gt;Project&lt;/b&gt;</a>" in html  # ...and still escaped
        # A passage of the text: PostgreSQL drops tag-like words from it; the rest is escaped.
        assert "<mark>Police</mark> at the border" in html
        assert "&amp;" in html and "&lt;img src=x onerror=alert" in html
        assert html.count("<mark>") == 2
    else:
        assert "<mark>" not in html
        assert ">Police &lt;b&gt;Project&lt;/b&gt;</a>" in html


def test_the_search_document_is_stored_on_postgresql_and_empty_on_sqlite(projects):
    vectors = dict(SearchDocument.objects.values_list("project__slug", "vector"))
    if on_postgresql():
        assert set(vectors) == set(Project.objects.values_list("slug", flat=True))
        # Weights: title A, names of donors/areas/partners B, text C.
        vector = vectors["border-police-equipment"]
        assert "'equip':3A" in vector
        assert "'european':" in vector and "B" in vector.split("'european':")[1].split(" ")[0]
        assert "'bulgaria':" in vector and vector.split("'bulgaria':")[1].split(" ")[0].endswith("C")
        assert all(vectors.values())
    else:
        assert vectors == {}
        Project.objects.refresh_derived()
        assert not SearchDocument.objects.exists()


def test_a_deleted_project_takes_its_search_document_with_it(projects):
    """Deleting a project deletes its grants first; their signals must not write its document again (on
    PostgreSQL that reference would break when the transaction commits). Likewise for a QuerySet's delete()."""
    project = Project.objects.get(slug="border-police-equipment")
    assert project.fundings.exists()
    project.delete()
    others = Project.objects.filter(fundings__isnull=False).distinct()
    gone = set(others.values_list("pk", flat=True))
    assert gone
    Project.objects.filter(pk__in=gone).delete()
    assert not SearchDocument.objects.filter(project_id__in={project.pk, *gone}).exists()
    assert SearchDocument.objects.count() == (Project.objects.count() if on_postgresql() else 0)


def test_the_gin_index_answers_searches_on_postgresql(projects):
    """On a larger table the planner would pick the index by itself; here sequential scans are switched off."""
    if not on_postgresql():
        assert "search_document_vector_gin" not in set(
            connection.introspection.get_constraints(connection.cursor(), "projects_searchdocument")
        )
        return
    for queryset in (Project.objects.search("border police"), SearchDocument.objects.filter(vector="border")):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "search_document_vector_gin" in plan, plan
        assert "Seq Scan on projects_searchdocument" not in plan, plan


def test_search_ranks_are_those_search_gives(projects):
    """The list's ranking (search_ranks(), on the search documents alone) finds and ranks as search() does."""
    for words in ("border", "border police", '"border management"', "serbia -police", "nothing-matches-this"):
        ranks = search_ranks(Project, words, "default")
        expected = Project.objects.search(words).values_list("pk", "search_rank")
        assert sorted(ranks) == sorted(expected)
        assert sorted(search_ranks(Project, words, "default", ranked=False)) == sorted(pk for pk, _ in expected)


# The document follows every edit (PostgreSQL); SQLite reads the rows themselves, so the same tests hold ------


def test_editing_a_title_or_text_updates_the_search(client, projects):
    project = Project.objects.get(slug="reception-centres-upgrade")
    project.title = "Accommodation Upgrade"
    project.text = "Beds for asylum seekers in Krnjaca."
    project.save()
    assert found(client, "Krnjaca") == ["Accommodation Upgrade"]
    assert found(client, "Obrenovac") == []


def test_renaming_a_donor_updates_the_search(client, projects):
    donor = Donor.objects.get(slug="eu")
    donor.name, donor.short_name = "Delegation of the Union", "DEU"
    donor.save()
    assert found(client, "Delegation") == ["Border Police Equipment"]
    assert found(client, "DEU") == ["Border Police Equipment"]
    assert found(client, "European") == []


def test_renaming_an_area_or_a_partner_updates_the_search(client, projects):
    area = Area.objects.get(slug="asylum")
    area.name = "Protection"
    area.save()
    partner = Partner.objects.get(slug="commissariat")
    partner.name = "Serbian Refugee Bureau"
    partner.save()
    assert found(client, "Protection") == ["Reception Centres Upgrade"]
    assert found(client, "Bureau") == ["Reception Centres Upgrade"]
    assert found(client, "Commissariat") == []


def test_adding_and_removing_a_donor_updates_the_search(client, projects):
    project = Project.objects.get(slug="reception-centres-upgrade")
    grant = make_funding(project, Donor.objects.get(slug="inl"), amount=None)
    assert sorted(found(client, "INL")) == ["Fighting Smuggling", "Reception Centres Upgrade"]
    grant.delete()
    assert found(client, "INL") == ["Fighting Smuggling"]


def test_adding_removing_and_clearing_areas_from_either_side_updates_the_search(client, projects):
    project = Project.objects.get(slug="reception-centres-upgrade")
    border = Area.objects.get(slug="border")
    project.areas.add(border)
    assert "Reception Centres Upgrade" in found(client, "management")
    project.areas.remove(border)
    assert "Reception Centres Upgrade" not in found(client, "management")
    border.projects.add(project)
    assert "Reception Centres Upgrade" in found(client, "management")
    border.projects.clear()
    assert found(client, "management") == []
    Area.objects.get(slug="asylum").projects.remove(project)
    assert found(client, "reception") == ["Reception Centres Upgrade"]  # still in its title
    assert found(client, "asylum") == ["Reception Centres Upgrade"]  # still in its text


def test_deleting_an_area_updates_the_search(client, projects):
    Area.objects.get(slug="border").delete()
    assert found(client, "management") == []


def test_removing_a_partner_updates_the_search(client, projects):
    Project.objects.get(slug="reception-centres-upgrade").partnerships.get().delete()
    assert found(client, "Commissariat") == []


def test_after_reload_catalogue_the_catalogue_is_searchable_by_donor_and_text(client, settings):
    settings.CATALOGUE_FIXTURES_DIR = settings.BASE_DIR / "fixtures"
    call_command("reload_catalogue", verbosity=0)
    assert found(client, "INL") == ["Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)"]
    assert "EU Supports Serbia to Improove Border Management in the Context of the Migration Crisis" in found(
        client, "Bulgaria"
    )
    if on_postgresql():
        assert not Project.objects.filter(search_document__vector__isnull=True).exists()


def test_bulk_changes_are_searchable_after_refresh_derived(client, projects):
    """update() sends no signals; refresh_derived() is what the operator runs after one."""
    Project.objects.filter(slug="fighting-smuggling").update(title="Fighting Trafficking")
    Project.objects.all().refresh_derived()
    assert found(client, "Trafficking") == ["Fighting Trafficking"]


def test_a_grant_moved_to_another_project_is_searchable_there(client, projects):
    grant = Funding.objects.get(donor__slug="inl")
    grant.project = Project.objects.get(slug="reception-centres-upgrade")
    grant.save()
    assert found(client, "INL") == ["Reception Centres Upgrade"]
