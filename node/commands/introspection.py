"""COMMAND and its subcommands: the command table as Redis 7.0 describes it, built from REGISTRY only.

``COMMAND INFO`` entries have Redis 7.0's shape and wire types: name, arity, flags (a set of
simple strings), first key, last key, step, ACL categories (a set of ``+@cat``), tips (a set
of bulk strings), key specs (a set of maps, "notes" first when present), subcommands (an
array of the same entries, or an empty set). ``COMMAND DOCS`` gives summary, since, group,
complexity and subcommands (argument lists are not declared in Trireme, so they are left
out). ``COMMAND GETKEYS``/``GETKEYSANDFLAGS`` find keys the way ``getKeysFromCommandWithSpecs``
does: the key specs when they are reliable, else Redis's native getkeys procedure with its
own flags (``getkeys.py``).
"""

from __future__ import annotations

from node.commands.getkeys import NATIVE_GETKEYS, cstr
from node.commands.spec import ACL_ORDER, REGISTRY, CommandSpec, KeySpec, command
from node.config import string2ll, stringmatch
from node.errors import CommandError
from node.replies import SetReply, Status

_COMMON = {"group": "server", "acl": "connection"}

HELP = (
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
)


# -- lookups ------------------------------------------------------------------------------------------


def lookup_fullname(name: bytes) -> CommandSpec | None:
    """Redis's ``lookupCommandBySds``: ``get``, ``config`` or ``config|get`` (one level only)."""
    parts = name.lower().split(b"|")
    if len(parts) > 2:
        return None
    spec = REGISTRY.get(parts[0])
    if spec is None or len(parts) == 1:
        return spec
    return spec.subcommands.get(parts[1]) if spec.subcommands else None


def lookup_argv(argv: list[bytes]) -> CommandSpec | None:
    """Redis's ``lookupCommand``: the subcommand when the command has them and one is given."""
    spec = REGISTRY.get(argv[0].lower())
    if spec is None or len(argv) == 1 or not spec.subcommands:
        return spec
    return spec.subcommands.get(argv[1].lower())


def all_specs():
    """Every command and subcommand, each container followed by its subcommands."""
    for spec in REGISTRY.values():
        yield spec
        yield from spec.subcommands.values()


# -- COMMAND INFO ------------------------------------------------------------------------------------------


def key_spec_reply(ks: KeySpec) -> dict:
    reply: dict = {}
    if ks.notes:
        reply[b"notes"] = ks.notes.encode()
    reply[b"flags"] = SetReply(Status(flag) for flag in ks.key_flags)
    if ks.index is not None:
        reply[b"begin_search"] = {b"type": b"index", b"spec": {b"index": ks.index}}
    elif ks.keyword is not None:
        word, startfrom = ks.keyword
        reply[b"begin_search"] = {b"type": b"keyword", b"spec": {b"keyword": word.encode(), b"startfrom": startfrom}}
    else:
        reply[b"begin_search"] = {b"type": b"unknown", b"spec": {}}
    if ks.index is None and ks.keyword is None:
        reply[b"find_keys"] = {b"type": b"unknown", b"spec": {}}
    elif ks.keynum is not None:
        numidx, first, step = ks.keynum
        reply[b"find_keys"] = {b"type": b"keynum", b"spec": {b"keynumidx": numidx, b"firstkey": first, b"keystep": step}}
    else:
        reply[b"find_keys"] = {b"type": b"range", b"spec": {b"lastkey": ks.lastkey, b"keystep": ks.step, b"limit": ks.limit}}
    return reply


def info_reply(spec: CommandSpec | None) -> list | None:
    """One COMMAND INFO entry (None for an unknown name)."""
    if spec is None:
        return None
    return [
        spec.name.encode(),
        spec.arity,
        SetReply(Status(flag) for flag in spec.info_flags()),
        spec.first_key,
        spec.last_key,
        spec.key_step,
        SetReply(Status("@" + cat) for cat in spec.acl_categories),
        SetReply(tip.encode() for tip in spec.tips),
        SetReply(key_spec_reply(ks) for ks in spec.key_specs),
        [info_reply(sub) for sub in spec.subcommands.values()] if spec.subcommands else SetReply(),
    ]


def docs_reply(spec: CommandSpec) -> dict:
    reply: dict = {}
    if spec.summary:
        reply[b"summary"] = spec.summary.encode()
    if spec.since:
        reply[b"since"] = spec.since.encode()
    reply[b"group"] = spec.group.replace("_", "-").encode()
    if spec.complexity:
        reply[b"complexity"] = spec.complexity.encode()
    if spec.subcommands:
        reply[b"subcommands"] = {sub.name.encode(): docs_reply(sub) for sub in spec.subcommands.values()}
    return reply


# -- key extraction ----------------------------------------------------------------------------------------


def keys_from_specs(key_specs: tuple[KeySpec, ...], argv: list[bytes]) -> list[tuple[int, list[str]]] | None:
    """Redis's ``getKeysUsingKeySpecs``: (position, key flags) pairs, or None for an invalid spec/input."""
    argc = len(argv)
    found: list[tuple[int, list[str]]] = []
    for ks in key_specs:
        flags = ks.key_flags
        if "not_key" in flags:
            continue
        if ks.index is not None:
            first = ks.index if ks.index >= 0 else argc + ks.index
        elif ks.keyword is not None:
            word, startfrom = ks.keyword
            word_b = word.encode().lower()
            start = startfrom if startfrom > 0 else argc + startfrom
            end = argc - 1 if startfrom > 0 else 1
            first, i = 0, start
            while i != end:
                if i >= argc or i < 1:
                    break
                if cstr(argv[i]) == word_b:  # strcasecmp
                    first = i + 1
                    break
                i = i + 1 if start <= end else i - 1
            if not first:
                continue
        else:
            return None
        if ks.keynum is not None:
            numidx, firstkey, step = ks.keynum
            if numidx >= argc or first + numidx >= argc:
                return None
            count = string2ll(argv[first + numidx].decode("latin-1"))
            if count is None or count < 0:
                return None
            first += firstkey
            last = first + count - 1
        else:
            step = ks.step
            if ks.lastkey >= 0:
                last = first + ks.lastkey
            elif not ks.limit:
                last = argc + ks.lastkey
            else:
                last = first + ((argc - first) // ks.limit + ks.lastkey)
        if last >= argc or last < first or first >= argc:
            return None
        found.extend((i, flags) for i in range(first, last + 1, step))
        if "incomplete" in flags:
            return None
    return found


def find_keys(spec: CommandSpec, argv: list[bytes]) -> list[tuple[int, list[str]]]:
    """Redis's ``getKeysFromCommandWithSpecs``: the keys of ``argv`` and their flags, from the
    key specs when they are reliable (no VARIABLE_FLAGS) and can read ``argv``, else from the
    command's native getkeys procedure (``node/commands/getkeys.py``) with its own flags."""
    has_keyspec = any("not_key" not in ks.key_flags for ks in spec.key_specs)
    has_varflags = any("variable_flags" in ks.key_flags for ks in spec.key_specs)
    if has_keyspec and not has_varflags:
        found = keys_from_specs(spec.key_specs, argv)
        if found is not None:
            return found
    proc = NATIVE_GETKEYS.get(spec.name)
    return proc(argv) if proc is not None else []


def has_keys(spec: CommandSpec) -> bool:
    """Redis's ``doesCommandHaveKeys``."""
    return spec.name in NATIVE_GETKEYS or any("not_key" not in ks.key_flags for ks in spec.key_specs)


def _getkeys(argv: list[bytes], with_flags: bool) -> list:
    target = argv[2:]
    spec = lookup_argv(target)
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if not has_keys(spec):
        raise CommandError("ERR The command has no key arguments")
    arity = spec.arity
    if (arity > 0 and arity != len(target)) or len(target) < -arity:
        raise CommandError("ERR Invalid number of arguments specified for command")
    found = find_keys(spec, target)
    if not found:
        if "no_mandatory_keys" in spec.flags:
            return []
        raise CommandError("ERR Invalid arguments specified for command")
    if not with_flags:
        return [target[pos] for pos, _ in found]
    return [[target[pos], SetReply(Status(flag) for flag in flags)] for pos, flags in found]


# -- the commands ----------------------------------------------------------------------------------------------


@command("command", -1, "loading stale", tips="nondeterministic_output_order", since="2.8.13",
         complexity="O(N) where N is the total number of Redis commands",
         summary="Get array of Redis command details", **_COMMON)
def command_(client, argv):
    return [info_reply(spec) for spec in REGISTRY.values()]


@command("command|count", 2, "loading stale", since="2.8.13", summary="Get total number of Redis commands", **_COMMON)
def command_count(client, argv):
    return len(REGISTRY)


@command("command|info", -2, "loading stale", tips="nondeterministic_output_order", since="2.8.13",
         complexity="O(N) where N is the number of commands to look up",
         summary="Get array of specific Redis command details, or all when no argument is given.", **_COMMON)
def command_info(client, argv):
    if len(argv) == 2:
        return [info_reply(spec) for spec in REGISTRY.values()]
    return [info_reply(lookup_fullname(name)) for name in argv[2:]]


@command("command|docs", -2, "loading stale", tips="nondeterministic_output_order", since="7.0.0",
         complexity="O(N) where N is the number of commands to look up",
         summary="Get array of specific Redis command documentation", **_COMMON)
def command_docs(client, argv):
    if len(argv) == 2:
        return {spec.name.encode(): docs_reply(spec) for spec in REGISTRY.values()}
    reply = {}
    for name in argv[2:]:
        spec = lookup_fullname(name)
        if spec is not None:
            reply[spec.name.encode()] = docs_reply(spec)
    return reply


@command("command|list", -2, "loading stale", tips="nondeterministic_output_order", since="7.0.0",
         complexity="O(N) where N is the total number of Redis commands",
         summary="Get an array of Redis command names", **_COMMON)
def command_list(client, argv):
    keep = None
    i = 2
    while i < len(argv):
        if argv[i].lower() == b"filterby" and len(argv) - 1 - i == 2:
            kind, arg = argv[i + 1].lower(), argv[i + 2]
            if kind == b"module":
                keep = lambda spec: False
            elif kind == b"aclcat":
                cat = arg.decode("utf-8", "replace").lower()
                keep = (lambda spec, cat=cat: cat in spec.acl_categories) if cat in ACL_ORDER else (lambda spec: False)
            elif kind == b"pattern":
                keep = lambda spec, pat=arg: stringmatch(pat, spec.name.encode(), nocase=True)
            else:
                raise CommandError("ERR syntax error")
            i += 3
        else:
            raise CommandError("ERR syntax error")
    return [spec.name.encode() for spec in all_specs() if keep is None or keep(spec)]


@command("command|getkeys", -4, "loading stale", since="2.8.13",
         complexity="O(N) where N is the number of arguments to the command",
         summary="Extract keys given a full Redis command", **_COMMON)
def command_getkeys(client, argv):
    return _getkeys(argv, with_flags=False)


@command("command|getkeysandflags", -4, "loading stale", since="7.0.0",
         complexity="O(N) where N is the number of arguments to the command",
         summary="Extract keys and access flags given a full Redis command", **_COMMON)
def command_getkeysandflags(client, argv):
    return _getkeys(argv, with_flags=True)


@command("command|help", 2, "loading stale", since="5.0.0",
         summary="Show helpful text about the different subcommands", **_COMMON)
def command_help(client, argv):
    return [Status(line) for line in HELP]
