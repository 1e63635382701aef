"""
Loading the catalogue from fixtures and writing it back out.

The fixtures are ordinary Django JSON fixtures with natural keys (slugs), so
`manage.py loaddata` reads them too. `reload_catalogue` adds what loaddata
lacks: it checks every object and names the file, the object and the field of
each problem; it writes nothing unless every object is valid (one
transaction, so visitors never see half a catalogue); it updates rows in place
by natural key, counts what it created, updated and left unchanged, and never
touches rows the fixtures do not mention (entries staff created stay).

Once loaded, staff are the catalogue's authors. For every object it writes, the reload stores a
fingerprint of the state it wrote (LoadedFixtureState). On the next reload an object whose current state
still has that fingerprint is updated from the fixture; one that staff edited, unpublished or deleted
since (a change in the edit history, by a user, after the last load) keeps the staff version and is
reported, unless the operator asks for `overwrite_staff_edits`. A change made straight in the database,
with no trace in the edit history, is not a staff edit: the fixture puts it back, as it always did.
Each top-level object written (a project with its grants, partnerships, figures, place and area links;
each donor, area, status, partner and place) gets a revision of its own, so restoring one never reverts another.
"""

import copy
import hashlib
import json
import operator
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path

import reversion
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import CheckConstraint, F, Q
from django.utils import timezone
from django.utils.encoding import is_protected_type
from reversion.models import Revision, Version
from reversion.revisions import _get_options

from .caching import bump_catalogue_generation
from .locking import catalogue_write_lock
from .models import (
    CATALOGUE_MODELS,
    ContextFigure,
    Funding,
    LoadedFixtureState,
    Partnership,
    Project,
    ProjectPlace,
    natural_key_fields,
)
from .signals import derived_data_kept_by_caller
from .synthetic import synthetic_condition

# CATALOGUE_MODELS (in dependency order) and natural_key_fields() are declared once, in projects.models.
MODELS_BY_LABEL = {model._meta.label_lower: model for model in CATALOGUE_MODELS}
# Bookkeeping the database keeps by itself; fixtures neither carry nor compare it.
UNSERIALISED_FIELDS = {"id", "created", "updated", "largest_grant"}


def catalogue_fields(model):
    """The fields a fixture record of `model` carries, in model order."""
    concrete = [f for f in model._meta.concrete_fields if f.name not in UNSERIALISED_FIELDS]
    many = [f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    return concrete + many


# Rows that belong to a project: recorded in its revision, and taken down with it.
PROJECT_ROWS = (Funding, Partnership, ContextFigure, ProjectPlace)
LOAD_COMMENT = "Loaded from the fixtures by reload_catalogue."
KEEP_COMMENT = "Staff version, kept in the history before reload_catalogue --overwrite-staff-edits replaced it."


def fingerprint(obj, related=None):
    """A hash of `obj`'s state as a fixture record would carry it (natural keys, no bookkeeping fields).

    The same data Django's "python" serializer gives with natural keys (dates and numbers as they are, other
    values as strings, references as natural keys), built without its queries: foreign keys read the related
    rows already on `obj` (select_related), and `related` gives many-to-many fields' rows ({name: [rows]});
    without it they are read from the database.
    """
    data = {}
    for field_ in catalogue_fields(type(obj)):
        if field_.many_to_many:
            rows = related[field_.name] if related is not None else getattr(obj, field_.name).all()
            # Sorted, so only membership counts.
            data[field_.name] = sorted(row.natural_key() for row in rows)
        elif field_.is_relation:
            row = getattr(obj, field_.name)
            data[field_.name] = row.natural_key() if row else None
        else:
            value = field_.value_from_object(obj)
            data[field_.name] = value if is_protected_type(value) else field_.value_to_string(obj)
    text = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _who(user):
    return (user.get_full_name() or user.get_username()) if user else "someone"


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def raw_natural_key(model, fields):
    """The natural key of a fixture record's `fields`, flat: ["croboweb", "inl"], not [["croboweb"], ["inl"]]."""
    key = []
    for name in natural_key_fields(model):
        value = fields.get(name)
        # A reference is itself a one-element natural key list.
        key.extend(value if isinstance(value, list) else [value])
    return key


@dataclass
class Problem:
    """One thing wrong with one fixture record, said so an operator can fix it."""

    path: str
    index: int | None = None
    label: str = ""
    field: str = ""
    message: str = ""

    def __str__(self):
        where = self.path
        if self.index is not None:
            where += f", object #{self.index}"
        if self.label:
            where += f" ({self.label})"
        if self.field:
            where += f", field “{self.field}”"
        return f"{where}: {self.message}"


class FixtureError(Exception):
    """The fixtures cannot be loaded; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ReloadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)  # staff edits and takedowns left in place
    staff_edits: list = field(default_factory=list)  # one line per kept (or overwritten) staff edit
    overwritten: int = 0
    dry_run: bool = False

    def summary(self):
        """One line: "0 created, 0 updated, 42 unchanged, 1 kept staff edit (43 fixture objects)"."""
        kept = sum(self.kept.values())
        return (
            f"{sum(self.created.values())} created, {sum(self.updated.values())} updated, "
            f"{sum(self.unchanged.values())} unchanged"
            + (f", {kept} kept staff edit{'s' if kept != 1 else ''}" if kept else "")
            + (f", {self.overwritten} staff edit(s) overwritten" if self.overwritten else "")
            + (" (dry run: nothing was written)" if self.dry_run else f" ({self.total} fixture objects)")
        )

    @property
    def kept_count(self):
        return sum(self.kept.values())

    @property
    def total(self):
        return (
            sum(self.created.values())
            + sum(self.updated.values())
            + sum(self.unchanged.values())
            + sum(self.kept.values())
        )

    def rows(self):
        """(model label, created, updated, unchanged) for each catalogue model."""
        for model in CATALOGUE_MODELS:
            label = model._meta.verbose_name_plural
            yield label, self.created[label], self.updated[label], self.unchanged[label]


@dataclass
class Record:
    path: str
    index: int
    data: dict

    def problem(self, message, field="", label=""):
        return Problem(self.path, self.index, label or self.describe(), field, message)

    def describe(self):
        model = self.data.get("model", "?")
        fields = self.data.get("fields") if isinstance(self.data.get("fields"), dict) else {}
        model_class = MODELS_BY_LABEL.get(str(model).lower())
        if model_class is None:
            return str(model)
        return f"{model} {json.dumps(raw_natural_key(model_class, fields), ensure_ascii=False)}"


def default_fixture_paths(directory):
    return sorted(Path(directory).glob("*.json"))


def read_records(paths):
    """Parse every fixture file into records, or raise FixtureError naming each broken file or record."""
    records, problems = [], []
    for path in paths:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(Problem(str(path), message="file not found. Check the path."))
            continue
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), message=f"not UTF-8 text ({exc.reason}). Save the file as UTF-8."))
            continue
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(
                    str(path),
                    message=f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
                    "The file may be truncated or hand-edited; fix it or restore it from version control.",
                )
            )
            continue
        if not isinstance(data, list):
            problems.append(Problem(str(path), message="a fixture must be a JSON list of objects."))
            continue
        for index, item in enumerate(data, start=1):
            record = Record(str(path), index, item)
            if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
                problems.append(record.problem("each object needs a “model” and a “fields” object.", label="?"))
            elif str(item.get("model", "")).lower() not in MODELS_BY_LABEL:
                problems.append(
                    record.problem(
                        f"unknown model “{item.get('model')}”. Use one of: {', '.join(MODELS_BY_LABEL)}.", field="model"
                    )
                )
            else:
                records.append(record)
    if problems:
        raise FixtureError(problems)
    order = {label: position for position, label in enumerate(MODELS_BY_LABEL)}
    # Sorting by model (stable within one) lets files come in any order.
    records.sort(key=lambda r: order[r.data["model"].lower()])
    return records


def unique_values(row, names):
    """The values of `row`'s fields `names` as the database compares them (a reference by its id)."""
    return tuple(getattr(row, row._meta.get_field(name).attname) for name in names)


class _UnsupportedCondition(Exception):
    """A check constraint's condition that condition_holds() cannot evaluate: the database must."""


COMPARISONS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "in": lambda value, choices: value in choices,
}


def condition_holds(condition, row):
    """A check constraint's condition on `row`, as SQL evaluates it: True, False, or None when a NULL makes it
    unknown (which a CHECK lets pass). Raises _UnsupportedCondition for what it does not know."""
    if isinstance(condition, Q):
        results = [condition_holds(child, row) for child in condition.children]
        if condition.connector == Q.AND:
            result = False if False in results else (None if None in results else True)
        elif condition.connector == Q.OR:
            result = True if True in results else (None if None in results else False)
        else:
            raise _UnsupportedCondition
        return result if result is None or not condition.negated else not result
    lookup, expected = condition
    name, _, operation = lookup.partition("__")
    operation = operation or "exact"
    if operation not in (*COMPARISONS, "isnull"):
        raise _UnsupportedCondition
    value = getattr(row, row._meta.get_field(name).attname)
    if isinstance(expected, F):
        expected = getattr(row, row._meta.get_field(expected.name).attname)
    elif hasattr(expected, "resolve_expression"):
        raise _UnsupportedCondition
    if operation == "isnull":
        return (value is None) == expected
    if value is None or expected is None:
        return None
    return COMPARISONS[operation](value, expected)


def constraint_errors(row):
    """(NON_FIELD_ERRORS, message) for each check constraint of `row`'s model that `row` breaks; a condition
    condition_holds() cannot evaluate is asked of the database, as full_clean() would."""
    for constraint in row._meta.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        try:
            broken = condition_holds(constraint.condition, row) is False
        except _UnsupportedCondition:
            try:
                constraint.validate(type(row), row)
                broken = False
            except ValidationError:
                broken = True
        if broken:
            yield NON_FIELD_ERRORS, str(constraint.get_violation_error_message())


class _Loader:
    """Upserts records one by one inside the caller's transaction, collecting problems."""

    def __init__(self, overwrite_staff_edits=False):
        self.report = ReloadReport()
        self.problems = []
        self.seen = {}  # (model, natural key) -> the first record with it, to catch duplicates
        self.failed = set()  # (model, natural key) of records with problems
        self.touched_projects = set()
        self.overwrite = overwrite_staff_edits
        # What the last reload wrote: (model label, natural key JSON) -> LoadedFixtureState.
        self.states = {(s.model_label, s.natural_key): s for s in LoadedFixtureState.objects.all()}
        self.new_states = {}  # the same keys -> (fingerprint, object id) this load leaves: written at the end
        self.taken_down_projects = set()  # natural keys of projects staff deleted: their rows stay gone
        self.written = {}  # (model, pk) of each top-level object written, in order: one revision each
        self.preserved = set()  # (model, pk) of top-level objects whose staff version was recorded
        self.unique_indexes = {}  # (model, field names) -> unique_index()
        self.read_catalogue()

    def read_catalogue(self):
        """Read every real catalogue row once, a query per model (and one for the area links): the rows by
        natural key (self.rows), by id (self.by_pk), and their many-to-many links (self.links).

        So the load asks nothing per object that did not change: references resolve, existing rows are
        found, compared and fingerprinted in memory. The number of queries of a reload that changes
        nothing does not grow with the catalogue. Synthetic rows stay out (fixtures cannot name them).
        """
        self.rows, self.by_pk, self.links = {}, {}, {}
        for model in CATALOGUE_MODELS:
            fields = catalogue_fields(model)
            references = [f for f in fields if f.is_relation and not f.many_to_many]
            # Derived columns stay unread: save() then leaves them alone, and refresh_derived() sets them.
            derived = [name for name in ("largest_grant",) if hasattr(model, name)]
            rows = list(model.objects.exclude(synthetic_condition(model)).defer(*derived).order_by("pk"))
            for row in rows:
                for reference in references:
                    # The related row read earlier (CATALOGUE_MODELS is in dependency order), not a query.
                    related = self.by_pk.get(reference.related_model, {}).get(getattr(row, reference.attname))
                    if related is not None:
                        setattr(row, reference.name, related)
            self.by_pk[model] = {row.pk: row for row in rows}
            self.rows[model] = {tuple(map(str, row.natural_key())): row for row in rows}
            for many in (f for f in fields if f.many_to_many):
                through = many.remote_field.through
                source, target = many.m2m_field_name(), many.m2m_reverse_field_name()
                links = self.links.setdefault((model, many.name), {})
                known = self.by_pk[model]
                for source_id, target_id in through.objects.values_list(f"{source}_id", f"{target}_id"):
                    if source_id in known:
                        links.setdefault(source_id, set()).add(target_id)

    def linked(self, row, name):
        """The ids of the rows `row`'s many-to-many field `name` links to."""
        return self.links[type(row), name].get(row.pk, set())

    def related_rows(self, row):
        """{many-to-many field name: [rows]} of `row`, for fingerprint()."""
        related = {}
        for many in (f for f in catalogue_fields(type(row)) if f.many_to_many):
            rows_by_pk = self.by_pk[many.related_model]
            related[many.name] = [rows_by_pk[pk] for pk in self.linked(row, many.name) if pk in rows_by_pk]
        return related

    @staticmethod
    def top_level(obj):
        return obj.project if isinstance(obj, PROJECT_ROWS) else obj

    def staff_change(self, top, since):
        """(user, when) of the latest change staff recorded on `top` (and its rows) after `since`, or None."""
        versions = Version.objects.get_for_object(top).filter(revision__user__isnull=False)
        if since is not None:
            versions = versions.filter(revision__date_created__gt=since)
        latest = versions.select_related("revision__user").first()
        return (latest.revision.user, latest.revision.date_created) if latest else None

    def staff_deletion(self, model, state, values):
        """(user, when) if staff deleted the row `state` describes since the last load, else None."""
        if model in PROJECT_ROWS:
            # Deleted from its project's form: the project's history has a staff save since the load.
            project = values.get("project")
            return self.staff_change(project, state.loaded_at) if project is not None else None
        entry = (
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                object_id=state.object_id,
                action_flag=DELETION,
                action_time__gt=state.loaded_at,
            )
            .select_related("user")
            .order_by("-action_time")
            .first()
        )
        return (entry.user, entry.action_time) if entry else None

    def keep(self, record, model, message):
        self.report.kept[model._meta.verbose_name_plural] += 1
        self.report.staff_edits.append(f"Kept staff edit: {record.describe()}: {message}")

    def preserve(self, top):
        """Record `top`'s current (staff) state as a version before the fixture overwrites it."""
        key = (type(top), top.pk)
        if key in self.preserved:
            return
        self.preserved.add(key)
        with reversion.create_revision():
            reversion.set_comment(KEEP_COMMENT)
            reversion.add_to_revision(type(top).objects.get(pk=top.pk))

    def remember(self, model, key_text, instance):
        """Note the fingerprint of what this load leaves in the database for the object (written by save_states())."""
        self.new_states[model._meta.label_lower, key_text] = (
            fingerprint(instance, self.related_rows(instance)),
            str(instance.pk),
        )

    def save_states(self):
        """Store the fingerprints remember() noted: one UPDATE per batch of known objects, one INSERT per new batch."""
        now = timezone.now()
        changed, new = [], []
        for (label, key_text), (print_, object_id) in self.new_states.items():
            state = self.states.get((label, key_text))
            if state is None:
                new.append(
                    LoadedFixtureState(
                        model_label=label, natural_key=key_text, fingerprint=print_, loaded_at=now, object_id=object_id
                    )
                )
            else:
                state.fingerprint, state.loaded_at, state.object_id = print_, now, object_id
                changed.append(state)
        LoadedFixtureState.objects.bulk_update(changed, ["fingerprint", "loaded_at", "object_id"], batch_size=1000)
        LoadedFixtureState.objects.bulk_create(new, batch_size=1000)

    def resolve(self, record, field, value):
        """Turn a natural-key reference into the related row (among those read_catalogue() read, or this load
        wrote), or report why it cannot."""
        related = field.related_model
        key = value if isinstance(value, list) else [value]
        row = self.rows[related].get(tuple(map(str, key)))
        if row is None:
            name = related._meta.label_lower
            if (related, tuple(map(str, key))) in self.failed:
                message = f"refers to {name} {json.dumps(key, ensure_ascii=False)}, which has problems of its own (see above)."
            else:
                message = (
                    f"refers to {name} {json.dumps(key, ensure_ascii=False)}, which does not exist. "
                    f"Add it to the fixtures or correct the reference."
                )
            self.problems.append(record.problem(message, field=field.name))
        return row

    def load(self, record):
        model = MODELS_BY_LABEL[record.data["model"].lower()]
        raw = record.data["fields"]
        label = model._meta.verbose_name_plural
        fields = {f.name: f for f in catalogue_fields(model)}
        problems_before = len(self.problems)

        for name in raw:
            if name not in fields:
                self.problems.append(
                    record.problem(f"unknown field. {model.__name__} fields are: {', '.join(fields)}.", field=name)
                )

        # A required field must be in the file even when the row exists: the same file must load the
        # same way into an empty database as over a full one.
        for name, field_ in fields.items():
            if name not in raw and not (field_.blank or field_.null or field_.has_default() or field_.many_to_many):
                self.problems.append(record.problem("is missing: every object must give it.", field=name))

        key_names = natural_key_fields(model)
        missing = [name for name in key_names if raw.get(name) in (None, "", [])]
        if missing:
            for name in missing:
                self.problems.append(record.problem("is required: it identifies the object.", field=name))
            return
        natural_key = tuple(map(str, raw_natural_key(model, raw)))
        if (model, natural_key) in self.seen:
            first = self.seen[model, natural_key]
            where = f"object #{first.index}" if first.path == record.path else f"{first.path}, object #{first.index}"
            self.problems.append(record.problem(f"appears twice: {where} has the same key. Keep one."))
            return
        self.seen[model, natural_key] = record
        key_text = json.dumps(list(natural_key), ensure_ascii=False)
        if model in PROJECT_ROWS:
            project_key = tuple(map(str, raw["project"] if isinstance(raw["project"], list) else [raw["project"]]))
            if project_key in self.taken_down_projects:
                self.keep(record, model, "not recreated: its project was deleted by staff (see above).")
                return

        values, many = {}, {}
        for name, value in raw.items():
            field_ = fields.get(name)
            if field_ is None:
                continue
            if field_.many_to_many:
                if not isinstance(value, list):
                    self.problems.append(record.problem("must be a list of natural keys.", field=name))
                    continue
                rows = [self.resolve(record, field_, item) for item in value]
                many[name] = {row.pk for row in rows if row is not None}
            elif field_.is_relation:
                values[name] = self.resolve(record, field_, value)
            else:
                try:
                    values[name] = field_.to_python(value)
                except ValidationError as exc:
                    self.problems.append(record.problem(" ".join(exc.messages), field=name))

        if len(self.problems) > problems_before:
            self.failed.add((model, natural_key))
            return

        existing = self.rows[model].get(natural_key)
        # Taken before the loop below sets the fixture's values on the instance.
        current_fingerprint = fingerprint(existing, self.related_rows(existing)) if existing is not None else None
        was_published = getattr(existing, "is_published", None)
        # A copy: the row read stays as the database has it until this object is written (a kept staff
        # edit or a failed check leaves it so, for the objects that refer to it).
        instance = copy.copy(existing) if existing is not None else model()
        changed = existing is None
        differ = []
        for name, value in values.items():
            field_ = fields[name]
            # Foreign keys compare by id, so an unsaved instance never touches the related row.
            current, wanted = (
                (getattr(instance, field_.attname), value.pk)
                if field_.is_relation
                else (getattr(instance, name), value)
            )
            if current != wanted:
                setattr(instance, name, value)
                changed = True
                differ.append(name)
        for name, pks in many.items():
            if existing is None or self.linked(existing, name) != pks:
                changed = True
                differ.append(name)

        errors = self.validate(instance, changed)
        if errors:
            for name, messages in errors.items():
                field_name = "" if name == "__all__" else name
                self.problems.append(record.problem(" ".join(messages), field=field_name))
            self.failed.add((model, natural_key))
            return

        state = self.states.get((model._meta.label_lower, key_text))
        if existing is None and state is not None:
            # Gone since the last load: a takedown if staff deleted it, so it stays gone.
            deletion = self.staff_deletion(model, state, values)
            if deletion and not self.overwrite:
                if model is Project:
                    self.taken_down_projects.add(natural_key)
                self.keep(record, model, f"deleted by {_who(deletion[0])} on {_when(deletion[1])}; not recreated.")
                return
            if deletion:
                self.report.overwritten += 1
                self.report.staff_edits.append(
                    f"Overwrote staff edit: {record.describe()}: deleted by {_who(deletion[0])} on "
                    f"{_when(deletion[1])}; recreated from the fixture (the deleted version can be recovered)."
                )
        elif existing is not None and changed and (state is None or state.fingerprint != current_fingerprint):
            # Changed since the last load (or never loaded): staff's, if their edit history says so.
            top = self.top_level(existing)
            edit = self.staff_change(top, state.loaded_at if state else None)
            if edit:
                what = "unpublished" if was_published is False and "is_published" in differ else "edited"
                message = (
                    f"{what} by {_who(edit[0])} on {_when(edit[1])}; differs from the fixture in: {', '.join(differ)}."
                )
                if not self.overwrite:
                    self.keep(record, model, message)
                    return
                self.preserve(top)
                self.report.overwritten += 1
                self.report.staff_edits.append(
                    f"Overwrote staff edit: {record.describe()}: {message} "
                    "The staff version stays in the object's history."
                )

        if not changed:
            self.report.unchanged[label] += 1
            if state is None or state.fingerprint != current_fingerprint:
                # Equal to the fixture, whoever made it so: the fixture state is the new base.
                self.remember(model, key_text, existing)
            return
        instance.save()
        for name, pks in many.items():
            if existing is None or self.linked(existing, name) != pks:
                getattr(instance, name).set(pks)
            self.links[model, name][instance.pk] = set(pks)
        self.rows[model][natural_key] = self.by_pk[model][instance.pk] = instance
        self.written_row(existing, instance)
        (self.report.created if existing is None else self.report.updated)[label] += 1
        self.remember(model, key_text, instance)
        top = self.top_level(instance)
        self.written.setdefault((type(top), top.pk), None)
        project_id = getattr(instance, "project_id", None)
        if project_id:
            self.touched_projects.add(project_id)

    def validate(self, instance, changed):
        """{field: [messages]} of what is wrong with `instance` ({} when nothing): everything full_clean()
        checks, with the same messages, without a query per object.

        References are not looked up again: resolve() found each among the catalogue's rows. Uniqueness is
        checked against the rows read_catalogue() read and this load wrote (unique_errors()), the database's
        check constraints by evaluating their conditions (constraint_errors()); both only for an object that is
        new or differs from its row: an unchanged object IS its row, which the database already holds to them.
        """
        references = [f.name for f in catalogue_fields(type(instance)) if f.is_relation and not f.many_to_many]
        # Nor are the derived columns read_catalogue() left unread: reading them would cost a query each.
        unread = instance.get_deferred_fields()
        try:
            instance.full_clean(exclude=[*references, *unread], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            return exc.message_dict
        if not changed:
            return {}
        errors = {}
        for name, message in [*self.unique_errors(instance), *constraint_errors(instance)]:
            errors.setdefault(name, []).append(message)
        return errors

    def unique_index(self, model, names):
        """{values of the fields `names`: row id} over the catalogue's rows of `model` (built once per reload)."""
        key = (model, names)
        if key not in self.unique_indexes:
            self.unique_indexes[key] = {unique_values(row, names): row.pk for row in self.by_pk[model].values()}
        return self.unique_indexes[key]

    def unique_errors(self, instance):
        """(field or NON_FIELD_ERRORS, message) for each unique field or constraint another row already holds."""
        unique_checks, _date_checks = instance._get_unique_checks(include_meta_constraints=True)
        for model, names in unique_checks:
            values = unique_values(instance, names)
            if None in values:
                continue  # NULLs never collide
            holder = self.unique_index(type(instance), tuple(names)).get(values)
            if holder is not None and holder != instance.pk:
                field_name = names[0] if len(names) == 1 else NON_FIELD_ERRORS
                yield field_name, instance.unique_error_message(model, names).messages[0]

    def written_row(self, before, after):
        """Keep the unique indexes true after `after` (the saved row) replaced `before` (None for a new row)."""
        for (model, names), index in self.unique_indexes.items():
            if model is type(after):
                if before is not None:
                    index.pop(unique_values(before, names), None)
                index[unique_values(after, names)] = after.pk

    def record_revisions(self):
        """One revision per top-level object written, so restoring one object never reverts another.

        The same revisions and versions reversion.create_revision() and add_to_revision() would record (each
        object with the rows its registration follows, serialized as reversion does), made in bulk: the objects
        and the rows they follow read a query per model and chunk, then one INSERT of the revisions and one
        of the versions per batch, instead of about ten queries per object.
        """
        if not self.written:
            return
        if not connections[DEFAULT_DB_ALIAS].features.can_return_rows_from_bulk_insert:
            return self.record_revisions_one_by_one()
        tops = {}
        for model, pk in self.written:
            tops.setdefault(model, []).append(pk)
        current = {}
        try:
            for model, pks in tops.items():
                rows = versioned_rows(model, "pk", pks)
                followed = followed_rows(model, rows)
                current.update(((model, row.pk), [row, *followed.get(row.pk, [])]) for row in rows)
        except _NotBulkFollowable:
            return self.record_revisions_one_by_one()
        revisions = [Revision(date_created=timezone.now(), user=None, comment=LOAD_COMMENT) for _ in self.written]
        Revision.objects.bulk_create(revisions, batch_size=1000)
        versions = []
        for revision, key in zip(revisions, self.written, strict=True):
            for row in current.get(key, []):
                versions.append(version_of(row, revision))
        Version.objects.bulk_create(versions, batch_size=1000)

    def record_revisions_one_by_one(self):
        for model, pk in self.written:
            with reversion.create_revision():
                reversion.set_comment(LOAD_COMMENT)
                reversion.add_to_revision(model.objects.get(pk=pk))


class _NotBulkFollowable(Exception):
    """A registration follows something other than a reverse foreign key: record revisions one by one."""


def versioned_rows(model, field_name, values):
    """The rows of `model` whose `field_name` is in `values`, with the many-to-many rows reversion serializes
    prefetched, a query per model and 500 values."""
    options = _get_options(model)
    many = [f.name for f in model._meta.many_to_many if f.name in options.fields]
    rows = []
    for chunk in batched(list(values), 500):
        rows += model._base_manager.filter(**{f"{field_name}__in": chunk}).prefetch_related(*many).order_by("pk")
    return rows


def followed_rows(model, rows):
    """{row id: [the rows reversion's registration of `model` follows from it, recursively]}."""
    followed = {}
    for name in _get_options(model).follow:
        relation = model._meta.get_field(name)
        if not (relation.one_to_many and relation.auto_created):
            raise _NotBulkFollowable(name)
        children = versioned_rows(relation.related_model, relation.field.name, [row.pk for row in rows])
        grandchildren = followed_rows(relation.related_model, children) if children else {}
        for child in children:
            followed.setdefault(getattr(child, relation.field.attname), []).extend(
                [child, *grandchildren.get(child.pk, [])]
            )
    return followed


def version_of(row, revision):
    """The Version reversion's add_to_revision() would record of `row` in `revision`."""
    options = _get_options(type(row))
    return Version(
        revision=revision,
        content_type=ContentType.objects.get_for_model(type(row)),
        object_id=str(getattr(row, options.object_id_field)),
        db=DEFAULT_DB_ALIAS,
        format=options.format,
        serialized_data=serializers.serialize(
            options.format, (row,), fields=options.fields, use_natural_foreign_keys=options.use_natural_foreign_keys
        ),
        object_repr=str(row),
    )


def reload_catalogue(paths, dry_run=False, progress=None, overwrite_staff_edits=False):
    """Load the fixture files at `paths` in one transaction and return a ReloadReport.

    Raises FixtureError, with every problem found, and writes nothing when any
    object is invalid. With `dry_run`, does all the work and rolls it back.
    `progress(done, total)` is called now and then for long loads. Objects staff
    changed since the last load are kept (report.staff_edits) unless
    `overwrite_staff_edits`, which records their staff version first.
    """
    records = read_records(paths)
    # The catalogue write lock first, so reloads and admin saves take turns (projects.locking).
    with catalogue_write_lock(), derived_data_kept_by_caller():
        loader = _Loader(overwrite_staff_edits=overwrite_staff_edits)
        loader.report.dry_run = dry_run
        for done, record in enumerate(records, start=1):
            loader.load(record)
            if progress and (done % 500 == 0 or done == len(records)):
                progress(done, len(records))
        if loader.problems:
            # Leaving the block with an exception rolls every write back.
            raise FixtureError(loader.problems)
        loader.save_states()
        if loader.touched_projects:
            # A project whose grants or figures changed was updated, even if its own fields were not.
            Project.objects.filter(pk__in=loader.touched_projects).update(updated=timezone.now())
        # The saves sent no signals for derived data (derived_data_kept_by_caller): the one owner of derived
        # data refreshes the whole loaded catalogue once, so it can never drift from what the signals keep.
        Project.objects.exclude(synthetic_condition(Project)).refresh_derived()
        # Then every row written gets a version in the edit history, one revision per top-level object:
        # staff can compare against it, restore it alone, and recover a project deleted later.
        loader.record_revisions()
        # Once for the whole reload (saves did not bump it): it commits with the reload.
        bump_catalogue_generation()
        if dry_run:
            transaction.set_rollback(True)
    return loader.report


def export_catalogue(stream):
    """Write every real catalogue row (published or not; never a synthetic one) to `stream` as fixtures. Returns the count."""
    objects = []
    for model in CATALOGUE_MODELS:
        # Every reference is written as the related row's natural key: fetch those rows in the same query.
        fields = catalogue_fields(model)
        references = [f.name for f in fields if f.is_relation and not f.many_to_many]
        queryset = model.objects.exclude(synthetic_condition(model))
        queryset = queryset.prefetch_related(*[f.name for f in fields if f.many_to_many])
        if references:  # select_related() with no names would follow every relation
            queryset = queryset.select_related(*references)
        if model in PROJECT_ROWS:
            queryset = queryset.order_by("project__slug", *natural_key_fields(model)[1:])
        else:
            queryset = queryset.order_by("slug")
        objects.extend(queryset)
    names = sorted({f.name for model in CATALOGUE_MODELS for f in catalogue_fields(model)})
    serializers.serialize(
        "json",
        objects,
        stream=stream,
        indent=2,
        fields=names,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
        ensure_ascii=False,
    )
    stream.write("\n")
    return len(objects)


@contextmanager
def snapshot(using=DEFAULT_DB_ALIAS):
    """A read-only transaction that sees one moment of the database `using`, even while a reload commits.

    On PostgreSQL, plain transactions see each query's own moment (READ COMMITTED); REPEATABLE READ
    makes every query in the block read the same snapshot. SQLite transactions already do. Inside a
    transaction, PostgreSQL's server-side cursors (QuerySet.iterator()) stream: outside one, psycopg
    declares them WITH HOLD and the server builds the whole result before the first row.

    The block also runs without PostgreSQL's JIT compilation. It is chosen by a statement's estimated cost over
    every row, and a cursor read a chunk at a time pays for it before its first row: the project export's
    correlated subqueries (ProjectQuerySet.for_export()) took 0.3 s to compile at 100,000 projects, and their
    index lookups run no faster compiled.
    """
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        # Only the first statement of a transaction may set its isolation; nested in a caller's
        # transaction, the caller's isolation holds. One round trip for both settings (no parameters: psycopg
        # sends the two statements as one query).
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL jit = off")
        yield


class _ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder rounds times to milliseconds; a backup keeps them exactly."""

    def default(self, o):
        if hasattr(o, "isoformat") and hasattr(o, "microsecond"):
            return o.isoformat()
        return super().default(o)


def export_backup(stream):
    """Write the catalogue with its edit history to `stream` as one fixture for `loaddata`. Returns the count.

    Unlike export_catalogue(), rows keep their primary keys: the history's versions point at rows by key,
    so keys must survive a restore for "restore this version" and "recover deleted" to keep working.
    Groups and users (the history's authors, with their password hashes) go by natural key, so they merge
    with what `migrate` creates in an empty database.
    """
    parts = [
        (Group.objects.order_by("name"), True),
        (User.objects.order_by("username"), True),
        *[(model.objects.order_by("pk"), False) for model in CATALOGUE_MODELS],
        (Revision.objects.order_by("pk"), False),
        (Version.objects.order_by("pk"), False),
    ]
    objects = []
    for queryset, natural_primary in parts:
        objects.extend(
            serializers.serialize(
                "python", queryset, use_natural_foreign_keys=True, use_natural_primary_keys=natural_primary
            )
        )
    json.dump(objects, stream, cls=_ExactJSONEncoder, indent=2, ensure_ascii=False)
    stream.write("\n")
    return len(objects)
