"""The one declaration per command, and the registry everything else reads.

A handler is declared where it is written::

    @command("get", 2, "readonly fast", group="string",
             keys=[KeySpec("RO ACCESS", index=1)],
             summary="Get the value of a key")
    def get(client, argv): ...

Dispatch (lookup, arity, flags), COMMAND INFO/COUNT/LIST/GETKEYS/DOCS, cluster routing
(``keys_of``), ACL categories and propagation all read this record and nothing else.

Conventions, as in Redis 7.0:

* ``arity`` counts the command name: positive means exactly that many, negative means at
  least ``-arity``.
* ``flags`` is a space-separated list of Redis's lower-case command flags.
* Key positions are Redis 7 key specs. ``KeySpec(flags, index=i)`` starts at argument
  ``i`` (negative counts from the end); ``keyword=("STREAMS", start)`` starts after a
  keyword. Keys then run over a ``range`` (``lastkey`` relative to the start, -1 meaning
  the last argument; ``step``; ``limit``) or a ``keynum`` (``keynum=(idx, first, step)``).
  The legacy (first, last, step) triple of COMMAND INFO and the ``movablekeys`` flag are
  derived from the specs with Redis's own rule.
* ACL categories are derived from the group and the flags; ``acl`` adds the few that
  Redis gives by hand (``dangerous``, ``connection``, ...).
* Containers (CLIENT, CONFIG, OBJECT, ...) are declared with :func:`container` and their
  subcommands with ``@command("client|list", ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

# Redis 7.0 prints command flags in this order (addReplyCommandFlags).
FLAG_ORDER = (
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
    "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
    "may_replicate", "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys",
    "allow_busy",
)
# ... and ACL categories in this order (the ACLCommandCategories table).
ACL_ORDER = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
    "dangerous", "connection", "transaction", "scripting",
)
GROUP_CATEGORY = {
    "generic": "keyspace", "string": "string", "list": "list", "set": "set",
    "sorted_set": "sortedset", "hash": "hash", "bitmap": "bitmap",
    "hyperloglog": "hyperloglog", "geo": "geo", "stream": "stream", "pubsub": "pubsub",
    "transactions": "transaction", "scripting": "scripting",
}
KEY_FLAG_ORDER = (
    "RW", "RO", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete",
    "variable_flags",
)

Handler = Callable[..., object]


@dataclass(frozen=True)
class KeySpec:
    """One Redis 7 key specification (see the module docstring)."""

    flags: str
    index: int | None = None
    keyword: tuple[str, int] | None = None
    lastkey: int = 0
    step: int = 1
    limit: int = 0
    keynum: tuple[int, int, int] | None = None
    notes: str | None = None

    @property
    def key_flags(self) -> list[str]:
        given = {f.lower() if f.lower() not in ("rw", "ro", "ow", "rm") else f.upper() for f in self.flags.split()}
        return [f for f in KEY_FLAG_ORDER if f in given]

    @property
    def is_legacy_range(self) -> bool:
        return self.index is not None and self.index >= 0 and self.keynum is None

    def find(self, argv: list[bytes]) -> list[int]:
        """Positions in ``argv`` of the keys this spec describes."""
        argc = len(argv)
        if self.index is not None:
            start = self.index if self.index >= 0 else argc + self.index
        else:
            word, startfrom = self.keyword  # type: ignore[misc]
            word_b = word.encode().lower()
            # Redis searches forward up to the second-to-last argument, or backward down to
            # argument 2 (a keyword must have something after it, and argv[1] before it).
            if startfrom > 0:
                positions = range(startfrom, argc - 1)
            else:
                positions = range(argc + startfrom, 1, -1)
            for i in positions:
                if argv[i].lower() == word_b:
                    start = i + 1
                    break
            else:
                return []
        if start <= 0 or start >= argc:
            return []
        if self.keynum is not None:
            numidx, first, step = self.keynum
            try:
                count = int(argv[start + numidx])
            except (ValueError, IndexError):
                return []
            begin = start + first
            last = begin + (count - 1) * step
            if count <= 0 or last >= argc:
                return []
            return list(range(begin, last + 1, step))
        if self.lastkey >= 0:
            last = start + self.lastkey
        elif self.limit:
            last = start + (argc - start) // self.limit - 1  # lastkey is -1 with a limit
        else:
            last = argc + self.lastkey
        if last >= argc:
            last = argc - 1
        return list(range(start, last + 1, self.step))


# Write commands whose key lookups are read lookups in Redis 7.0 (lookupKeyRead): their
# sources, or the only key they look up, count keyspace hits/misses and publish keymiss
# (checked against 7.0.15). SET's is its GET option's; its NX/XX check uses
# Database.get_for_write.
READ_LOOKUP_WRITES = frozenset((
    b"getdel", b"getex", b"getset", b"set", b"copy", b"sort", b"sunionstore", b"sinterstore", b"sdiffstore",
    b"zunionstore", b"zinterstore", b"zdiffstore", b"zrangestore", b"bitop", b"pfmerge",
    b"pfcount", b"georadius", b"georadiusbymember", b"geosearchstore", b"bitfield",
    b"xreadgroup", b"xack", b"xclaim", b"xautoclaim",
))


@dataclass(slots=True)
class CommandSpec:
    """Everything known about one command or subcommand."""

    name: str  # lower case; subcommands are "container|sub"
    arity: int
    flags: frozenset[str]
    handler: Handler | None
    group: str
    key_specs: tuple[KeySpec, ...] = ()
    getkeys: Callable[[list[bytes]], list[int]] | None = None
    acl_categories: tuple[str, ...] = ()
    tips: tuple[str, ...] = ()
    summary: str = ""
    since: str = "1.0.0"
    complexity: str = ""
    subcommands: dict[bytes, "CommandSpec"] = field(default_factory=dict)
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    movable: bool = False
    name_bytes: bytes = b""  # ``name`` encoded once (CLIENT LIST cmd=, stats)
    write: bool = False  # "write" in flags, precomputed for dispatch
    # A write whose key lookups Redis makes with lookupKeyWrite: they count no keyspace
    # hit/miss and publish no keymiss (dispatch undoes what Database.get counted). False for
    # reads and for the writes in READ_LOOKUP_WRITES.
    write_lookups: bool = False
    # argv index of the key of a command that always has exactly one, at a fixed place
    # (GET, SET, INCR, ...; legacy range first == last, not movable), else 0: the fast path
    # of cluster routing.
    single_key: int = 0
    # A data command the dispatch gate's plain lane may run (commands/dispatch.py): it
    # reads and writes keys only, never blocks, and leaves the client's state alone.
    plain: bool = False
    # Constant-time (Redis's "fast" flag, or SET): the plain lane may time a run of its
    # calls as a whole.
    bounded: bool = False
    # Runtime statistics (INFO commandstats), kept apart from the declaration.
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0

    @property
    def has_keys(self) -> bool:
        return bool(self.key_specs) or self.getkeys is not None

    @property
    def is_write(self) -> bool:
        return "write" in self.flags

    def info_flags(self) -> list[str]:
        flags = set(self.flags)
        if self.movable:
            flags.add("movablekeys")
        return [f for f in FLAG_ORDER if f in flags]

    def key_positions(self, argv: list[bytes]) -> list[int]:
        """Argument positions holding keys (COMMAND GETKEYS, routing, ACL)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if not self.key_specs:
            return []
        if len(self.key_specs) == 1:
            return self.key_specs[0].find(argv)
        found: list[int] = []
        for spec in self.key_specs:
            found.extend(spec.find(argv))
        return found

    def keys_of(self, argv: list[bytes]) -> list[bytes]:
        return [argv[i] for i in self.key_positions(argv)]


REGISTRY: dict[bytes, CommandSpec] = {}
# The same specs under their lower- and upper-case names, so dispatch finds the usual
# spellings with one dict hit and no ``bytes.lower()`` (REGISTRY is the fallback).
LOOKUP: dict[bytes, CommandSpec] = {}
# The subset of LOOKUP that is ``plain``.
PLAIN_LOOKUP: dict[bytes, CommandSpec] = {}
# Groups whose commands with keys only read and write the keyspace (the plain lane).
DATA_GROUPS = frozenset(("string", "list", "hash", "set", "sorted_set", "generic", "bitmap",
                         "hyperloglog", "geo", "stream"))


def _categories(group: str, flags: frozenset[str], extra: tuple[str, ...]) -> tuple[str, ...]:
    cats = set(extra)
    if "write" in flags:
        cats.add("write")
    if "readonly" in flags and group != "scripting":
        cats.add("read")
    if "admin" in flags:
        cats.update(("admin", "dangerous"))
    if "pubsub" in flags:
        cats.add("pubsub")
    if "fast" in flags:
        cats.add("fast")
    if "blocking" in flags:
        cats.add("blocking")
    if "fast" not in flags:
        cats.add("slow")
    if group in GROUP_CATEGORY:
        cats.add(GROUP_CATEGORY[group])
    return tuple(c for c in ACL_ORDER if c in cats)


def _legacy_range(key_specs: tuple[KeySpec, ...]) -> tuple[int, int, int, bool]:
    """(first, last, step, movable), by Redis's populateCommandLegacyRangeSpec rule."""
    if not key_specs:
        return 0, 0, 0, False
    if len(key_specs) == 1 and key_specs[0].is_legacy_range:
        ks = key_specs[0]
        last = ks.index + ks.lastkey if ks.lastkey >= 0 else ks.lastkey  # type: ignore[operator]
        return ks.index, last, ks.step, ks.limit != 0  # type: ignore[return-value]
    first, last, prev_last, movable = 2**31, 0, 0, False
    for ks in key_specs:
        if not ks.is_legacy_range:
            movable = True
            continue
        if ks.step != 1 or (prev_last and prev_last != ks.index - 1):  # type: ignore[operator]
            movable = True
            continue
        first = min(first, ks.index)  # type: ignore[type-var]
        abs_last = ks.index + ks.lastkey if ks.lastkey >= 0 else ks.lastkey  # type: ignore[operator]
        last = abs_last if (last >= 0 and abs_last < 0) or (abs_last >= 0 and last >= 0 and abs_last > last) else last
        prev_last = last
    if first == 2**31:
        return 0, 0, 0, True
    return first, last, 1, movable


def command(
    name: str,
    arity: int,
    flags: str = "",
    *,
    group: str,
    keys: list[KeySpec] | tuple[KeySpec, ...] = (),
    getkeys: Callable[[list[bytes]], list[int]] | None = None,
    acl: str = "",
    tips: str = "",
    summary: str = "",
    since: str = "1.0.0",
    complexity: str = "O(1)",
) -> Callable[[Handler], Handler]:
    """Declare a command (or ``"container|sub"`` subcommand) and register its handler."""

    def register(handler: Handler) -> Handler:
        flag_set = frozenset(flags.split())
        unknown = flag_set - set(FLAG_ORDER)
        if unknown:
            raise ValueError(f"{name}: unknown flags {sorted(unknown)}")
        key_specs = tuple(keys)
        first, last, step, movable = _legacy_range(key_specs)
        spec = CommandSpec(
            name=name,
            arity=arity,
            flags=flag_set,
            handler=handler,
            group=group,
            key_specs=key_specs,
            getkeys=getkeys,
            acl_categories=_categories(group, flag_set, tuple(acl.split())),
            tips=tuple(tips.split()),
            summary=summary,
            since=since,
            complexity=complexity,
            first_key=first,
            last_key=last,
            key_step=step,
            movable=movable or getkeys is not None,
        )
        _register(spec)
        return handler

    return register


def container(name: str, arity: int = -2, flags: str = "", *, group: str, summary: str = "", since: str = "1.0.0") -> None:
    """Declare a command that only dispatches to subcommands (CLIENT, CONFIG, OBJECT...)."""
    flag_set = frozenset(flags.split())
    _register(
        CommandSpec(
            name=name,
            arity=arity,
            flags=flag_set,
            handler=None,
            group=group,
            acl_categories=_categories(group, flag_set, ()) if flag_set else ("slow",),
            summary=summary,
            since=since,
            complexity="Depends on subcommand.",
        )
    )


def _register(spec: CommandSpec) -> None:
    spec.name_bytes = spec.name.encode()
    spec.write = "write" in spec.flags
    spec.write_lookups = spec.write and spec.name_bytes not in READ_LOOKUP_WRITES
    if spec.first_key and spec.last_key == spec.first_key and not spec.movable:
        spec.single_key = spec.first_key
    if "|" in spec.name:
        parent_name, sub = spec.name.split("|", 1)
        parent = REGISTRY[parent_name.encode()]
        key = sub.encode()
        if key in parent.subcommands:
            raise ValueError(f"command {spec.name} declared twice")
        parent.subcommands[key] = spec
        return
    key = spec.name.encode()
    if key in REGISTRY:
        raise ValueError(f"command {spec.name} declared twice")
    REGISTRY[key] = spec
    LOOKUP[key] = LOOKUP[key.upper()] = spec
    spec.plain = (spec.handler is not None and spec.group in DATA_GROUPS and spec.has_keys
                  and not spec.flags & {"blocking", "admin", "no_multi"})
    spec.bounded = "fast" in spec.flags or key in (b"set", b"setex", b"psetex")
    if spec.plain:
        PLAIN_LOOKUP[key] = PLAIN_LOOKUP[key.upper()] = spec


def lookup(argv: list[bytes]) -> CommandSpec | None:
    """The spec for ``argv`` (the subcommand's, for containers), or None if unknown."""
    spec = REGISTRY.get(argv[0].lower())
    if spec is not None and spec.subcommands and len(argv) > 1:
        return spec.subcommands.get(argv[1].lower(), spec)
    return spec
