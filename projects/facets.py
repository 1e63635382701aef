"""
The facet index: which published projects each donor, area, status and currency holds, as bitsets.

The list's facet counts ("how many projects would this choice list, with every other filter in force")
used to be one grouped SQL query per facet. Each read every grant or area link of the catalogue whatever
the filter (116-196 ms each at 100,000 projects). Here each facet value is one Python int, bit i standing
for the i-th published project (by id): a filter is an `&` or `|` of ints, a count is `int.bit_count()`,
so all four facets and the list's total take well under a millisecond at any size, for any filter.

Exact, not approximate: the index is built from the rows themselves, once per catalogue generation (the
number every change bumps in its own transaction, projects.caching), in each process that needs it. A
process asks the database for the generation on every request (one small query, the one the page cache
makes anyway) and rebuilds when it has moved, so every worker and every app server answers from the same
committed catalogue, as the SQL did. The generation is read before the rows, so an index is never older
than the generation it is filed under.

What the index cannot hold is a visitor's search words: those are matched in the database (the GIN
index on PostgreSQL), as the ids of the matching projects, and turned into a bitset for the request.

It also keeps the home page's headline aggregates (totals per currency, per donor and currency, projects
per area), which otherwise read every grant of the catalogue on each visit.
"""

import bisect
import copy
import threading
from collections import defaultdict
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, router

from .fragments import Fragments
from .models import Area, ContextFigure, Currency, Donor, Funding, Place, Project, ProjectPlace, Status

AreaLink = Project.areas.through


def bitset(positions, size):
    """An int with the bits at `positions` set (any iterable of ints below `size`).

    Written as a string of binary digits, which int() reads in C: one store per position, where setting bits in
    bytes costs four operations (half the time for a search that matches 50,000 projects)."""
    digits = bytearray(b"0") * size
    for position in positions:
        digits[position] = 49  # "1"
    digits.reverse()  # the lowest position is the last digit
    return int(digits, 2) if size else 0


def positions_of(bits):
    """The positions of the set bits of `bits`, lowest first, read a byte at a time."""
    found = []
    for number, byte in enumerate(bits.to_bytes((bits.bit_length() + 7) // 8, "little")):
        while byte:
            lowest = byte & -byte
            found.append(number * 8 + lowest.bit_length() - 1)
            byte ^= lowest
    return found


@dataclass(frozen=True)
class Row:
    """A donor, area or status as a facet option: its slug and name (pk for lookups), and the name's Serbian twin
    where the catalogue has one (areas, statuses), so projects.translation.own_words names it in the page's language."""

    translated_fields = ("name",)

    pk: int
    slug: str
    name: str
    name_sr_latn: str = ""


class FacetIndex:
    """The published catalogue of one generation, as bitsets. Build it with FacetIndex.build()."""

    def __init__(self, state, using=DEFAULT_DB_ALIAS):
        self.state = state
        self.using = using
        # Pieces of pages rendered from this generation (projects.fragments): they go when the index does.
        self.fragments = Fragments()
        # The list's sort orders (order()), each read on first use.
        self._orders = {}
        self._orders_lock = threading.Lock()

    @classmethod
    def build(cls, state, using):
        index = cls(state, using)
        projects = list(
            Project.objects.using(using).filter(is_published=True).order_by("pk").values_list("pk", "status_id")
        )
        position = {pk: number for number, (pk, _) in enumerate(projects)}
        size = len(projects)
        index.size = size
        index.position = position
        index.pks = [pk for pk, _ in projects]  # the project at each position
        index.everything = (1 << size) - 1

        per_status = defaultdict(list)
        for pk, status_id in projects:
            per_status[status_id].append(position[pk])

        # In order of amount within each currency, so the amount lists below come sorted from the database.
        grants = (
            Funding.objects.using(using)
            .filter(project__is_published=True)
            .order_by("currency", "amount")
            .values_list("project_id", "donor_id", "currency", "amount")
        )
        per_donor, per_currency = defaultdict(list), defaultdict(list)
        amounts = defaultdict(list)
        in_use = set()
        totals = defaultdict(lambda: 0)
        donor_totals = defaultdict(lambda: 0)
        for project_id, donor_id, currency, amount in grants:
            where = position[project_id]
            per_donor[donor_id].append(where)
            if currency:
                in_use.add(currency)
            if amount is not None:
                per_currency[currency].append(where)
                amounts[currency].append(amount)
                totals[currency] += amount
                donor_totals[donor_id, currency] += amount

        per_area = defaultdict(list)
        for project_id, area_id in (
            AreaLink.objects.using(using).filter(project__is_published=True).values_list("project_id", "area_id")
        ):
            per_area[area_id].append(position[project_id])

        per_place = defaultdict(list)
        for project_id, place_id in (
            ProjectPlace.objects.using(using).filter(project__is_published=True).values_list("project_id", "place_id")
        ):
            per_place[place_id].append(position[project_id])

        index.status_bits = {pk: bitset(found, size) for pk, found in per_status.items()}
        index.donor_bits = {pk: bitset(found, size) for pk, found in per_donor.items()}
        index.area_bits = {pk: bitset(found, size) for pk, found in per_area.items()}
        index.place_bits = {pk: bitset(found, size) for pk, found in per_place.items()}
        index.currency_bits = {code: bitset(found, size) for code, found in per_currency.items()}
        index.currencies_in_use = in_use
        # Per currency: the stated amounts in order, and the position of each one's project (for amount bounds).
        index.amounts = {code: (values, per_currency[code]) for code, values in amounts.items()}

        # The options, in the database's own order (its collation), as the SQL facets listed them.
        def rows(queryset):
            fields = ["pk", "slug", "name"]
            if "name" in getattr(queryset.model, "translated_fields", ()):
                fields.append("name_sr_latn")
            return [Row(*values) for values in queryset.using(using).values_list(*fields)]

        index.figure_count = ContextFigure.objects.using(using).published().count()
        index.statuses = rows(Status.objects.all())
        # Listed: used by a published project (ListedQuerySet.listed()), which is what a non-empty bitset says.
        index.donors = [row for row in rows(Donor.objects.order_by("name")) if row.pk in index.donor_bits]
        index.areas = [row for row in rows(Area.objects.order_by("name")) if row.pk in index.area_bits]
        # Places are few and named by their label ("North Macedonia (the text says “FYRM”)"): kept as objects.
        index.places = [place for place in Place.objects.using(using).order_by("name") if place.pk in index.place_bits]
        index.totals = [{"currency": code, "total": totals[code]} for code in sorted(totals)]
        # By donor name in the database's order (its collation), then currency, as the SQL ordered them.
        rank = {row.pk: number for number, row in enumerate(index.donors)}
        names = {row.pk: row.name for row in index.donors}
        index.totals_per_donor = defaultdict(list)
        for (donor, code), total in sorted(donor_totals.items(), key=lambda item: item[0]):
            index.totals_per_donor[donor].append({"currency": code, "total": total})
        index.donor_totals = [
            {"donor__name": names[donor], "currency": code, "total": total}
            for (donor, code), total in sorted(donor_totals.items(), key=lambda item: (rank[item[0][0]], item[0][1]))
        ]
        return index

    # --- filters as bitsets -------------------------------------------------------------------------

    def of_ids(self, ids):
        """The bitset of the published projects among `ids` (others are ignored)."""
        position = self.position
        return bitset((position[pk] for pk in ids if pk in position), self.size)

    def any_of(self, bits, pks):
        result = 0
        for pk in pks:
            result |= bits.get(pk, 0)
        return result

    def with_funding(self, currency=None, min_amount=None, max_amount=None):
        """Projects with one stated grant in `currency` (any, when None) between the bounds, inclusive."""
        if min_amount is None and max_amount is None:
            if currency:
                return self.currency_bits.get(currency, 0)
            return self.any_of(self.currency_bits, self.currency_bits)
        result = 0
        for code in [currency] if currency else list(self.amounts):
            if code not in self.amounts:
                continue
            values, where = self.amounts[code]
            first = 0 if min_amount is None else bisect.bisect_left(values, min_amount)
            last = len(values) if max_amount is None else bisect.bisect_right(values, max_amount)
            result |= bitset(where[first:last], self.size)
        return result

    def order(self, sort):
        """The positions of the published projects in the order ProjectQuerySet.ordered_by(sort) gives them ("title",
        "-amount", ...). Read from the database on first use in this generation, so it is the database's own order
        (its collation for titles, its tie-breaks), then kept: one list of ints per sort, some 0.8 MB at 100,000."""
        positions = self._orders.get(sort)
        if positions is None:
            with self._orders_lock:
                positions = self._orders.get(sort)
                if positions is None:
                    ordered = Project.objects.using(self.using).filter(is_published=True).ordered_by(sort)
                    position = self.position
                    # A project published after this generation began belongs to the next one.
                    positions = [position[pk] for pk in ordered.values_list("pk", flat=True) if pk in position]
                    self._orders[sort] = positions
        return positions

    def ordered_ids(self, bits, sort, start, stop):
        """The ids of the projects of `bits` in the order of `sort`, from the `start`-th to before the `stop`-th: a
        page of the list, without asking the database which projects match.

        A filter that keeps most of the catalogue is walked in order until the page is full; one that keeps few
        (a tenth or less) has its projects ranked and sorted, so a single match does not walk 100,000 projects."""
        order = self.order(sort)
        if bits == self.everything:
            return [self.pks[where] for where in order[start:stop]]
        if bits.bit_count() * 10 <= self.size:
            rank = self._ranks(sort)
            kept = sorted(positions_of(bits), key=rank.__getitem__)
            return [self.pks[where] for where in kept[start:stop]]
        flags = bits.to_bytes((self.size + 7) // 8 or 1, "little")
        found, seen = [], 0
        for where in order:
            if flags[where >> 3] >> (where & 7) & 1:
                if seen >= start:
                    found.append(self.pks[where])
                seen += 1
                if seen >= stop:
                    break
        return found

    def in_relevance_order(self, ranks):
        """The positions of the published projects among `ranks` ([(pk, rank)] in any order, as
        querysets.search_ranks() reads them), the best first and equal ranks in title order: the order of
        ordered_by("relevance").

        Sorted here, not by the database: by title (the index's own order("title")), then by rank, keeping the
        title order among equals. Two sorts on a ready-made key cost less than PostgreSQL's sort of the ranks alone,
        which at 50,000 matches spills to disk."""
        where = self.position.get
        rank_of = {where(pk): rank for pk, rank in ranks}
        rank_of.pop(None, None)  # not published in this generation
        found = list(rank_of)
        found.sort(key=self._ranks("title").__getitem__)
        found.sort(key=rank_of.__getitem__, reverse=True)  # stable, reversed too
        return found

    def _ranks(self, sort):
        """The rank of each position in the order of `sort` (the inverse of order()), kept like the order."""
        key = ("rank", sort)
        rank = self._orders.get(key)
        if rank is None:
            rank = [self.size] * self.size  # a project gone since this generation began sorts last
            for number, where in enumerate(self.order(sort)):
                rank[where] = number
            self._orders[key] = rank
        return rank

    def latest(self, bits, count):
        """The ids of the last `count` published projects (by id) in `bits`, the latest first.

        Read from the top byte down, so a dense bitset of 100,000 projects costs a few bytes, not a shift of the
        whole int per project found."""
        found = []
        data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
        for number in range(len(data) - 1, -1, -1):
            byte = data[number]
            while byte:
                top = byte.bit_length() - 1
                found.append(self.pks[number * 8 + top])
                if len(found) == count:
                    return found
                byte ^= 1 << top
        return found

    def related_candidates(self, area_ids, donor_ids, count):
        """The ids of the last `count` published projects in any of `area_ids`, and of the last `count` funded by any
        of `donor_ids`: the projects ProjectQuerySet.related_to() ranks."""
        near = set()
        for bits, ids in ((self.area_bits, area_ids), (self.donor_bits, donor_ids)):
            if ids:
                near.update(self.latest(self.any_of(bits, ids), count))
        return near

    def counted_places(self, places=None):
        """`places` (Place rows; every listed place by default, by name), each a copy with `project_count`: how many
        published projects name it, as Place.objects.with_project_counts() counts them."""
        counted = []
        for place in self.places if places is None else places:
            place = copy.copy(place)  # the index's own rows are shared by every request of this process
            place.project_count = self.place_bits.get(place.pk, 0).bit_count()
            counted.append(place)
        return counted

    def donor_count(self):
        return len(self.donors)

    def area_counts(self):
        """{area pk: published projects in it}."""
        return {pk: bits.bit_count() for pk, bits in self.area_bits.items()}


_lock = threading.Lock()
_current = {}


def facet_index(using=None, state=None):
    """The facet index of the catalogue's current generation, built in this process if it is not yet.

    `state`: the (generation, changed_at) the caller already read this request (the page cache reads it);
    without it, one small query reads it. The key holds the time of the change as well as its number, so an
    index can never outlive a rolled-back transaction that reused a number (tests roll back every change).
    """
    using = using or router.db_for_read(Project) or DEFAULT_DB_ALIAS
    if state is None:
        from .caching import catalogue_state  # caching imports the filters, which import this module

        state = catalogue_state()
    index = _current.get(using)
    if index is not None and index.state == state:
        return index
    with _lock:
        index = _current.get(using)
        if index is None or index.state != state:
            index = FacetIndex.build(state, using)
            _current[using] = index
    return index


def facet_index_for(request, using=None):
    """facet_index() for a request: the catalogue state is read once per request (or taken from the page cache,
    which read it already) and kept on the request for every later caller."""
    state = getattr(request, "catalogue_state", None) if request is not None else None
    if state is None:
        from .caching import catalogue_state  # caching imports the filters, which import this module

        state = catalogue_state()
        if request is not None:
            request.catalogue_state = state
    return facet_index(using=using, state=state)


def forget():
    """Drop every index of this process (the tests' rolled-back databases reuse generation numbers)."""
    _current.clear()


def forget_fragments():
    """Drop every rendered piece of page (projects.fragments) of this process, keeping the indexes."""
    for index in _current.values():
        index.fragments = Fragments()


CURRENCY_LABELS = dict(Currency.choices)
