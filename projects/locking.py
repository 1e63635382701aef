"""
One lock for writing the catalogue, so a reload and admin saves take turns instead of colliding.

Without it, a reload and an admin save lock the same rows in opposite orders: the admin's stale-form
check locks the project row (SELECT ... FOR UPDATE) and its save then bumps the catalogue generation
row, while a reload bumps the generation row with its first write and reaches the project row later.
PostgreSQL breaks that cycle by killing one side ("deadlock detected"); SQLite answers "database is
locked" at once to a transaction that read before it tried to write. Either way staff saw a 503.

catalogue_write_lock() is the one lock, taken FIRST in a writer's transaction, before it reads or
locks anything else, so every writer that takes it waits in one place and in one order:

- PostgreSQL: a transaction-scoped advisory lock (pg_advisory_xact_lock under a lock_timeout, so
  waiters queue in order and nobody waits forever). It ends with the transaction, committed or not.
- SQLite: the database's own write lock, taken by a first statement that writes nothing, under a
  busy timeout of the same wait. A transaction that starts by writing waits its turn (the busy
  timeout applies); only one that read first is refused at once. This is what
  OPTIONS {"transaction_mode": "IMMEDIATE"} would do for every transaction, but only for catalogue
  writes: read-only transactions (projects.catalogue.snapshot(), the streaming exports) stay
  deferred, so a long export never holds off a save and a reload never holds off an export.

Writers that do not take the lock (a shell, seed_synthetic) still work; they just do not queue.
"""

import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.utils.translation import gettext

from .models import CatalogueGeneration

# Any fixed 64-bit number, the same for every process: "IOM catalogue" in ASCII, as an integer.
ADVISORY_LOCK_KEY = 0x494F4D636174


class CatalogueBusy(Exception):
    """Another writer held the catalogue lock for longer than this writer would wait."""


def save_wait():
    """Seconds an admin save waits for the lock: short, since staff are waiting on the page."""
    return float(getattr(settings, "CATALOGUE_SAVE_LOCK_WAIT", 5))


def reload_wait():
    """Seconds reload_catalogue waits for the lock: long enough for any admin save to finish."""
    return float(getattr(settings, "CATALOGUE_RELOAD_LOCK_WAIT", 30))


@contextmanager
def catalogue_write_lock(wait=None, using=DEFAULT_DB_ALIAS):
    """A transaction that holds the catalogue write lock from its first statement until it ends.

    Opens transaction.atomic(using); the lock is its first statement when this is the outermost
    block. Raises CatalogueBusy, having written nothing, when the lock is not free within `wait`
    seconds (default: reload_wait()).
    """
    wait = reload_wait() if wait is None else wait
    with transaction.atomic(using=using):
        _acquire(connections[using], wait)
        yield


def _acquire(connection, wait):
    if connection.vendor == "postgresql":
        _acquire_advisory_lock(connection, wait)
    elif connection.vendor == "sqlite":
        _acquire_sqlite_write_lock(connection, wait)


def _acquire_advisory_lock(connection, wait):
    # Blocking, so waiters queue in order (a reload run again at once cannot cut in front of a waiting save),
    # under a lock_timeout so nobody waits forever. In a savepoint: the timeout's error must not abort the
    # caller's transaction. The lock stays held when the savepoint is released, until the transaction ends.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{max(int(wait * 1000), 1)}ms"])
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            raise CatalogueBusy(busy_message(wait)) from None
        # What the rest of the transaction waits for is the caller's business, as before.
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _acquire_sqlite_write_lock(connection, wait):
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (previous,) = cursor.fetchone()
        try:
            while True:
                cursor.execute(f"PRAGMA busy_timeout = {max(int((deadline - time.monotonic()) * 1000), 0)}")
                try:
                    # Matches no row, but a write statement takes the database's write lock (RESERVED) before
                    # it looks at any row, and as the transaction's first statement it waits for it.
                    cursor.execute(f"UPDATE {CatalogueGeneration._meta.db_table} SET generation = generation WHERE 0")
                    return
                except OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                    # A shared-cache database (the test suite's in-memory one) answers "table is locked" at
                    # once instead of waiting: wait here. A failed first statement leaves nothing to undo.
                    if time.monotonic() >= deadline:
                        raise CatalogueBusy(busy_message(wait)) from None
                    time.sleep(0.05)
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def busy_message(wait):
    return gettext(
        "The catalogue is being changed by someone else (or reloaded from the fixtures) and stayed busy for "
        "%(seconds)s seconds."
    ) % {"seconds": f"{wait:g}"}
