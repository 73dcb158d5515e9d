#!/usr/bin/env python3
"""Capture real Redis cluster bus frames, for the golden fixtures in tests/unit/bus_frames/.

    python3 scripts/capture_bus.py [--out tests/unit/bus_frames] [--keep-all DIR]

How: four real ``redis-server`` nodes (A, B, C, D) run with ``cluster-enabled yes``, each
announcing a *proxy* port as its bus port (``--cluster-announce-bus-port``). This script
listens on those proxy ports and forwards every connection to the node's real bus port
(client port + 10000), whole frame by whole frame, recording each frame with its direction.
So every bus link of the little cluster passes through here, in both directions, and a
filter can hold back frames (used to make a stale slot claim reach C, which answers UPDATE).

The scenario, with what each step makes the nodes send:

1. A (``cluster-announce-hostname h1``) owns slots 0-5460, C (``cluster-announce-ip
   127.0.0.1``) owns 5461-10922. A meets C, then B, then D: MEET, PING, PONG, with gossip
   and A's HOSTNAME extension.
2. B replicates A (PONGs with ``slaveof`` set). PUBLISH and SPUBLISH on A: PUBLISH,
   PUBLISHSHARD.
3. ``CLUSTER FAILOVER`` on B: MFSTART, a PING with the PAUSED mflag, FAILOVER_AUTH_REQUEST
   with FORCEACK, FAILOVER_AUTH_ACK.
4. B fails over and back, so that A is the master again. Then every frame between A and B
   is held back and ``CLUSTER FAILOVER TAKEOVER`` runs on B: C and D learn B's newer claim
   on 0-5460, A does not and keeps claiming it with its old configEpoch, so C and D answer
   A's PINGs with UPDATE.
5. D is stopped: the masters mark it PFAIL, then FAIL, and broadcast FAIL.

Every process started here is stopped by PID in a ``finally`` (SIGTERM, then SIGKILL after
a deadline), and the temporary directories are removed. Ports are below 55535 (the bus is
port + 10000) and never 6379.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

HEADER_LEN = 2256
TYPE_NAMES = {
    0: "ping", 1: "pong", 2: "meet", 3: "fail", 4: "publish", 5: "auth_request",
    6: "auth_ack", 7: "update", 8: "mfstart", 9: "module", 10: "publishshard",
}


# --------------------------------------------------------------------------- ports, processes


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_taken: set[int] = set()


def free_port_pair() -> int:
    """A port P with P and P+10000 both free (P < 55535, never 6379)."""
    while True:
        port = random.randint(20000, 45000)
        if port == 6379 or {port, port + 10000} & _taken:
            continue
        if _bindable(port) and _bindable(port + 10000):
            _taken.update({port, port + 10000})
            return port


def wait_for(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Node:
    name: str
    port: int
    proxy_port: int
    extra: list[str]
    dir: str = ""
    proc: subprocess.Popen | None = None
    id: str = ""

    @property
    def bus_port(self) -> int:
        return self.port + 10000

    def start(self) -> None:
        self.dir = tempfile.mkdtemp(prefix=f"capture-bus-{self.name}-")
        argv = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--cluster-enabled", "yes",
            "--cluster-config-file", os.path.join(self.dir, f"nodes-{self.name}.conf"),
            "--cluster-node-timeout", "2000",
            "--cluster-announce-bus-port", str(self.proxy_port),
            "--save", "", "--appendonly", "no", "--dir", self.dir,
            "--logfile", os.path.join(self.dir, "server.log"),
            *self.extra,
        ]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(self._answers, what=f"{self.name} to start")
        self.id = self.client().execute_command("CLUSTER", "MYID").decode()

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- the recording proxy


@dataclass
class Frame:
    seq: int
    to_node: str  # the node whose proxy port the connection came in on
    direction: str  # "in": dialer -> node; "out": node -> dialer (replies on that link)
    data: bytes

    @property
    def type(self) -> int:
        return struct.unpack_from(">H", self.data, 12)[0]

    @property
    def sender(self) -> str:
        return self.data[40:80].decode("latin-1")


@dataclass
class Recorder:
    frames: list[Frame] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # hold(frame) -> True: the frame is not forwarded (it is still recorded, marked held).
    hold: object = None
    held: list[Frame] = field(default_factory=list)

    def record(self, to_node: str, direction: str, data: bytes) -> bool:
        with self.lock:
            frame = Frame(len(self.frames), to_node, direction, data)
            self.frames.append(frame)
            hold = self.hold
            if hold is not None and hold(frame):
                self.held.append(frame)
                return False
            return True


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _pump(src: socket.socket, dst: socket.socket, rec: Recorder, to_node: str, direction: str) -> None:
    try:
        while True:
            head = _read_exact(src, 8)
            if head is None:
                break
            if head[:4] != b"RCmb":  # not a bus frame: forward the rest raw
                dst.sendall(head)
                while chunk := src.recv(65536):
                    dst.sendall(chunk)
                break
            totlen = struct.unpack_from(">I", head, 4)[0]
            rest = _read_exact(src, max(totlen - 8, 0))
            if rest is None:
                break
            frame = head + rest
            if rec.record(to_node, direction, frame):
                dst.sendall(frame)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Proxy:
    """Listens on ``node.proxy_port`` and forwards each connection to ``node.bus_port``."""

    def __init__(self, node: Node, rec: Recorder):
        self.node = node
        self.rec = rec
        self.listener = socket.create_server(("127.0.0.1", node.proxy_port))
        self.sockets: list[socket.socket] = [self.listener]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                inbound, _ = self.listener.accept()
                outbound = socket.create_connection(("127.0.0.1", self.node.bus_port))
            except OSError:
                if self.closed:
                    return
                continue
            self.sockets += [inbound, outbound]
            threading.Thread(target=_pump, args=(inbound, outbound, self.rec, self.node.name, "in"),
                             daemon=True).start()
            threading.Thread(target=_pump, args=(outbound, inbound, self.rec, self.node.name, "out"),
                             daemon=True).start()

    def close(self) -> None:
        self.closed = True
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass


# --------------------------------------------------------------------------- the scenario


def cluster_nodes(node: Node) -> dict[str, list[str]]:
    text = node.client().execute_command("CLUSTER", "NODES").decode()
    return {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}


def knows_all(node: Node, others: list[Node]) -> bool:
    view = cluster_nodes(node)
    return all(o.id in view and "handshake" not in view[o.id][2] for o in others)


def role_of(observer: Node, node: Node) -> str:
    flags = cluster_nodes(observer).get(node.id, ["", "", ""])[2]
    return "master" if "master" in flags else "slave" if "slave" in flags else flags


def owner_of_slot0(observer: Node) -> str | None:
    for node_id, fields in cluster_nodes(observer).items():
        if any(f == "0-5460" or f.startswith("0-") for f in fields[8:]):
            return node_id
    return None


def run_scenario(rec: Recorder, nodes: dict[str, Node]) -> list[str]:
    a, b, c, d = nodes["A"], nodes["B"], nodes["C"], nodes["D"]
    notes = []
    a.client().execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 5460)
    c.client().execute_command("CLUSTER", "ADDSLOTSRANGE", 5461, 10922)
    # 1. A meets C, then B, then D (through the proxies: the MEET names the proxy port).
    for other in (c, b, d):
        a.client().execute_command("CLUSTER", "MEET", "127.0.0.1", other.port, other.proxy_port)
        wait_for(lambda: knows_all(a, [other]), what=f"A to know {other.name}")
    everyone = [a, b, c, d]
    for n in everyone:
        wait_for(lambda: knows_all(n, [o for o in everyone if o is not n]), what=f"{n.name} to know all")
    # 2. B replicates A; PUBLISH and SPUBLISH on A.
    b.client().execute_command("CLUSTER", "REPLICATE", a.id)
    wait_for(lambda: role_of(a, b) == "slave" and role_of(c, b) == "slave", what="B to be a replica")
    wait_for(lambda: b.client().info("replication")["master_link_status"] == "up", what="B to sync")
    a.client().publish("news", "hello bus")
    channel = next(f"ch{i}" for i in range(1000)
                   if a.client().execute_command("CLUSTER", "KEYSLOT", f"ch{i}") <= 5460)
    a.client().execute_command("SPUBLISH", channel, "sharded hello")
    wait_for(lambda: any(f.type == 10 for f in rec.frames), what="PUBLISHSHARD")
    wait_for(lambda: any(f.type == 4 for f in rec.frames), what="PUBLISH")
    # 3. Manual failover: B becomes master, A its replica.
    b.client().execute_command("CLUSTER", "FAILOVER")
    wait_for(lambda: role_of(c, b) == "master" and role_of(c, a) == "slave", timeout=20,
             what="manual failover")
    wait_for(lambda: a.client().info("replication").get("master_link_status") == "up", what="A to sync")
    # Back again, so that A is the master whose claim goes stale below.
    a.client().execute_command("CLUSTER", "FAILOVER")
    wait_for(lambda: role_of(c, a) == "master" and role_of(c, b) == "slave", timeout=20,
             what="manual failover back")
    wait_for(lambda: all(role_of(n, a) == "master" for n in (a, b, c, d)), what="everyone to see A master")
    # 4. Hold every frame between A and B; B takes over. C learns B's claim, A keeps
    #    claiming 0-5460 with its old configEpoch: C answers A's PING with UPDATE.
    rec.hold = lambda f: (f.to_node == "A" and f.sender == b.id) or (f.to_node == "B" and f.sender == a.id)
    b.client().execute_command("CLUSTER", "FAILOVER", "TAKEOVER")
    wait_for(lambda: owner_of_slot0(c) == b.id, what="C to see B own slot 0")
    try:
        wait_for(lambda: any(f.type == 7 for f in rec.frames), timeout=10, what="UPDATE")
    except TimeoutError:
        notes.append("no UPDATE seen")
    rec.hold = None
    wait_for(lambda: owner_of_slot0(a) == b.id, timeout=20, what="A to accept B's claim")
    # 5. D stops: PFAIL, then FAIL broadcast by a master.
    d.stop()
    try:
        wait_for(lambda: any(f.type == 3 for f in rec.frames), timeout=20, what="FAIL")
    except TimeoutError:
        notes.append("no FAIL seen")
    return notes


# --------------------------------------------------------------------------- choosing fixtures


def describe(frame: Frame, names: dict[str, str]) -> str:
    who = names.get(frame.sender, frame.sender)
    if frame.direction == "in":
        route = f"{who} -> {frame.to_node} (on {who}'s link to {frame.to_node})"
    else:
        route = f"{who} -> peer (reply on the link the peer opened to {frame.to_node})"
    count = struct.unpack_from(">H", frame.data, 14)[0]
    exts = struct.unpack_from(">H", frame.data, 2214)[0]
    kind = TYPE_NAMES.get(frame.type, frame.type).upper()
    return f"{kind} {route}; {len(frame.data)} bytes, {count} gossip, {exts} extensions"


def pick(frames: list[Frame], names: dict[str, str]) -> dict[str, Frame]:
    """Chosen frames, by fixture name. The first frame that fits each description."""
    ids = {v: k for k, v in names.items()}

    def first(pred):
        return next((f for f in frames if pred(f)), None)

    def count(f):
        return struct.unpack_from(">H", f.data, 14)[0]

    def exts(f):
        return struct.unpack_from(">H", f.data, 2214)[0]

    def slaveof(f):
        return f.data[2128:2168] != b"\0" * 40

    chosen = {
        "meet_hostname_gossip": first(lambda f: f.type == 2 and exts(f) and count(f) >= 1),
        "meet_no_gossip": first(lambda f: f.type == 2 and count(f) == 0),
        "ping_hostname_gossip": first(lambda f: f.type == 0 and exts(f) and count(f) >= 2),
        "ping_gossip": first(lambda f: f.type == 0 and not exts(f) and count(f) >= 2),
        "pong_announce_ip": first(lambda f: f.type == 1 and f.sender == ids["C"] and count(f) >= 1),
        "pong_replica": first(lambda f: f.type == 1 and slaveof(f) and f.sender == ids["B"] and count(f) >= 1),
        "ping_paused": first(lambda f: f.type == 0 and f.data[2253] & 1),
        "publish": first(lambda f: f.type == 4),
        "publishshard": first(lambda f: f.type == 10),
        "fail": first(lambda f: f.type == 3),
        "auth_request": first(lambda f: f.type == 5),
        "auth_ack": first(lambda f: f.type == 6),
        "mfstart": first(lambda f: f.type == 8),
        "update": first(lambda f: f.type == 7),
        "ping_pfail_gossip": first(lambda f: f.type == 0 and any(
            struct.unpack_from(">H", f.data, HEADER_LEN + 104 * i + 98)[0] & 4 for i in range(count(f)))),
    }
    return {k: v for k, v in chosen.items() if v is not None}


def write_fixture(path: Path, frame: Frame, comment: str) -> None:
    hexed = frame.data.hex()
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [hexed[i:i + 64] for i in range(0, len(hexed), 64)]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="tests/unit/bus_frames", help="directory for the .hex fixtures")
    parser.add_argument("--keep-all", metavar="DIR", help="also dump every recorded frame here")
    args = parser.parse_args()
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()

    rec = Recorder()
    specs = {
        "A": ["--cluster-announce-hostname", "h1"],
        "B": [],
        "C": ["--cluster-announce-ip", "127.0.0.1"],
        "D": [],
    }
    nodes = {name: Node(name, free_port_pair(), free_port_pair(), extra) for name, extra in specs.items()}
    proxies: list[Proxy] = []
    try:
        for node in nodes.values():
            proxies.append(Proxy(node, rec))
            node.start()
        notes = run_scenario(rec, nodes)
    finally:
        for node in nodes.values():
            node.stop()
        for proxy in proxies:
            proxy.close()

    names = {n.id: n.name for n in nodes.values()}
    with rec.lock:
        frames = list(rec.frames)
    print(f"{len(frames)} frames recorded; by type:",
          {TYPE_NAMES.get(t, t): sum(f.type == t for f in frames) for t in sorted({f.type for f in frames})})
    for note in notes:
        print("note:", note)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.keep_all:
        keep = Path(args.keep_all)
        keep.mkdir(parents=True, exist_ok=True)
        for f in frames:
            name = f"{f.seq:05d}_{TYPE_NAMES.get(f.type, f.type)}_{names.get(f.sender, '?')}_{f.to_node}_{f.direction}"
            (keep / f"{name}.bin").write_bytes(f.data)
    ports = ", ".join(f"{n.name}={n.port} (bus {n.bus_port}, announced bus {n.proxy_port}) {n.id}"
                      for n in nodes.values())
    for name, frame in pick(frames, names).items():
        comment = (f"{version}\n{describe(frame, names)}\n"
                   f"captured by scripts/capture_bus.py; nodes: {ports}\n"
                   f"A: --cluster-announce-hostname h1; C: --cluster-announce-ip 127.0.0.1")
        write_fixture(out / f"{name}.hex", frame, comment)
        print(f"{name}: {describe(frame, names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
