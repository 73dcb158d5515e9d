"""CLIENT and its subcommands, with Redis 7.0.15's replies and error texts.

Also :func:`client_info_line`, the ``CLIENT LIST`` / ``CLIENT INFO`` line of one client
(pure: it reads the Client and a timestamp, so unit tests call it directly). Fields Trireme
does not track the way Redis does (reply buffer sizes, query buffer free space) are
reported as 0; ``tot-mem`` is the sum of the buffers Trireme does hold for the client.

Two 7.2 subcommands are accepted although 7.0 does not know them, because clients send them
(redis-py's ``CLIENT SETINFO`` on connect) or expect them: ``SETINFO`` and ``NO-TOUCH``.
"""

from __future__ import annotations

import time

from node import errors
from node.client import REPLY_OFF, REPLY_ON, REPLY_SKIP
from node.commands.connection import check_client_name
from node.commands.spec import command, container
from node.errors import CommandError
from node.replies import NO_REPLY, OK, SetReply, Status, Verbatim
from node.tracking import BCAST, BROKEN_REDIR, CACHING, NOLOOP, OPTIN, OPTOUT

LLONG_MAX = 2**63 - 1

container("client", -2, group="connection", since="2.4.0",
          summary="A container for client connection commands")

CLIENT_HELP = (
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
)
_HELP_REPLY = [Status(line) for line in CLIENT_HELP]

# Client types as CLIENT LIST TYPE / CLIENT KILL TYPE name them ("slave" is the old name).
CLIENT_TYPES = {b"normal": "normal", b"slave": "replica", b"replica": "replica",
                b"pubsub": "pubsub", b"master": "master"}

_ADMIN = "admin noscript loading stale"
_PLAIN = "noscript loading stale"


# -- the CLIENT LIST line --------------------------------------------------------------------------


def client_type(client) -> str:
    """Redis's getClientType: master, replica (a MONITOR is "normal"), pubsub or normal."""
    kind = client.kind
    if kind == "master":
        return "master"
    if kind == "replica" and not client.monitor:
        return "replica"
    if kind == "pubsub" or client.subscriptions:
        return "pubsub"
    return "normal"


def client_flags(client) -> str:
    """The ``flags=`` letters, in Redis's order; ``N`` when there are none."""
    flags = []
    if client.monitor:
        flags.append("O")
    elif client.kind == "replica":
        flags.append("S")
    if client.kind == "master":
        flags.append("M")
    if client.subscriptions or client.kind == "pubsub":
        flags.append("P")
    if client.multi is not None:
        flags.append("x")
    if client.id in client.server.blocking.by_client:
        flags.append("b")
    tracking = client.tracking
    if tracking:
        flags.append("t")
        if tracking & BROKEN_REDIR:
            flags.append("R")
        if tracking & BCAST:
            flags.append("B")
    if client.watch_dirty:
        flags.append("d")
    if client.close_after_reply:
        flags.append("c")
    if client.closing:
        flags.append("A")
    if client.addr.startswith("/"):
        flags.append("U")
    if client.readonly:
        flags.append("r")
    if client.no_evict:
        flags.append("e")
    if client.no_touch:
        flags.append("T")
    return "".join(flags) or "N"


def client_info_line(client, now: float | None = None, *, current_cmd: bytes | None = None,
                     argv: list[bytes] | None = None) -> bytes:
    """One ``CLIENT LIST`` line (no trailing newline), Redis 7.0's field order.

    ``current_cmd``/``argv`` describe the command the client is running now (for the client
    that asked: Redis shows its own ``cmd=client|list`` and the ``argv-mem`` of it).
    """
    if now is None:
        now = time.time()
    qbuf = client.parser.pending
    argv_mem = sum(len(a) for a in argv) if argv else 0
    multi_mem = 0
    if client.multi is not None:
        for _spec, queued in client.multi:
            multi_mem += sum(len(a) for a in queued)
    omem = client.outbox_bytes
    cmd = current_cmd if current_cmd is not None else client.last_command
    events = "rw" if (client.outbox or client.sending) else "r"
    return (
        b"id=%d addr=%b laddr=%b fd=%d name=%b age=%d idle=%d flags=%b db=%d sub=%d psub=%d ssub=%d "
        b"multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=%d rbs=%d rbp=%d obl=%d oll=%d omem=%d "
        b"tot-mem=%d events=%b cmd=%b user=%b redir=%d resp=%d"
        % (
            client.id,
            client.addr.encode("utf-8", "surrogateescape"),
            client.laddr.encode("utf-8", "surrogateescape"),
            client.fd,
            client.name,
            max(0, int(now - client.created)),
            max(0, int(now - client.last_interaction)),
            client_flags(client).encode(),
            client.db.id,
            len(client.sub_channels),
            len(client.sub_patterns),
            len(client.sub_shard),
            len(client.multi) if client.multi is not None else -1,
            qbuf,
            0,
            argv_mem,
            multi_mem,
            0,
            0,
            0,
            len(client.outbox),
            omem,
            qbuf + argv_mem + multi_mem + omem,
            events.encode(),
            cmd,
            client.user,
            client.tracking_redirect if client.tracking else -1,
            client.proto,
        )
    )


def live_clients(server):
    """Connected clients in id order, without those already being closed."""
    return [c for c in server.clients.values() if not c.closing]


# -- subcommands -----------------------------------------------------------------------------------


@command("client|help", 2, "loading stale", group="connection", acl="connection", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def client_help(client, argv):
    return _HELP_REPLY


@command("client|id", 2, _PLAIN, group="connection", acl="connection", since="5.0.0",
         summary="Returns the client ID for the current connection")
def client_id(client, argv):
    return client.id


@command("client|setname", 3, _PLAIN, group="connection", acl="connection", since="2.6.9",
         summary="Set the current connection name")
def client_setname(client, argv):
    check_client_name(argv[2])
    client.name = argv[2]
    return OK


@command("client|getname", 2, _PLAIN, group="connection", acl="connection", since="2.6.9",
         summary="Get the current connection name")
def client_getname(client, argv):
    return client.name or None


@command("client|list", -2, _ADMIN, group="connection", acl="connection", since="2.4.0",
         tips="nondeterministic_output", complexity="O(N) where N is the number of client connections",
         summary="Get the list of client connections")
def client_list(client, argv):
    server = client.server
    if len(argv) == 4 and argv[2].lower() == b"type":
        wanted = CLIENT_TYPES.get(argv[3].lower())
        if wanted is None:
            raise CommandError(f"ERR Unknown client type '{_text(argv[3])}'")
        chosen = [c for c in live_clients(server) if client_type(c) == wanted]
    elif len(argv) > 3 and argv[2].lower() == b"id":
        chosen = []
        for raw in argv[3:]:
            cid = _parse_ll(raw)
            if cid is None:
                raise CommandError("ERR Invalid client ID")
            other = server.clients.get(cid)
            if other is not None and not other.closing:
                chosen.append(other)
    elif len(argv) != 2:
        raise CommandError(errors.SYNTAX)
    else:
        chosen = live_clients(server)
    now = time.time()
    lines = []
    for other in chosen:
        if other is client:
            lines.append(client_info_line(other, now, current_cmd=b"client|list", argv=argv))
        else:
            lines.append(client_info_line(other, now))
        lines.append(b"\n")
    return Verbatim(b"".join(lines))


@command("client|info", 2, _PLAIN, group="connection", acl="connection", since="6.2.0",
         tips="nondeterministic_output", summary="Returns information about the current client connection.")
def client_info(client, argv):
    return Verbatim(client_info_line(client, current_cmd=b"client|info", argv=argv) + b"\n")


@command("client|kill", -3, _ADMIN, group="connection", acl="connection", since="2.4.0",
         complexity="O(N) where N is the number of client connections",
         summary="Kill the connection of a client")
def client_kill(client, argv):
    server = client.server
    addr = laddr = user = None
    kind = None
    cid = 0
    if len(argv) == 3:  # old form: CLIENT KILL addr:port (may kill the caller itself)
        addr = argv[2]
        skipme = False
    else:
        skipme = True
        i = 2
        while i < len(argv):
            option = argv[i].lower()
            if i + 1 >= len(argv):
                raise CommandError(errors.SYNTAX)
            value = argv[i + 1]
            if option == b"id":
                cid = _parse_ll(value)
                if cid is None or cid < 1:
                    raise CommandError("ERR client-id should be greater than 0")
            elif option == b"type":
                kind = CLIENT_TYPES.get(value.lower())
                if kind is None:
                    raise CommandError(f"ERR Unknown client type '{_text(value)}'")
            elif option == b"addr":
                addr = value
            elif option == b"laddr":
                laddr = value
            elif option == b"user":
                if value != b"default":  # the only user until ACLs exist
                    raise CommandError(f"ERR No such user '{_text(value)}'")
                user = value
            elif option == b"skipme":
                low = value.lower()
                if low == b"yes":
                    skipme = True
                elif low == b"no":
                    skipme = False
                else:
                    raise CommandError(errors.SYNTAX)
            else:
                raise CommandError(errors.SYNTAX)
            i += 2
    killed = 0
    for other in live_clients(server):
        if addr is not None and other.addr.encode("utf-8", "surrogateescape") != addr:
            continue
        if laddr is not None and other.laddr.encode("utf-8", "surrogateescape") != laddr:
            continue
        if kind is not None and client_type(other) != kind:
            continue
        if cid and other.id != cid:
            continue
        if user is not None and other.user != user:
            continue
        if other is client:
            if skipme:
                continue
            client.close_after_reply = True
        else:
            other.kill()
        killed += 1
    if len(argv) == 3:
        if not killed:
            raise CommandError("ERR No such client")
        return OK
    return killed


@command("client|reply", 3, _PLAIN, group="connection", acl="connection", since="3.2.0",
         summary="Instruct the server whether to reply to commands")
def client_reply(client, argv):
    mode = argv[2].lower()
    if mode == b"on":
        client.reply_mode = REPLY_ON
        return OK
    if mode == b"off":
        client.reply_mode = REPLY_OFF
        return NO_REPLY
    if mode == b"skip":
        if client.reply_mode != REPLY_OFF:
            client.reply_mode = REPLY_SKIP
        return NO_REPLY
    raise CommandError(errors.SYNTAX)


@command("client|pause", -3, _ADMIN, group="connection", acl="connection", since="2.9.50",
         summary="Stop processing commands from clients for some time")
def client_pause(client, argv):
    if len(argv) > 4:
        raise CommandError(subcommand_syntax_error(argv[1], "client"))
    writes_only = False
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode == b"write":
            writes_only = True
        elif mode != b"all":
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
    ms = _parse_ll(argv[2])
    if ms is None:
        raise CommandError("ERR timeout is not an integer or out of range")
    if ms < 0:
        raise CommandError("ERR timeout is negative")
    client.server.pause(ms / 1000, writes_only)
    return OK


@command("client|unpause", 2, _ADMIN, group="connection", acl="connection", since="6.2.0",
         complexity="O(N) Where N is the number of paused clients",
         summary="Resume processing of clients that were paused")
def client_unpause(client, argv):
    client.server.unpause()
    return OK


@command("client|no-evict", 3, _ADMIN, group="connection", acl="connection", since="7.0.0",
         summary="Set client eviction mode for the current connection")
def client_no_evict(client, argv):
    client.no_evict = _on_off(argv[2])
    return OK


@command("client|no-touch", 3, _PLAIN, group="connection", acl="connection", since="7.2.0",
         summary="Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.")
def client_no_touch(client, argv):
    client.no_touch = _on_off(argv[2])
    return OK


@command("client|setinfo", 4, _PLAIN, group="connection", acl="connection", since="7.2.0",
         summary="Set client or connection specific info")
def client_setinfo(client, argv):
    attr = argv[2].lower()
    value = argv[3]
    if attr not in (b"lib-name", b"lib-ver"):
        raise CommandError(f"ERR Unrecognized option '{_text(argv[2])}'")
    if any(b < 33 or b > 126 for b in value):
        raise CommandError(f"ERR {_text(argv[2])} cannot contain spaces, newlines or special characters.")
    if attr == b"lib-name":
        client.lib_name = value
    else:
        client.lib_ver = value
    return OK


@command("client|getredir", 2, _PLAIN, group="connection", acl="connection", since="6.0.0",
         summary="Get tracking notifications redirection client ID if any")
def client_getredir(client, argv):
    return client.tracking_redirect if client.tracking else -1


@command("client|trackinginfo", 2, _PLAIN, group="connection", acl="connection", since="6.2.0",
         summary="Return information about server assisted client side caching for the current connection")
def client_trackinginfo(client, argv):
    tracking = client.tracking
    return {
        b"flags": SetReply(_tracking_flags(tracking)),
        b"redirect": client.tracking_redirect if tracking else -1,
        b"prefixes": sorted(client.tracking_prefixes or ()),
    }


def _tracking_flags(tracking: int) -> list[bytes]:
    """CLIENT TRACKINGINFO's flags, in Redis's order."""
    flags = [b"on" if tracking else b"off"]
    if tracking & BCAST:
        flags.append(b"bcast")
    if tracking & OPTIN:
        flags.append(b"optin")
        if tracking & CACHING:
            flags.append(b"caching-yes")
    if tracking & OPTOUT:
        flags.append(b"optout")
        if tracking & CACHING:
            flags.append(b"caching-no")
    if tracking & NOLOOP:
        flags.append(b"noloop")
    if tracking & BROKEN_REDIR:
        flags.append(b"broken_redirect")
    return flags


@command("client|tracking", -3, _PLAIN, group="connection", acl="connection", since="6.0.0",
         complexity="O(1). Some options may introduce additional complexity.",
         summary="Enable or disable server assisted client side caching support")
def client_tracking(client, argv):
    redirect, options, prefixes = _tracking_options(client, argv)
    mode = argv[2].lower()
    tracking = client.server.tracking
    if mode == b"off":
        tracking.disable(client)
        return OK
    if mode != b"on":
        raise CommandError(errors.SYNTAX)
    _check_tracking_modes(client.tracking, options, prefixes)
    if options & BCAST:
        _check_prefix_overlaps(client.tracking_prefixes or {}, prefixes)
    tracking.enable(client, redirect, options, prefixes)
    return OK


_TRACKING_WORDS = {b"bcast": BCAST, b"optin": OPTIN, b"optout": OPTOUT, b"noloop": NOLOOP}


def _tracking_options(client, argv) -> tuple[int, int, list[bytes]]:
    """CLIENT TRACKING's options, parsed (and REDIRECT checked) before ON/OFF is looked at."""
    redirect = 0
    options = 0
    prefixes: list[bytes] = []
    i = 3
    while i < len(argv):
        word = argv[i].lower()
        more = i + 1 < len(argv)
        if word == b"redirect" and more:
            i += 1
            if redirect:
                raise CommandError("ERR A client can only redirect to a single other client")
            target = _parse_ll(argv[i])
            if target is None:
                raise CommandError(errors.NOT_INTEGER)
            if target not in client.server.clients:
                raise CommandError("ERR The client ID you want redirect to does not exist")
            redirect = target
        elif word in _TRACKING_WORDS:
            options |= _TRACKING_WORDS[word]
        elif word == b"prefix" and more:
            i += 1
            prefixes.append(argv[i])
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    return redirect, options, prefixes


def _check_tracking_modes(current: int, options: int, prefixes: list[bytes]) -> None:
    """The mode checks of CLIENT TRACKING ON, in Redis 7.0's order."""
    if prefixes and not options & BCAST:
        raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
    if current and (current & BCAST) != (options & BCAST):
        raise CommandError("ERR You can't switch BCAST mode on/off before disabling tracking for this "
                           "client, and then re-enabling it with a different mode.")
    if options & BCAST and options & (OPTIN | OPTOUT):
        raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
    if options & OPTIN and options & OPTOUT:
        raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
    if (options & OPTIN and current & OPTOUT) or (options & OPTOUT and current & OPTIN):
        raise CommandError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this "
                           "client, and then re-enabling it with a different mode.")


def _check_prefix_overlaps(existing, prefixes: list[bytes]) -> None:
    """Two prefixes overlap when one starts the other (both would report the same keys).

    Redis 7.0.15 answers an overlap between two *given* prefixes past the first one with
    the error and then +OK (and enables tracking): a protocol desync. Here the error is the
    only reply and tracking is left as it was.
    """
    for i, prefix in enumerate(prefixes):
        for old in sorted(existing):
            if _overlap(old, prefix):
                raise CommandError(f"ERR Prefix '{_text(prefix)}' overlaps with an existing prefix "
                                   f"'{_text(old)}'. Prefixes for a single client must not overlap.")
        for other in prefixes[i + 1:]:
            if _overlap(prefix, other):
                raise CommandError(f"ERR Prefix '{_text(prefix)}' overlaps with another provided prefix "
                                   f"'{_text(other)}'. Prefixes for a single client must not overlap.")


def _overlap(a: bytes, b: bytes) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


@command("client|caching", 3, _PLAIN, group="connection", acl="connection", since="6.0.0",
         summary="Instruct the server about tracking or not keys in the next request")
def client_caching(client, argv):
    tracking = client.tracking
    if not tracking:
        raise CommandError("ERR CLIENT CACHING can be called only when the client is in tracking mode "
                           "with OPTIN or OPTOUT mode enabled")
    answer = argv[2].lower()
    if answer == b"yes":
        if not tracking & OPTIN:
            raise CommandError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif answer == b"no":
        if not tracking & OPTOUT:
            raise CommandError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise CommandError(errors.SYNTAX)
    client.tracking = tracking | CACHING
    return OK


@command("client|unblock", -3, _ADMIN, group="connection", acl="connection", since="5.0.0",
         complexity="O(log N) where N is the number of client connections",
         summary="Unblock a client blocked in a blocking command from a different connection")
def client_unblock(client, argv):
    if len(argv) > 4:
        raise CommandError(subcommand_syntax_error(argv[1], "client"))
    as_error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            as_error = True
        elif reason != b"timeout":
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    target_id = _parse_ll(argv[2])
    if target_id is None:
        raise CommandError(errors.NOT_INTEGER)
    server = client.server
    target = server.clients.get(target_id)
    # Blocking commands provide ``server.unblock_client(target, as_error) -> bool`` (True
    # when the target was blocked and got its timeout reply, or the UNBLOCKED error).
    unblock = getattr(server, "unblock_client", None)
    if target is None or target.closing or unblock is None:
        return 0
    return 1 if unblock(target, as_error) else 0


# -- helpers ---------------------------------------------------------------------------------------


def subcommand_syntax_error(sub: bytes, container_name: str) -> str:
    """Redis 7.0's addReplySubcommandSyntaxError text (lower-case "unknown")."""
    return (f"ERR unknown subcommand or wrong number of arguments for '{_text(sub)[:128]}'. "
            f"Try {container_name.upper()} HELP.")


def _on_off(raw: bytes) -> bool:
    low = raw.lower()
    if low == b"on":
        return True
    if low == b"off":
        return False
    raise CommandError(errors.SYNTAX)


def _parse_ll(raw: bytes) -> int | None:
    """Redis's string2ll: optional '-', digits, no leading zeros or spaces, 64-bit range."""
    if not raw or len(raw) > 20:
        return None
    body = raw[1:] if raw[:1] == b"-" else raw
    if not body.isdigit() or (len(body) > 1 and body[:1] == b"0") or (body == b"0" and raw[:1] == b"-"):
        return None
    value = int(raw)
    if not -(2**63) <= value <= LLONG_MAX:
        return None
    return value


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")
