"""ClusterRuntime over real sockets: in-process runtimes MEET and converge, failure detection
across the bus, garbage on the bus port, and a mixed cluster with a real redis-server 7.0."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from functools import partial

import pytest
import trio

from cluster.runtime import ClusterRuntime
from cluster.state import NODE_FAIL, NODE_HANDSHAKE, NODE_PFAIL, ClusterOptions, ClusterState
from tests.support.procs import start_real_redis
from tests.support.wait import async_wait_for

LOG = logging.getLogger("test.bus")


def _free_bus_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    def __init__(self, tmp: str, index: int, node_timeout: int):
        self.port = 30000 + index  # client port: announced only, nobody dials it here
        self.cport = _free_bus_port()
        self.state = ClusterState.new(port=self.port, cport=self.cport, options=ClusterOptions(node_timeout=node_timeout))
        self.conf = os.path.join(tmp, f"nodes-{index}.conf")
        self.runtime = ClusterRuntime(self.state, nodes_conf_path=self.conf, announce_ip=None, log=LOG)
        self.scope: trio.CancelScope | None = None

    @property
    def name(self) -> str:
        return self.state.myself.name

    async def start(self, nursery: trio.Nursery) -> None:
        async def run(task_status=trio.TASK_STATUS_IGNORED):
            with trio.CancelScope() as scope:
                self.scope = scope
                await self.runtime.run(bind_host="127.0.0.1", cport=self.cport, task_status=task_status)

        await nursery.start(run)

    def stop(self) -> None:
        assert self.scope is not None
        self.scope.cancel()


def converged(nodes: list[Node]) -> bool:
    names = {node.name for node in nodes}
    for node in nodes:
        state = node.state
        if set(state.nodes) != names:
            return False
        for other in state.nodes.values():
            if other is state.myself:
                continue
            if other.flags & (NODE_HANDSHAKE | NODE_PFAIL | NODE_FAIL) or not other.link_connected:
                return False
            if not other.is_master:
                return False
    return True


@pytest.fixture
def tmpdir_path():
    path = tempfile.mkdtemp(prefix="trireme-bus-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def _cluster(nursery, tmp: str, count: int, node_timeout: int = 500) -> list[Node]:
    nodes = [Node(tmp, i, node_timeout) for i in range(count)]
    for node in nodes:
        await node.start(nursery)
    for other in nodes[1:]:
        nodes[0].runtime.meet("127.0.0.1", other.port, other.cport)
    await async_wait_for(lambda: converged(nodes), timeout=8, message="cluster did not converge")
    return nodes


async def test_two_nodes_meet_and_converge(tmpdir_path):
    async with trio.open_nursery() as nursery:
        a, b = await _cluster(nursery, tmpdir_path, 2)
        # Both learned their own address from the socket, and saved nodes.conf.
        assert a.state.myself.ip == "127.0.0.1" and b.state.myself.ip == "127.0.0.1"
        assert b.state.nodes[a.name].cport == a.cport and a.state.nodes[b.name].cport == b.cport
        with open(a.conf) as fh:
            text = fh.read()
        assert b.name in text and "vars currentEpoch" in text
        stats = a.runtime.stats()
        assert stats["sent"].get("meet") == 1 and stats["received"].get("pong", 0) >= 1
        links = a.runtime.links_reply()
        assert {(entry[b"direction"], entry[b"node"]) for entry in links} == {
            (b"to", b.name.encode()), (b"from", b.name.encode())}
        nursery.cancel_scope.cancel()


async def test_three_nodes_converge_then_fail_detection(tmpdir_path):
    async with trio.open_nursery() as nursery:
        nodes = await _cluster(nursery, tmpdir_path, 3)
        a, b, c = nodes
        # b and c only met through a's gossip: they still know each other directly.
        assert a.name in c.state.nodes and b.name in c.state.nodes
        c.stop()

        def failed_everywhere():
            return all(
                node.state.nodes[c.name].flags & NODE_FAIL for node in (a, b)
            )

        def pfail_somewhere():
            return any(node.state.nodes[c.name].flags & (NODE_PFAIL | NODE_FAIL) for node in (a, b))

        await async_wait_for(pfail_somewhere, timeout=5, message="no PFAIL")
        await async_wait_for(failed_everywhere, timeout=8, message="FAIL not agreed")
        nursery.cancel_scope.cancel()


async def test_fail_and_coverage_loss_sets_cluster_state_fail(tmpdir_path):
    async with trio.open_nursery() as nursery:
        nodes = await _cluster(nursery, tmpdir_path, 3)
        a, b, c = nodes
        ranges = [(0, 5460), (5461, 10922), (10923, 16383)]
        for epoch, (node, (lo, hi)) in enumerate(zip(nodes, ranges), start=1):
            node.state.add_slots(node.state.myself, range(lo, hi + 1))
            node.state.myself.config_epoch = epoch
            node.state.current_epoch = max(node.state.current_epoch, epoch)
            node.runtime.broadcast_pong()

        def all_covered():
            return all(node.state.slot_counts()[0] == 16384 for node in nodes)

        await async_wait_for(all_covered, timeout=5, message="slots not propagated")
        await async_wait_for(lambda: all(node.state.ok for node in nodes), timeout=6, message="not ok")
        c.stop()
        await async_wait_for(lambda: all(node.state.nodes[c.name].flags & NODE_FAIL for node in (a, b)),
                             timeout=8, message="FAIL not agreed")
        await async_wait_for(lambda: not a.state.ok and not b.state.ok, timeout=3)
        assert "cluster_state:fail" in a.state.info_text()
        nursery.cancel_scope.cancel()


async def test_garbage_on_the_bus_port_drops_only_that_link(tmpdir_path):
    async with trio.open_nursery() as nursery:
        a, b = await _cluster(nursery, tmpdir_path, 2)
        garbage = await trio.open_tcp_stream("127.0.0.1", a.cport)
        await garbage.send_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        # a closes that connection...
        with trio.fail_after(5):
            while await garbage.receive_some(1024):
                pass
        await garbage.aclose()
        # ... while a stalled peer (half a header) just sits there, harming nobody.
        stalled = await trio.open_tcp_stream("127.0.0.1", a.cport)
        await stalled.send_all(b"RCmb\x00\x00")
        pings = a.state.stats_received[1]
        await async_wait_for(lambda: a.state.stats_received[1] > pings + 2, timeout=5)
        assert converged([a, b])
        await stalled.aclose()
        nursery.cancel_scope.cancel()


async def test_invalid_frames_are_dropped_and_the_link_stays_up(tmpdir_path):
    import struct

    from bus.codec import BusDecoder, encode
    from bus.messages import Header, Ping, Pong

    async with trio.open_nursery() as nursery:
        a, b = await _cluster(nursery, tmpdir_path, 2)
        stream = await trio.open_tcp_stream("127.0.0.1", a.cport)
        header = Header("f" * 40, port=40001, cport=50001, flags=0x11)
        ping = bytearray(encode(Ping(header)))
        struct.pack_into(">H", ping, 8, 2)  # another protocol version: dropped, link kept
        await stream.send_all(bytes(ping) + encode(Ping(header)))
        decoder = BusDecoder()
        with trio.fail_after(5):
            while (message := decoder.next_message()) is None:
                decoder.feed(await stream.receive_some(65536))
        assert isinstance(message, Pong) and message.header.sender == a.name
        assert a.state.stats_received[0] >= 2  # both PINGs counted, as Redis does
        # An unknown sender's PING is answered but adds no node.
        assert "f" * 40 not in a.state.nodes and len(a.state.nodes) == 2
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def test_a_peer_that_accepts_and_never_answers_blocks_nothing(tmpdir_path):
    async with trio.open_nursery() as nursery:
        a, b = await _cluster(nursery, tmpdir_path, 2)
        silent = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
        held = []

        async def accept_and_hold():
            try:
                while True:
                    held.append(await silent.accept())  # never reads, never writes
            except trio.ClosedResourceError:
                pass

        nursery.start_soon(accept_and_hold)
        silent_port = silent.socket.getsockname()[1]
        assert a.runtime.meet("127.0.0.1", 40000, silent_port)
        assert not a.runtime.meet("127.0.0.1", 40000, silent_port)  # handshake already in progress
        await async_wait_for(lambda: held, timeout=3)
        # The handshake node is dropped after max(node_timeout, 1 s); meanwhile a and b keep talking.
        pongs = a.state.stats_received[1]
        await async_wait_for(lambda: len(a.state.nodes) == 2, timeout=4, message="handshake never timed out")
        assert a.state.stats_received[1] > pongs and converged([a, b])
        for stream in held:
            await stream.aclose()
        await silent.aclose()
        nursery.cancel_scope.cancel()


async def test_publish_travels_over_the_bus(tmpdir_path):
    async with trio.open_nursery() as nursery:
        a, b, c = await _cluster(nursery, tmpdir_path, 3)
        got = {node.name: [] for node in (a, b, c)}
        for node in (a, b, c):
            node.runtime.on_publish = lambda channel, message, shard, name=node.name: got[name].append(
                (channel, message, shard))
        a.runtime.publish(b"news", b"hello")
        await async_wait_for(lambda: got[b.name] and got[c.name], timeout=3)
        assert got[b.name] == got[c.name] == [(b"news", b"hello", False)] and got[a.name] == []
        assert a.runtime.stats()["sent"]["publish"] == 2
        nursery.cancel_scope.cancel()


async def test_epoch_collision_resolved_over_the_bus(tmpdir_path):
    async with trio.open_nursery() as nursery:
        a, b = await _cluster(nursery, tmpdir_path, 2)
        for node in (a, b):
            node.state.myself.config_epoch = 5
            node.state.current_epoch = 5
        a.runtime.broadcast_pong()
        b.runtime.broadcast_pong()
        await async_wait_for(
            lambda: a.state.myself.config_epoch != b.state.myself.config_epoch
            and a.state.nodes[b.name].config_epoch == b.state.myself.config_epoch
            and b.state.nodes[a.name].config_epoch == a.state.myself.config_epoch,
            timeout=5,
        )
        smaller = min((a, b), key=lambda node: node.name)
        assert smaller.state.myself.config_epoch == 6
        nursery.cancel_scope.cancel()


# -------------------------------------------------------------------------- mixed cluster


async def test_mixed_cluster_with_real_redis(tmpdir_path):
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed")
    import redis

    # Its own temp dir (cwd), a free port < 55535 (never 6379), stopped by PID in finally.
    server = await trio.to_thread.run_sync(partial(
        start_real_redis, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", "2000"))
    port = server.port
    client = redis.Redis(port=port, decode_responses=True, socket_timeout=2)
    try:
        async with trio.open_nursery() as nursery:
            ours = Node(tmpdir_path, 0, 2000)
            await ours.start(nursery)
            real_id = client.execute_command("CLUSTER", "MYID")
            ours.runtime.meet("127.0.0.1", port, port + 10000)

            def real_sees_us():
                for line in client.execute_command("CLUSTER", "NODES").splitlines():
                    fields = line.split()
                    if fields[0] == ours.name:
                        return ("handshake" not in fields[2] and "fail" not in fields[2]
                                and fields[7] == "connected" and fields[1].startswith(f"127.0.0.1:{ours.port}@{ours.cport}"))
                return False

            def we_see_real():
                node = ours.state.nodes.get(real_id)
                return (node is not None and node.link_connected and not node.flags & (NODE_HANDSHAKE | NODE_PFAIL | NODE_FAIL)
                        and len(ours.state.nodes) == 2)

            await async_wait_for(lambda: real_sees_us() and we_see_real(), timeout=8, interval=0.05,
                                 message=client.execute_command("CLUSTER", "NODES"))
            # A slot claim travels both ways.
            ours.state.add_slots(ours.state.myself, range(0, 100))
            ours.state.myself.config_epoch = 1
            ours.state.current_epoch = 1
            ours.runtime.broadcast_pong()
            await async_wait_for(
                lambda: client.execute_command("CLUSTER", "COUNTKEYSINSLOT", 0) == 0
                and any(line.split()[0] == ours.name and line.split()[8:] == ["0-99"]
                        for line in client.execute_command("CLUSTER", "NODES").splitlines()),
                timeout=5, interval=0.05)
            client.execute_command("CLUSTER", "ADDSLOTS", 200)
            await async_wait_for(lambda: ours.state.slots[200] is ours.state.nodes[real_id], timeout=5)
            nursery.cancel_scope.cancel()
    finally:
        client.close()
        server.stop()


async def test_a_link_whose_peer_never_reads_is_closed_at_its_send_buffer_limit():
    from bus.transport import BusLink

    ours, theirs = trio.socket.socketpair()
    link = BusLink(outbound=True, sendbuf_limit=1 << 20)
    link.attach(trio.SocketStream(ours))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(link.serve, lambda _link, _msg: None)
        chunk = b"x" * 65536
        sent = 0
        while link.send(chunk):
            sent += 1
            await trio.sleep(0)  # let the writer fill the kernel buffers
            assert sent < 10_000
        assert link.closed and link.close_reason == "send buffer limit exceeded"
    theirs.close()
