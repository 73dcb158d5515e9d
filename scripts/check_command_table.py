#!/usr/bin/env python3
"""Compare Trireme's command table with a real Redis, command by command.

    python3 scripts/check_command_table.py --ours 17300 --real 16600 [--full] [--docs]

For every command and subcommand Trireme registers (its ``COMMAND INFO`` entries), prints
what differs from the real server's entry: arity, flags, first/last/step, ACL categories
(and with ``--full`` also tips and key specs), plus the commands the real server does not
know; ``--docs`` adds the ``COMMAND DOCS`` summary, since, group and complexity. Exit
status 1 when something differs. ``compare()`` and ``compare_docs()`` are what the
differential tests use.
"""

from __future__ import annotations

import argparse
import socket
import sys

FIELDS = ("arity", "flags", "first", "last", "step", "categories")
EXTRA_FIELDS = ("tips", "key_specs")


class _Conn:
    """Just enough RESP2 to read COMMAND replies (redis-py reshapes them)."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def call(self, *args: bytes | str):
        parts = [a.encode() if isinstance(a, str) else a for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%b\r\n" % (len(p), p) for p in parts))
        return self._read()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return int(rest) if kind == b":" else rest
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ValueError(f"unexpected reply {line!r}")

    def close(self) -> None:
        self.sock.close()


def _entries(info: list) -> dict[str, dict]:
    """COMMAND INFO entries (and their subcommands) by name, as comparable fields."""
    out: dict[str, dict] = {}
    for entry in info:
        if entry is None:
            continue
        name = entry[0].decode()
        out[name] = {
            "arity": entry[1],
            "flags": sorted(f.decode() for f in entry[2]),
            "first": entry[3],
            "last": entry[4],
            "step": entry[5],
            "categories": sorted(c.decode() for c in entry[6]),
            "tips": sorted(t.decode() for t in entry[7]),
            "key_specs": entry[8],
        }
        out.update(_entries(entry[9] or []))
    return out


def compare(ours_port: int, real_port: int, full: bool = False) -> list[str]:
    """One line per difference between our COMMAND INFO entries and the real server's."""
    ours_conn, real_conn = _Conn(ours_port), _Conn(real_port)
    try:
        ours = _entries(ours_conn.call("COMMAND", "INFO"))
        names = sorted(ours)
        real_info = real_conn.call("COMMAND", "INFO", *names)
        real = {}
        for name, entry in zip(names, real_info):
            if entry is not None:
                real.update(_entries([entry]))
    finally:
        ours_conn.close()
        real_conn.close()
    fields = FIELDS + (EXTRA_FIELDS if full else ())
    problems = []
    for name in names:
        if name not in real:
            problems.append(f"{name}: unknown to the real server")
            continue
        for field in fields:
            if ours[name][field] != real[name][field]:
                problems.append(f"{name}: {field} ours={ours[name][field]!r} real={real[name][field]!r}")
    return problems


DOC_FIELDS = (b"summary", b"since", b"group", b"complexity")


def _pairs(value) -> dict:
    return {value[i]: value[i + 1] for i in range(0, len(value), 2)} if isinstance(value, list) else {}


def _docs(reply) -> dict[str, dict]:
    """COMMAND DOCS (RESP2) as name -> {field: value}, subcommands flattened in."""
    out: dict[str, dict] = {}
    for name, doc in _pairs(reply).items():
        fields = _pairs(doc)
        out[name.decode()] = {f.decode(): fields.get(f) for f in DOC_FIELDS}
        out.update(_docs(fields.get(b"subcommands") or []))
    return out


def compare_docs(ours_port: int, real_port: int, names: list[str] | None = None) -> list[str]:
    """One line per COMMAND DOCS field (summary, since, group, complexity) that differs."""
    ours_conn, real_conn = _Conn(ours_port), _Conn(real_port)
    try:
        ours = _docs(ours_conn.call("COMMAND", "DOCS", *(names or [])))
        real = _docs(real_conn.call("COMMAND", "DOCS", *sorted(ours)))
    finally:
        ours_conn.close()
        real_conn.close()
    problems = []
    for name in sorted(ours):
        if name not in real:
            problems.append(f"{name}: no docs on the real server")
            continue
        for field, value in ours[name].items():
            if value != real[name][field]:
                problems.append(f"{name}: {field} ours={value!r} real={real[name][field]!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", type=int, default=17300, help="Trireme's port")
    parser.add_argument("--real", type=int, default=16600, help="redis-server's port")
    parser.add_argument("--full", action="store_true", help="also compare tips and key specs")
    parser.add_argument("--docs", action="store_true", help="also compare COMMAND DOCS fields")
    args = parser.parse_args()
    problems = compare(args.ours, args.real, full=args.full)
    if args.docs:
        problems += compare_docs(args.ours, args.real)
    for line in problems:
        print(line)
    print(f"{len(problems)} difference(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
