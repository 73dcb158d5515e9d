"""Keyspace notifications (``notify-keyspace-events``): publishing one event.

A command that changes a key calls :func:`notify` with the event's class (one of the
``NOTIFY_*`` bits from ``node/config.py``: ``NOTIFY_STRING`` for ``set``, ``NOTIFY_GENERIC``
for ``del``/``expire``/``rename_from``...), the event name Redis uses, the key and the
database number, after the change is made (Redis's ``notifyKeyspaceEvent``). If the
configured flags select the class, the event is published on this node only (Redis does
not send keyspace events over the cluster bus):

* with ``K``: channel ``__keyspace@<db>__:<key>``, message ``<event>``;
* with ``E``: channel ``__keyevent@<db>__:<event>``, message ``<key>``.

The cost when notifications are off is one attribute read and a bit test:
``server.notify_flags`` is 0 unless ``K`` or ``E`` and at least one class are set, so hot
paths may test ``client.server.notify_flags`` themselves before building arguments.

Command handlers mostly call :func:`key_event` (the client's database; ``created=True``
first publishes ``new``, class ``n``, as Redis's ``dbAdd`` does before the command's own
event) and :func:`key_removed` (a container emptied by a removal: its event, then ``del``).
Expiry (lazy and active) publishes ``expired`` from ``Server._key_expired``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.config import (  # noqa: F401  (re-exported for the command modules)
    NOTIFY_ALL,
    NOTIFY_EVICTED,
    NOTIFY_EXPIRED,
    NOTIFY_GENERIC,
    NOTIFY_HASH,
    NOTIFY_KEY_MISS,
    NOTIFY_KEYEVENT,
    NOTIFY_KEYSPACE,
    NOTIFY_LIST,
    NOTIFY_NEW,
    NOTIFY_SET,
    NOTIFY_STREAM,
    NOTIFY_STRING,
    NOTIFY_ZSET,
)

if TYPE_CHECKING:
    from node.server import Server

_prefixes: dict[int, tuple[bytes, bytes]] = {}


def effective_flags(configured: int) -> int:
    """What ``server.notify_flags`` holds for a configured value: 0 when nothing can be sent
    (no ``K``/``E``, or no event class), so one test answers "is anything on"."""
    if not configured & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT):
        return 0
    if not configured & ~(NOTIFY_KEYSPACE | NOTIFY_KEYEVENT):
        return 0
    return configured


def notify(server: "Server", kind: int, event: bytes, key: bytes, db_id: int) -> None:
    """Publish ``event`` on ``key`` of database ``db_id`` if ``kind`` is enabled."""
    flags = server.notify_flags
    if not flags & kind:
        return
    prefixes = _prefixes.get(db_id)
    if prefixes is None:
        prefixes = _prefixes[db_id] = (
            b"__keyspace@%d__:" % db_id,
            b"__keyevent@%d__:" % db_id,
        )
    pubsub = server.pubsub
    if flags & NOTIFY_KEYSPACE:
        pubsub.publish(prefixes[0] + key, event)
    if flags & NOTIFY_KEYEVENT:
        pubsub.publish(prefixes[1] + event, key)


def key_event(client, kind: int, event: bytes, key: bytes, created: bool = False) -> None:
    """``event`` on ``key`` of the client's database, after ``new`` if the write created it."""
    db_event(client.server, client.db.id, kind, event, key, created)


def db_event(server: "Server", db_id: int, kind: int, event: bytes, key: bytes, created: bool = False) -> None:
    """:func:`key_event` for a given database (COPY ... DB, MOVE)."""
    flags = server.notify_flags
    if not flags:
        return
    if created and flags & NOTIFY_NEW:
        notify(server, NOTIFY_NEW, b"new", key, db_id)
    if flags & kind:
        notify(server, kind, event, key, db_id)


def key_removed(client, kind: int, event: bytes, key: bytes, emptied: bool) -> None:
    """Elements were removed from the container at ``key``: ``event``, then ``del`` if the
    container became empty and was deleted (Redis never keeps an empty container)."""
    server = client.server
    flags = server.notify_flags
    if not flags:
        return
    if flags & kind:
        notify(server, kind, event, key, client.db.id)
    if emptied and flags & NOTIFY_GENERIC:
        notify(server, NOTIFY_GENERIC, b"del", key, client.db.id)
