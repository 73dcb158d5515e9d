"""nodes.conf: the cluster configuration file, in Redis 7.0's format.

The file is the CLUSTER NODES text without nodes in HANDSHAKE, followed by one line
``vars currentEpoch <n> lastVoteEpoch <n>``::

    <id> <ip>:<port>@<cport>[,<hostname>] <flags> <master|-> <ping> <pong> <epoch> <link> <slots...>

Loading follows ``clusterLoadConfig``:

* Blank lines are skipped. ``vars`` takes ``currentEpoch`` / ``lastVoteEpoch`` pairs (names
  case-insensitive; unknown names skipped).
* A node line has at least 8 fields. The address is split at its last ``:`` (IPv6 works);
  ``@cport`` defaults to port + 10000 (files older than 4.0); ``,hostname`` is optional. A
  7.2 file's extra aux fields (``,shard-id=...``, ``,nodename=...``) are ignored.
* Flags must be known names (``noflags`` allowed); exactly one node must be ``myself``.
* A master id or a ``[slot->-id]`` peer that has no line of its own is created with no flags.
* ping_sent / pong_received are set to *now* when non-zero in the file (the saved values
  are stale by definition); a ``fail`` node gets fail_time = now. The link field is ignored.
* Slot tokens are ``N`` or ``A-B``; ``[N->-id]`` (migrating) / ``[N-<-id]`` (importing).
* currentEpoch is raised to the greatest config epoch if the file holds a larger one.

A missing or empty file means "no configuration yet" (:func:`load_nodes_conf` returns None).
Anything malformed raises :class:`NodesConfError` (Redis: "Unrecoverable error: corrupted
cluster config file." and exit).

Saving is atomic: write a temp file in the same directory, fsync it, rename it over
nodes.conf, fsync the directory. (Redis 7.0 rewrites the file in place under an flock; we
rename instead, so a crash leaves either the old or the new file, never a mix.)
"""

from __future__ import annotations

import os
import tempfile

from cluster.slots import parse_range, parse_slot
from cluster.state import (
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MYSELF,
    ClusterOptions,
    ClusterState,
    NodeInfo,
    parse_flags,
)

CLUSTER_PORT_INCR = 10000


class NodesConfError(Exception):
    """nodes.conf cannot be parsed; the message says which line and why."""


def format_nodes_conf(state: ClusterState) -> str:
    """The whole nodes.conf text for ``state``."""
    return (
        state.nodes_text(exclude_flags=NODE_HANDSHAKE)
        + f"vars currentEpoch {state.current_epoch} lastVoteEpoch {state.last_vote_epoch}\n"
    )


def save_nodes_conf(path: str | os.PathLike, state: ClusterState, *, fsync: bool = True) -> None:
    """Write nodes.conf atomically (temp file, fsync, rename, fsync the directory)."""
    write_atomically(path, format_nodes_conf(state).encode(), fsync=fsync)


def write_atomically(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> None:
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path) + "-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if fsync:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load_nodes_conf(
    path: str | os.PathLike, *, now: int, options: ClusterOptions | None = None
) -> ClusterState | None:
    """Load nodes.conf; None if it does not exist or is empty."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    if not data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NodesConfError(f"nodes.conf is not valid UTF-8: {exc}") from None
    return parse_nodes_conf(text, now=now, options=options)


def _parse_address(token: str) -> tuple[str, int, int, str]:
    """``ip:port@cport[,hostname[,aux=...]]`` -> (ip, port, cport, hostname)."""
    addr, _, aux = token.partition(",")
    hostname = ""
    if aux:
        # 7.0 writes only the hostname; 7.2 adds key=value aux fields after it.
        first = aux.split(",", 1)[0]
        if "=" not in first:
            hostname = first
    hostport, at, bus = addr.partition("@")
    ip, colon, port_text = hostport.rpartition(":")
    if not colon:
        raise ValueError(f"address without a port: {token!r}")
    port = _parse_port(port_text)
    cport = _parse_port(bus) if at else port + CLUSTER_PORT_INCR
    return ip, port, cport, hostname


def _parse_port(text: str) -> int:
    if not text.isdigit() or not text.isascii() or int(text) > 65535:
        raise ValueError(f"invalid port {text!r}")
    return int(text)


def _parse_uint(text: str, what: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"invalid {what} {text!r}")
    return int(text)


def parse_nodes_conf(text: str, *, now: int, options: ClusterOptions | None = None) -> ClusterState:
    """Build a :class:`ClusterState` from nodes.conf text (see the module docstring)."""
    lines: list[tuple[int, list[str]]] = []
    current_epoch = last_vote_epoch = 0
    myself_name: str | None = None

    for number, raw in enumerate(text.split("\n"), 1):
        argv = raw.split()
        if not argv:
            continue
        if argv[0].lower() == "vars":
            pairs = argv[1:]
            if len(pairs) % 2:
                raise NodesConfError(f"line {number}: 'vars' needs name/value pairs")
            for name, value in zip(pairs[::2], pairs[1::2]):
                try:
                    if name.lower() == "currentepoch":
                        current_epoch = _parse_uint(value, "currentEpoch")
                    elif name.lower() == "lastvoteepoch":
                        last_vote_epoch = _parse_uint(value, "lastVoteEpoch")
                except ValueError as exc:
                    raise NodesConfError(f"line {number}: {exc}") from None
            continue
        if len(argv) < 8:
            raise NodesConfError(f"line {number}: a node line needs at least 8 fields")
        lines.append((number, argv))
        try:
            flags = parse_flags(argv[2])
        except ValueError as exc:
            raise NodesConfError(f"line {number}: {exc}") from None
        if flags & NODE_MYSELF:
            if myself_name is not None:
                raise NodesConfError(f"line {number}: a second 'myself' node")
            myself_name = argv[0]

    if myself_name is None:
        raise NodesConfError("no node is flagged 'myself'")

    def node_named(name: str) -> NodeInfo:
        node = state.nodes.get(name)
        if node is None:
            node = NodeInfo(name, 0)
            state.add_node(node)
        return node

    myself = NodeInfo(myself_name, NODE_MYSELF)
    state = ClusterState(myself, options)
    for number, argv in lines:
        try:
            node = node_named(argv[0])
            node.ip, node.port, node.cport, node.hostname = _parse_address(argv[1])
            node.flags = parse_flags(argv[2])
            if node.flags & NODE_FAIL:
                node.fail_time = now
            if argv[3] != "-":
                state.link_replica(node, node_named(argv[3]))
            if _parse_uint(argv[4], "ping_sent"):
                node.ping_sent = now
            if _parse_uint(argv[5], "pong_received"):
                node.pong_received = now
            node.config_epoch = _parse_uint(argv[6], "config epoch")
            for token in argv[8:]:
                if token.startswith("["):
                    _parse_open_slot(state, token, node_named)
                    continue
                start, end = parse_range(token)
                for slot in range(start, end + 1):
                    owner = state.slots[slot]
                    if owner is not None and owner is not node:
                        raise ValueError(f"slot {slot} is claimed by {owner.name} and {node.name}")
                    state.add_slot(node, slot)
        except ValueError as exc:
            raise NodesConfError(f"line {number}: {exc}") from None

    # Keep the file's node order (myself was added first by the constructor).
    ordered = {argv[0]: state.nodes[argv[0]] for _number, argv in lines}
    state.nodes = ordered | {name: node for name, node in state.nodes.items() if name not in ordered}
    state.current_epoch = max(current_epoch, state.max_epoch())
    state.last_vote_epoch = last_vote_epoch
    return state


def _parse_open_slot(state: ClusterState, token: str, node_named) -> None:
    """``[slot->-id]`` (migrating to id) or ``[slot-<-id]`` (importing from id)."""
    if not token.endswith("]"):
        raise ValueError(f"bad open-slot token {token!r}")
    body = token[1:-1]
    slot_text, sep, rest = body.partition("-")
    if not sep or len(rest) < 2 or rest[0] not in "<>" or rest[1] != "-":
        raise ValueError(f"bad open-slot token {token!r}")
    slot = parse_slot(slot_text)
    peer = node_named(rest[2:])
    if rest[0] == ">":
        state.set_migrating(slot, peer)
    else:
        state.set_importing(slot, peer)
