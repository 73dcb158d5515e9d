"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Queueing happens in the dispatch gate; a command rejected while queueing (unknown, wrong
arity, cluster redirect) sets ``multi_error`` and EXEC then answers EXECABORT. WATCH keeps
the client in each key's watcher list in its database; any write to the key (including
expiry and FLUSHDB) sets ``watch_dirty``, and EXEC then returns a null array. A key that
had already expired when watched does not count as changed when it is deleted later; one
that expires between WATCH and EXEC does (Redis 7.0's ``isWatchedKeyExpired``).
"""

from __future__ import annotations

from node import errors
from node.blocking import Block
from node.commands.dispatch import execute
from node.commands.spec import KeySpec, command
from node.errors import CommandError
from node.replies import NULL_ARRAY, OK, Raw, Replies


@command("multi", 1, "noscript loading stale fast allow_busy", group="transactions",
         summary="Mark the start of a transaction block", since="1.2.0")
def multi(client, argv):
    if client.multi is not None:
        raise CommandError(errors.MULTI_NESTED)
    client.multi = []
    client.multi_error = False
    return OK


@command("discard", 1, "noscript loading stale fast allow_busy", group="transactions",
         summary="Discard all commands issued after MULTI", since="2.0.0",
         complexity="O(N), when N is the number of queued commands")
def discard(client, argv):
    if client.multi is None:
        raise CommandError(errors.DISCARD_WITHOUT_MULTI)
    client.multi = None
    client.multi_error = False
    unwatch_all(client)
    return OK


@command("exec", 1, "noscript loading stale skip_slowlog", group="transactions",
         summary="Execute all commands issued after MULTI", since="1.2.0",
         complexity="Depends on commands in the transaction")
def exec_(client, argv):
    queued = client.multi
    if queued is None:
        raise CommandError(errors.EXEC_WITHOUT_MULTI)
    client.multi = None
    if client.multi_error:
        client.multi_error = False
        unwatch_all(client)
        raise CommandError(errors.EXECABORT)
    aborted = client.watch_dirty or _watched_key_expired(client)
    unwatch_all(client)
    if aborted:
        return NULL_ARRAY
    return _run_queued(client, queued)


def _run_queued(client, queued: list) -> list:
    """Run EXEC's commands. Bytes a command pushes to its own client (SUBSCRIBE's extra
    confirmations, a message it PUBLISHes to itself) are written where Redis writes them:
    inside EXEC's array, before that command's reply."""
    client.in_exec = True
    outer = client.batch_out
    replies = []
    try:
        for _spec, cmd in queued:
            pushed = client.batch_out = []
            reply = execute(client, cmd)
            if type(reply) is Block:
                reply = reply.timeout_reply  # Redis never blocks inside a transaction
            if pushed:
                reply = Replies([*map(Raw, pushed), reply])
            replies.append(reply)
    finally:
        client.in_exec = False
        client.batch_out = outer
    return replies


@command("watch", -2, "noscript loading stale fast allow_busy", group="transactions",
         keys=[KeySpec("RO", index=1, lastkey=-1)], summary="Watch the given keys to determine execution of the MULTI/EXEC block",
         since="2.2.0", complexity="O(1) for every key.")
def watch(client, argv):
    if client.multi is not None:
        raise CommandError(errors.WATCH_IN_MULTI)
    db = client.db
    for key in argv[1:]:
        if any(d is db and k == key for d, k, _ in client.watching):
            continue
        expired = key in db.data and not db.exists(key)
        client.watching.append((db, key, expired))
        db.watchers.setdefault(key, []).append(client)
    return OK


@command("unwatch", 1, "noscript loading stale fast allow_busy", group="transactions",
         summary="Forget about all watched keys", since="2.2.0")
def unwatch(client, argv):
    unwatch_all(client)
    return OK


def unwatch_all(client) -> None:
    for db, key, _ in client.watching:
        watchers = db.watchers.get(key)
        if watchers is not None:
            try:
                watchers.remove(client)
            except ValueError:
                pass
            if not watchers:
                del db.watchers[key]
    client.watching = []
    client.watch_dirty = False


def _watched_key_expired(client) -> bool:
    for db, key, expired_at_watch in client.watching:
        if not expired_at_watch and key in db.data:
            when = db.expires.get(key)
            if when is not None and when < db.clock.ms:
                return True
    return False
