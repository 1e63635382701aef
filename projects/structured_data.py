"""schema.org descriptions of catalogue pages, for search engines (rendered as JSON-LD by the json_ld filter)."""

from .models import Precision
from .translation import own_words


def project_schema(project, absolute_url):
    """A project as a schema.org Project, with its funders and the grants whose amounts the text states.

    `project` comes with its grants, areas and status prefetched (ProjectQuerySet.for_detail);
    `absolute_url(path)` makes a full URL.
    """
    grants = list(project.fundings.all())
    schema = {
        "@context": "https://schema.org",
        "@type": "Project",
        "name": project.title,
        "url": absolute_url(project.get_absolute_url()),
        "description": project.paragraphs[0] if project.paragraphs else "",
        "dateModified": project.updated.date().isoformat(),
        # The areas are the catalogue's own words: in the page's language (projects.translation).
        "keywords": [str(own_words(area, "name")) for area in project.areas.all()],
        "funder": [
            {"@type": "Organization", "name": grant.donor.name, "url": absolute_url(grant.donor.get_absolute_url())}
            for grant in grants
        ],
    }
    stated = [grant for grant in grants if grant.amount is not None]
    if stated:
        schema["funding"] = [
            {
                "@type": "MonetaryGrant",
                "funder": {"@type": "Organization", "name": grant.donor.name},
                "amount": {"@type": "MonetaryAmount", "currency": grant.currency, "value": str(grant.amount)},
            }
            for grant in stated
        ]
    if project.start_date:
        # ISO 8601 at the precision the text gives: "2015", "2015-09" or "2015-09-01".
        length = {Precision.YEAR: 4, Precision.MONTH: 7, Precision.APPROXIMATE: 7}.get(project.start_precision, 10)
        schema["foundingDate"] = project.start_date.isoformat()[:length]
    places = [link.place.display_name or link.place.name for link in project.place_links.all()]
    if places:
        schema["areaServed"] = places
    return schema
