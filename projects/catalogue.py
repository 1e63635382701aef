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
Each top-level object written (a project with its grants, partnerships, figures and area links; each
donor, area, status and partner) gets a revision of its own, so restoring one never reverts another.
"""

import hashlib
import json
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import reversion
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from reversion.models import Revision, Version

from .caching import bump_catalogue_generation
from .locking import catalogue_write_lock
from .models import (
    CATALOGUE_MODELS,
    ContextFigure,
    Funding,
    LoadedFixtureState,
    Partnership,
    Project,
    natural_key_fields,
)
from .synthetic import synthetic_condition

# CATALOGUE_MODELS (in dependency order) and natural_key_fields() are declared once, in projects.models.
MODELS_BY_LABEL = {model._meta.label_lower: model for model in CATALOGUE_MODELS}
# Bookkeeping the database keeps by itself; fixtures neither carry nor compare it.
UNSERIALISED_FIELDS = {"id", "created", "updated", "largest_grant", "search_vector"}


def catalogue_fields(model):
    """The fields a fixture record of `model` carries, in model order."""
    concrete = [f for f in model._meta.concrete_fields if f.name not in UNSERIALISED_FIELDS]
    many = [f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    return concrete + many


# Rows that belong to a project: recorded in its revision, and taken down with it.
PROJECT_ROWS = (Funding, Partnership, ContextFigure)
LOAD_COMMENT = "Loaded from the fixtures by reload_catalogue."
KEEP_COMMENT = "Staff version, kept in the history before reload_catalogue --overwrite-staff-edits replaced it."


def fingerprint(obj):
    """A hash of `obj`'s state as a fixture record would carry it (natural keys, no bookkeeping fields)."""
    names = [f.name for f in catalogue_fields(type(obj))]
    data = serializers.serialize(
        "python", [obj], fields=names, use_natural_foreign_keys=True, use_natural_primary_keys=True
    )[0]["fields"]
    # Many-to-many lists come in the related model's order: sort them, so only membership counts.
    data = {name: sorted(value) if isinstance(value, list) else value for name, value in data.items()}
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
        self.taken_down_projects = set()  # natural keys of projects staff deleted: their rows stay gone
        self.written = {}  # (model, pk) of each top-level object written, in order: one revision each
        self.preserved = set()  # (model, pk) of top-level objects whose staff version was recorded

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
        """Store the fingerprint of what this load left in the database for the object."""
        LoadedFixtureState.objects.update_or_create(
            model_label=model._meta.label_lower,
            natural_key=key_text,
            defaults={"fingerprint": fingerprint(instance), "loaded_at": timezone.now(), "object_id": str(instance.pk)},
        )

    def resolve(self, record, field, value):
        """Turn a natural-key reference into the related row, or report why it cannot."""
        related = field.related_model
        key = value if isinstance(value, list) else [value]
        try:
            return related.objects.get_by_natural_key(*key)
        except (related.DoesNotExist, TypeError, ValueError):
            name = related._meta.label_lower
            if (related, tuple(map(str, key))) in self.failed:
                message = f"refers to {name} {json.dumps(key, ensure_ascii=False)}, which has problems of its own (see above)."
            else:
                message = (
                    f"refers to {name} {json.dumps(key, ensure_ascii=False)}, which does not exist. "
                    f"Add it to the fixtures or correct the reference."
                )
            self.problems.append(record.problem(message, field=field.name))
            return None

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

        lookup = {name: values[name] if name in values else raw[name] for name in key_names}
        existing = model.objects.filter(**lookup).first()
        # Taken before the loop below sets the fixture's values on the instance.
        current_fingerprint = fingerprint(existing) if existing is not None else None
        was_published = getattr(existing, "is_published", None)
        instance = existing or model()
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
            if existing is None or set(getattr(existing, name).values_list("pk", flat=True)) != pks:
                changed = True
                differ.append(name)

        try:
            instance.full_clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
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
            getattr(instance, name).set(pks)
        (self.report.created if existing is None else self.report.updated)[label] += 1
        self.remember(model, key_text, instance)
        top = self.top_level(instance)
        self.written.setdefault((type(top), top.pk), None)
        project_id = getattr(instance, "project_id", None)
        if project_id:
            self.touched_projects.add(project_id)

    def record_revisions(self):
        """One revision per top-level object written, so restoring one object never reverts another."""
        for model, pk in self.written:
            with reversion.create_revision():
                reversion.set_comment(LOAD_COMMENT)
                reversion.add_to_revision(model.objects.get(pk=pk))


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
    with catalogue_write_lock():
        loader = _Loader(overwrite_staff_edits=overwrite_staff_edits)
        loader.report.dry_run = dry_run
        for done, record in enumerate(records, start=1):
            loader.load(record)
            if progress and (done % 500 == 0 or done == len(records)):
                progress(done, len(records))
        if loader.problems:
            # Leaving the block with an exception rolls every write back.
            raise FixtureError(loader.problems)
        if loader.touched_projects:
            # A project whose grants or figures changed was updated, even if its own fields were not.
            Project.objects.filter(pk__in=loader.touched_projects).update(updated=timezone.now())
        # The saves' signals refreshed what they touched; the same method once more over the whole loaded
        # catalogue, so the load's derived data can never drift from what the signals keep.
        Project.objects.exclude(synthetic_condition(Project)).refresh_derived()
        # Then every row written gets a version in the edit history, one revision per top-level object:
        # staff can compare against it, restore it alone, and recover a project deleted later.
        loader.record_revisions()
        # Saves bumped it already; once more for the update() above. It commits with the reload.
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
        if model in (Funding, Partnership, ContextFigure):
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
    """
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        # Only the first statement of a transaction may set its isolation; nested in a caller's
        # transaction, the caller's isolation holds.
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
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
