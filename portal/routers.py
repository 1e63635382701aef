"""
Reads of public pages from a replica, everything else from the primary (DATABASE_REPLICA_URL).

ReplicaReadsMiddleware marks the requests whose reads may go to the replica: GETs and HEADs of
visitors who are not signed in (projects.caching.is_public_read). Writes, the admin and every
signed-in visitor (who must see their own edits at once), management commands and anything
outside a request use the primary.
"""

from contextvars import ContextVar

from projects.caching import is_public_read

REPLICA = "replica"
_public_read = ContextVar("public_read", default=False)


class ReplicaReadsMiddleware:
    """Let the router send this request's reads to the replica if it is a public read. Without the router it does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _public_read.set(is_public_read(request))
        try:
            return self.get_response(request)
        finally:
            _public_read.reset(token)


class PrimaryReplicaRouter:
    """Installed (portal/settings.py) only when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        return REPLICA if _public_read.get() else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, **hints):
        # The replica follows the primary's schema by replication, never by migrations of its own.
        return db == "default"
