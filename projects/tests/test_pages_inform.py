"""Pages that inform (issue 11): list rows that say what and when, provenance marked in the verbatim text,
facts the text does not give on one line, and the entry's public history."""

import html
import re

import pytest
import reversion
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects.models import Project

from .factories import make_figure, make_funding, make_partnership, make_project
from .support.html import source_marks

LIST = reverse("projects:project_list")


def prose_of(response):
    return re.search(r'<div class="prose"[^>]*>(.*?)</div>', response.content.decode(), flags=re.S)[1]


def visible(fragment, tags_as=""):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", tags_as, fragment)).split())


# After a sentence that gives several facts: the interface's links to each of them, not the text's words.
REFERENCES = re.compile(r'<sup class="source-refs"[^>]*>(.*?)</sup>', flags=re.S)


def text_of(prose):
    """The verbatim text a reader sees in the prose, without the reference links after multi-fact sentences."""
    return visible(REFERENCES.sub("", prose))


def test_a_list_row_opens_with_the_texts_first_sentence_cut_at_a_word_with_an_ellipsis(client, catalogue):
    page = client.get(LIST).content.decode()
    openings = [visible(o) for o in re.findall(r'<p class="project-summary__opening"[^>]*>(.*?)</p>', page, flags=re.S)]
    assert "In 2015 the Republic of Serbia was faced with large-scale movements of refugees and migrants." in openings
    croboweb = Project.objects.get(slug="croboweb-cross-border-cooperation")
    (cut,) = [o for o in openings if o.startswith("This one year project")]
    assert cut.endswith("…") and len(cut) <= 221
    # Verbatim up to the cut, which falls between two words.
    words = cut[:-1]
    assert " ".join(croboweb.text.split()).startswith(words)
    assert " ".join(croboweb.text.split())[len(words)] in " ,;:"


def test_a_list_row_says_start_duration_and_places_only_when_stated(client, catalogue):
    page = client.get(LIST).content.decode()
    rows = {
        m[1]: m[0]
        for m in re.finditer(r'<li class="project-summary">.*?href="/projects/([^/]+)/".*?</dl>', page, flags=re.S)
    }
    increasing = visible(rows["increasing-capacities-irregular-migration"], " ")
    assert "Start September 2015" in increasing and "Places Serbia" in increasing and "Duration" not in increasing
    assert "Duration 1 year" in visible(rows["croboweb-cross-border-cooperation"], " ")
    assert "Status" not in increasing  # the same on every row: said once, by the status facet


def test_sorting_by_title_ignores_case(client, catalogue):
    titles = re.findall(
        r'class="project-summary__title"[^>]*><a href="[^"]+">([^<]+)</a>', client.get(LIST).content.decode()
    )
    assert titles.index("Increasing Capacities For Addressing Irregular Migration In Serbia") < titles.index(
        "IOM Migrants and Refugees in the Republic of Serbia"
    )
    descending = re.findall(
        r'class="project-summary__title"[^>]*><a href="[^"]+">([^<]+)</a>',
        client.get(f"{LIST}?sort=-title").content.decode(),
    )
    assert descending == titles[::-1]


def test_the_filters_come_before_the_results_folded_in_a_details_that_counts_the_active_ones(client, catalogue):
    page = client.get(f"{LIST}?donor=european-union&area=border-management").content.decode()
    assert page.index('<details class="filters-panel"') < page.index('<div class="results">')
    assert re.search(r"<summary[^>]*>.*?\(2 filters active\)</span></summary>", page, flags=re.S)
    assert "filters active" not in client.get(LIST).content.decode()


def test_the_text_stays_verbatim_and_marks_each_figures_sentence_linked_both_ways(client, catalogue):
    project = Project.objects.get(slug="information-management-communication-and-planning")
    response = client.get(project.get_absolute_url())
    page = response.content.decode()
    prose = prose_of(response)
    assert text_of(prose) == " ".join(project.text.split())
    for figure in project.figures.all():
        card = re.search(
            rf'<div class="figure-card" id="figure-{figure.key}">(.*?)(?=<div class="figure-card"|</section>)',
            page,
            flags=re.S,
        )
        assert card, figure.key
        assert f'href="#source-figure-{figure.key}"' in card[1]
        # The sentence is marked: the mark's id, or an anchor inside the mark, is the figure's.
        assert re.search(rf'id="source-figure-{figure.key}"', prose)
    passed = project.figures.get(value_low=700000)
    (mark,) = [mark for mark in source_marks(prose) if f"source-figure-{passed.key}" in mark["ids"]]
    assert f"figure-{passed.key}" in mark["targets"]
    assert mark["words"] == " ".join(passed.source_sentence.split())


def test_a_sentence_that_backs_two_facts_is_marked_once_and_links_to_each_fact(client, db):
    sentence = "The EU gave EUR 5,000 for 300 beds."
    project = make_project("Beds Project", text=f"Intro words. {sentence} Closing words.")
    funding = make_funding(project, amount="5000", currency="EUR", source_sentence=sentence)
    figure = make_figure(project, key="beds", value_low=300, source_sentence=sentence)
    page = client.get(project.get_absolute_url()).content.decode()
    prose = re.search(r'<div class="prose"[^>]*>(.*?)</div>', page, flags=re.S)[1]
    assert prose.count('class="source-mark"') == 1
    assert f'id="source-figure-{figure.key}"' in prose
    assert text_of(prose) == " ".join(project.text.split())
    # From the sentence to each fact: one reference link each, right after the sentence.
    references = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', REFERENCES.search(prose)[1])
    assert references == [(f"grant-{funding.donor.slug}", "grant"), ("figure-beds", "figure")]
    for anchor, _words in references:
        assert f'id="{anchor}"' in page
    # And back: each fact's card leads to its own anchor inside the one mark.
    assert f'href="#source-grant-{funding.donor.slug}"' in page
    assert 'href="#source-figure-beds"' in page


def test_two_figures_of_one_sentence_are_told_apart_by_what_they_say(client, catalogue):
    page = client.get(
        reverse("projects:project_detail", args=["information-management-communication-and-planning"])
    ).content.decode()
    sentence = "In January 2017 there are some 4,000 migrants accommodated in 18 asylum and reception centres."
    (mark,) = [mark for mark in source_marks(page) if mark["words"] == sentence]
    refs = REFERENCES.search(page, page.index(f'id="{mark["id"]}"'))[1]
    assert [visible(link) for link in re.findall(r"<a [^>]+>(.*?)</a>", refs)] == ["18 centres", "some 4,000 people"]


def test_the_start_date_and_duration_link_to_the_sentences_that_give_them_and_back(client, catalogue):
    for slug, fact, words in [
        ("increasing-capacities-irregular-migration", "start", "September 2015"),
        ("croboweb-cross-border-cooperation", "duration", "1 year"),
    ]:
        project = Project.objects.get(slug=slug)
        page = client.get(project.get_absolute_url()).content.decode()
        row = re.search(
            rf'<div id="fact-{fact}"><dt>[^<]+</dt><dd><a href="#([^"]+)"[^>]*>([^<]+)</a></dd></div>', page
        )
        assert row and row[2] == words, slug
        assert row[1] == f"source-fact-{fact}"
        # The anchor stands inside the mark of the sentence the project keeps for that fact.
        mark = re.search(
            rf'<span class="source-mark"[^>]*>(?:<span id="[^"]+"></span>)*?<span id="{row[1]}"></span>', page
        )
        assert mark, slug
        sentence = getattr(project, f"{fact}_sentence")
        assert sentence and " ".join(sentence.split()) in " ".join(project.text.split())
        refs = REFERENCES.search(page[mark.start() :])[1]
        assert f'href="#fact-{fact}"' in refs


def test_a_date_sentence_must_be_the_texts_own_words_and_back_a_stated_date(db):
    from django.core.exceptions import ValidationError

    project = make_project("Dated Project", text="It started in May 2016. It ran for two years.")
    project.start_sentence = "It started in June 2016."
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "start_sentence" in error.value.message_dict
    project.start_sentence = "It started in May 2016."
    with pytest.raises(ValidationError) as error:
        project.full_clean()  # the sentence backs a start date that is empty
    assert "start_sentence" in error.value.message_dict
    project.start_date = __import__("datetime").date(2016, 5, 1)
    project.duration_sentence = "It ran for two years."
    project.duration_months = 24
    project.full_clean()


def test_markup_in_the_text_is_escaped_inside_and_outside_a_mark(client, db):
    sentence = "Some <b>4,000</b> people & more were counted."
    project = make_project("Escaping Project", text=f"<script>x</script> {sentence}")
    make_figure(project, key="people", value_low=4000, source_sentence=sentence)
    prose = prose_of(client.get(project.get_absolute_url()))
    assert "<b>" not in prose and "<script>" not in prose
    assert "&lt;b&gt;4,000&lt;/b&gt; people &amp; more" in prose
    assert text_of(prose) == " ".join(project.text.split())


def test_a_partner_links_to_the_sentence_that_names_it(client, catalogue):
    page = client.get(
        reverse("projects:project_detail", args=["increasing-capacities-irregular-migration"])
    ).content.decode()
    link = re.search(r'<li id="partner-([\w-]+)">[^<]*<a href="#(source-partner-[\w-]+)"', page)
    assert link and f'id="{link[2]}"' in page
    # Its sentence also gives the grant and the start date: one mark, then a link to each of its facts.
    mark = re.search(
        rf'<span class="source-mark" id="[^"]+" title="Source of: a grant, a partner, the start date, a place">'
        rf'(?:<span id="[^"]+"></span>)*?<span id="{link[2]}"></span>',
        page,
    )
    assert mark
    refs = REFERENCES.search(page[mark.start() :])[1]
    assert re.findall(r'href="#([^"]+)"', refs) == [
        "grant-iom-international-development-fund",
        f"partner-{link[1]}",
        "fact-start",
        "place-serbia",
    ]


def test_a_long_sentence_is_quoted_around_the_figure_with_a_link_to_the_whole(client, catalogue):
    page = client.get(reverse("projects:project_detail", args=["iom-migrants-and-refugees-in-serbia"])).content.decode()
    quotes = [
        visible(q)
        for q in re.findall(r'<div class="figure-card".*?<blockquote[^>]*>(.*?)</blockquote>', page, flags=re.S)
    ]
    assert len(quotes) == 2 and quotes[0] != quotes[1]
    assert all(q.startswith("“…") and len(q.split()) <= 27 for q in quotes)
    assert "2,000-3,000" in quotes[0] and "6,000 - 7,000" in quotes[1]


def test_changes_to_this_entry_say_what_changed_in_public_words_and_name_no_one(client, db):
    project = make_project("History Project")
    editor = get_user_model().objects.create_user("jelena.staff", password="x")
    for comment, published in [
        ("Loaded from the fixtures by reload_catalogue.", True),
        ("Changed Text and Start date.", True),
        ("Added funding “EU → History Project”.", True),
        ("Fixed after Jelena's call with the donor", True),
        ("Changed Title.", False),
    ]:
        Project.objects.filter(pk=project.pk).update(is_published=published)
        project.refresh_from_db()
        with reversion.create_revision():
            reversion.set_user(editor)
            reversion.set_comment(comment)
            project.save()
    Project.objects.filter(pk=project.pk).update(is_published=True)
    page = client.get(project.get_absolute_url()).content.decode()
    section = re.search(r'<section class="changes".*?</section>', page, flags=re.S)[0]
    assert "Catalogue entry last changed" in visible(section) and "Last updated" not in page
    lines = [visible(item).split(": ", 1)[1] for item in re.findall(r"<li>(.*?)</li>", section, flags=re.S)]
    # Newest first; the unpublished state's change is not public.
    assert lines == ["Entry edited", "Added: funding", "Changed: text, start date", "Loaded from the source"]
    assert "jelena" not in page.lower() and "Title" not in visible(section)


@pytest.mark.django_db
def test_a_project_without_figures_or_grants_says_what_is_not_stated_on_one_line(client):
    project = make_project("Silent Project")
    make_partnership(project)
    page = client.get(project.get_absolute_url()).content.decode()
    (line,) = re.findall(r'<p class="not-stated-line">(.*?)</p>', page, flags=re.S)
    assert visible(line) == "Not stated in the source: donors and funding, start date, duration, places"
