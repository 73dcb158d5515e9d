"""Configuration: redis.conf and command-line parsing, CONFIG GET/SET/REWRITE.

Each directive is one :class:`Param` in ``PARAMS`` (name, kind, default as Redis prints
it, whether CONFIG SET may change it). Parsed values live as attributes of
:class:`Config` named like the directive with ``_`` for ``-`` (``config.proto_max_bulk_len``),
so hot code reads a plain attribute.

Directives that Redis 7.0 knows but Trireme does not implement yet are listed in
``KNOWN_UNIMPLEMENTED``: they are accepted with a logged warning. Anything else stops
start-up with Redis's own "Bad directive" report.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import shlex
from dataclasses import dataclass, field
from typing import Callable, Iterable

from node.errors import CommandError

log = logging.getLogger("trireme.config")

MEMORY_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3,
}


class ConfigError(Exception):
    """A bad value; ``str(exc)`` is Redis's reason text."""


@dataclass
class Param:
    name: str
    kind: str  # bool | int | memory | string | enum | special
    default: str
    mutable: bool = True
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    minimum: int = -(2**63)
    maximum: int = 2**63 - 1
    # special kinds parse and format themselves
    parse: Callable[[str], object] | None = None
    format: Callable[[object], str] | None = None
    attr: str = field(init=False)

    def __post_init__(self) -> None:
        self.attr = self.name.replace("-", "_")

    def convert(self, text: str) -> object:
        if self.parse is not None:
            return self.parse(text)
        kind = self.kind
        if kind == "bool":
            low = text.lower()
            if low in ("yes", "no"):
                return low == "yes"
            raise ConfigError("argument must be 'yes' or 'no'")
        if kind == "int":
            try:
                value = int(text)
            except ValueError:
                raise ConfigError("argument couldn't be parsed into an integer") from None
            return self._bounded(value)
        if kind == "memory":
            return self._bounded(parse_memory(text))
        if kind == "enum":
            low = text.lower()
            if low not in self.choices:
                raise ConfigError(f"argument(s) must be one of the following: {', '.join(self.choices)}")
            return low
        return text

    def _bounded(self, value: int) -> int:
        if not self.minimum <= value <= self.maximum:
            raise ConfigError(f"argument must be between {self.minimum} and {self.maximum} inclusive")
        return value

    def show(self, value: object) -> str:
        if self.format is not None:
            return self.format(value)
        if self.kind == "bool":
            return "yes" if value else "no"
        return str(value)


def parse_memory(text: str) -> int:
    low = text.lower()
    digits = low.rstrip("kmgb")
    unit = low[len(digits):]
    if unit not in MEMORY_UNITS or not digits.lstrip("-").isdigit():
        raise ConfigError("argument must be a memory value")
    return int(digits) * MEMORY_UNITS[unit]


def _save_parse(text: str) -> list[tuple[int, int]]:
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    try:
        pairs = [(int(parts[i]), int(parts[i + 1])) for i in range(0, len(parts), 2)]
    except ValueError:
        raise ConfigError("Invalid save parameters") from None
    return pairs


def _save_format(pairs: object) -> str:
    return " ".join(f"{s} {c}" for s, c in pairs)  # type: ignore[attr-defined]


PARAMS: list[Param] = [
    Param("port", "int", "6379", mutable=True, minimum=0, maximum=65535),
    Param("bind", "string", "* -::*"),
    Param("dir", "special", "", parse=str, format=str),
    Param("requirepass", "string", ""),
    Param("databases", "int", "16", mutable=False, minimum=1, maximum=2**31 - 1),
    Param("maxclients", "int", "10000", minimum=1),
    Param("timeout", "int", "0", minimum=0),
    Param("tcp-keepalive", "int", "300", minimum=0),
    Param("tcp-backlog", "int", "511", mutable=False, minimum=0),
    Param("save", "special", "3600 1 300 100 60 10000", parse=_save_parse, format=_save_format),
    Param("appendonly", "bool", "no"),
    Param("loglevel", "enum", "notice", choices=("debug", "verbose", "notice", "warning")),
    Param("logfile", "string", "", mutable=False),
    Param("protected-mode", "bool", "yes"),
    Param("proto-max-bulk-len", "memory", "536870912", minimum=1024 * 1024),
    Param("client-query-buffer-limit", "memory", "1073741824", minimum=1024 * 1024),
    Param("hz", "int", "10", minimum=0),
    Param("dynamic-hz", "bool", "yes"),
    Param("slowlog-log-slower-than", "int", "10000"),
    Param("slowlog-max-len", "int", "128", minimum=0),
    Param("latency-monitor-threshold", "int", "0", minimum=0),
    Param("maxmemory", "memory", "0", minimum=0),
    Param("maxmemory-policy", "enum", "noeviction", choices=(
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
        "allkeys-lfu", "allkeys-random", "noeviction")),
    Param("daemonize", "bool", "no", mutable=False),
    Param("pidfile", "string", "", mutable=False),
    Param("dbfilename", "string", "dump.rdb"),
    Param("appendfilename", "string", "appendonly.aof", mutable=False),
    Param("notify-keyspace-events", "string", ""),
    Param("cluster-enabled", "bool", "no", mutable=False),
    Param("active-expire-effort", "int", "1", minimum=1, maximum=10),
    Param("unixsocket", "string", "", mutable=False),
]

# Real Redis 7.0 directives that are accepted (with a warning) before they are implemented.
KNOWN_UNIMPLEMENTED: set[str] = set()


class Config:
    """Current configuration values, one attribute per directive."""

    def __init__(self) -> None:
        self.params: dict[str, Param] = {}
        for param in PARAMS:
            self.params[param.name] = param
            for alias in param.aliases:
                self.params[alias] = param
            setattr(self, param.attr, param.convert(param.default))
        self.dir = os.getcwd()
        self.config_file: str | None = None
        self.file_lines: list[str] = []  # the config file as read, for CONFIG REWRITE
        # Called with the param name after CONFIG SET changes it (the server applies effects).
        self.on_change: Callable[[str], None] | None = None

    # -- start-up --------------------------------------------------------------------------

    @classmethod
    def from_argv(cls, argv: list[str]) -> "Config":
        """``[redis.conf] [--name value ...]``, exactly like redis-server's command line."""
        config = cls()
        lines: list[tuple[int, str]] = []
        args = list(argv)
        if args and not args[0].startswith("--"):
            config.config_file = os.path.abspath(args.pop(0))
            with open(config.config_file, encoding="utf-8", errors="surrogateescape") as fh:
                config.file_lines = fh.read().splitlines()
            lines.extend((i + 1, line) for i, line in enumerate(config.file_lines))
        option: list[str] = []
        for arg in args:
            if arg.startswith("--") and (option or not lines or True):
                if option:
                    lines.append((0, " ".join(_quote(a) for a in option)))
                option = [arg[2:]]
            else:
                option.append(arg)
        if option:
            lines.append((0, " ".join(_quote(a) for a in option)))
        for number, line in lines:
            config.load_line(line, number)
        return config

    def load_line(self, line: str, number: int = 0) -> None:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        try:
            words = shlex.split(stripped)
        except ValueError:
            raise SystemExit(_fatal(number, line, "Unbalanced quotes in configuration line")) from None
        name = words[0].lower()
        values = words[1:]
        if name == "include":
            return  # TODO: includes are resolved by a later issue
        param = self.params.get(name)
        if param is None:
            if name in KNOWN_UNIMPLEMENTED:
                log.warning("config directive '%s' is not implemented by Trireme yet; ignored", name)
                return
            raise SystemExit(_fatal(number, line, "Bad directive or wrong number of arguments"))
        try:
            text = " ".join(values) if param.kind in ("special", "string") else _single(values)
            setattr(self, param.attr, param.convert(text))
        except ConfigError as exc:
            raise SystemExit(_fatal(number, line, str(exc))) from None

    # -- CONFIG GET / SET ------------------------------------------------------------------

    def get(self, patterns: Iterable[bytes]) -> dict[bytes, bytes]:
        result: dict[bytes, bytes] = {}
        for raw in patterns:
            pattern = raw.decode("utf-8", "replace").lower()
            for name, param in self.params.items():
                if name != param.name and pattern != name:
                    continue  # aliases answer only when asked by exact name
                if fnmatch.fnmatchcase(name, pattern):
                    result[name.encode()] = param.show(getattr(self, param.attr)).encode()
        return result

    def set(self, pairs: list[tuple[bytes, bytes]]) -> None:
        """Apply all pairs or none (Redis 7.0's multi-parameter CONFIG SET)."""
        staged: list[tuple[Param, object]] = []
        seen: set[str] = set()
        for raw_name, raw_value in pairs:
            name = raw_name.decode("utf-8", "replace").lower()
            param = self.params.get(name)
            if param is None or not param.mutable:
                if param is not None:
                    raise CommandError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config")
                raise CommandError(f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
            if param.name in seen:
                raise CommandError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter")
            seen.add(param.name)
            try:
                staged.append((param, param.convert(raw_value.decode("utf-8", "surrogateescape"))))
            except ConfigError as exc:
                raise CommandError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {exc}") from None
        for param, value in staged:
            setattr(self, param.attr, value)
            if self.on_change is not None:
                self.on_change(param.name)


def _single(values: list[str]) -> str:
    if len(values) != 1:
        raise ConfigError("wrong number of arguments")
    return values[0]


def _quote(arg: str) -> str:
    return shlex.quote(arg) if arg else '""'


def _fatal(number: int, line: str, reason: str) -> str:
    where = f"at line {number}" if number else "at line 0"
    return (
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
        f"Reading the configuration file, {where}\n>>> '{line.strip()}'\n{reason}"
    )
