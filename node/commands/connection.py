"""Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET."""

from __future__ import annotations

from node import errors
from node.commands.spec import command
from node.errors import CommandError
from node.replies import NO_REPLY, OK, PONG, Status


@command("ping", -1, "fast", group="connection", acl="connection", summary="Ping the server", tips="request_policy:all_shards response_policy:all_succeeded")
def ping(client, argv):
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    if client.subscriptions and client.proto == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo", 2, "loading stale fast", group="connection", acl="connection", summary="Echo the given string")
def echo(client, argv):
    return argv[1]


@command("quit", -1, "allow_busy noscript loading stale fast no_auth", group="connection", acl="connection",
         summary="Close the connection")
def quit_(client, argv):
    client.close_after_reply = True
    return OK


@command("select", 2, "loading stale fast", group="connection", acl="connection",
         summary="Change the selected database for the current connection")
def select(client, argv):
    index = parse_db_index(argv[1], "ERR value is not an integer or out of range")
    if client.server.route is not None and index != 0:
        raise CommandError("ERR SELECT is not allowed in cluster mode")
    if not 0 <= index < len(client.server.dbs):
        raise CommandError(errors.DB_INDEX)
    client.db = client.server.dbs[index]
    return OK


def parse_db_index(raw: bytes, error: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise CommandError(error) from None


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", group="connection", acl="connection",
         summary="Authenticate to the server",
         complexity="O(N) where N is the number of passwords defined for the user")
def auth(client, argv):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    user = argv[1] if len(argv) == 3 else b"default"
    password = argv[-1]
    authenticate(client, user, password, legacy=len(argv) == 2)
    return OK


def authenticate(client, user: bytes, password: bytes, *, legacy: bool = False) -> None:
    """Check a user/password pair against the default user (ACL users come later)."""
    server = client.server
    requirepass = server.config.requirepass
    if legacy and not requirepass:
        raise CommandError(errors.AUTH_NOT_CONFIGURED)
    if user == b"default" and (not requirepass or password == requirepass.encode()):
        client.authenticated = True
        client.parser.auth_required = False
        client.user = user
        return
    server.log.warning("Authentication failure for client id=%d", client.id)
    raise CommandError(errors.WRONGPASS)


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", group="connection", acl="connection",
         summary="Handshake with Redis", since="6.0.0")
def hello(client, argv):
    proto = client.proto
    i = 1
    if len(argv) >= 2:
        try:
            proto = int(argv[1])
        except ValueError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        i = 2
        if proto < 2 or proto > 3:
            raise CommandError(errors.NOPROTO)
    name = None
    while i < len(argv):
        option = argv[i].lower()
        remaining = len(argv) - i - 1
        if option == b"auth" and remaining >= 2:
            authenticate(client, argv[i + 1], argv[i + 2])
            i += 3
        elif option == b"setname" and remaining >= 1:
            name = argv[i + 1]
            check_client_name(name)
            i += 2
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{argv[i].decode('utf-8', 'replace')}'")
    if not client.authenticated:
        raise CommandError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
    if name is not None:
        client.name = name
    client.proto = proto
    from node.server import REDIS_VERSION

    server = client.server
    return {
        b"server": b"redis",
        b"version": REDIS_VERSION.encode(),
        b"proto": proto,
        b"id": client.id,
        b"mode": b"cluster" if server.route is not None else b"standalone",
        b"role": b"master",
        b"modules": [],
    }


def check_client_name(name: bytes) -> None:
    if any(b < 33 or b > 126 for b in name):
        raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")


@command("reset", 1, "noscript loading stale fast no_auth allow_busy", group="connection", acl="connection",
         summary="Reset the connection", since="6.2.0")
def reset(client, argv):
    server = client.server
    client.multi = None
    client.multi_error = False
    from node.commands.transactions import unwatch_all

    unwatch_all(client)
    client.db = server.dbs[0]
    client.proto = 2
    client.name = b""
    client.reply_mode = 0
    client.readonly = False
    client.asking = False
    if client.monitor:
        client.monitor = False
        server.monitors.remove(client)
    server.pubsub.remove_client(client)
    if client.tracking:
        server.tracking.disable(client)
    if server.auth_required:
        client.authenticated = False
        client.parser.auth_required = True
    return Status("RESET")


__all__ = ["NO_REPLY"]
