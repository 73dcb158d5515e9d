"""String commands (placeholder with GET and SET; the strings issue work fills this in)."""

from __future__ import annotations

from node import errors
from node.commands.spec import KeySpec, command
from node.errors import CommandError
from node.replies import OK


def get_string(db, key: bytes) -> bytes | None:
    value = db.get(key)
    if value is None or type(value) is bytes:
        return value
    raise CommandError(errors.WRONGTYPE)


@command("get", 2, "readonly fast", group="string", keys=[KeySpec("RO ACCESS", index=1)],
         summary="Get the value of a key")
def get(client, argv):
    return get_string(client.db, argv[1])


@command("set", -3, "write denyoom", group="string",
         keys=[KeySpec("RW ACCESS UPDATE VARIABLE_FLAGS", index=1, notes="RW and ACCESS due to the optional `GET` argument")],
         summary="Set the string value of a key")
def set_(client, argv):
    if len(argv) == 3:
        client.db.set(argv[1], argv[2])
        return OK
    raise CommandError(errors.SYNTAX)
