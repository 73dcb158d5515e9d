"""redis-py's PubSub against our node and a real redis-server, in RESP2 and RESP3: the
messages a client library builds from the replies (subscribe confirmations, messages,
pattern messages, shard messages, unsubscribe counts, PING in subscriber mode, the
run_in_thread worker) must be the same."""

from __future__ import annotations

import threading

import pytest
import redis

pytestmark = pytest.mark.real


def _messages(sub, count: int) -> list[dict]:
    out = []
    while len(out) < count:
        message = sub.get_message(timeout=5)
        assert message is not None, f"only {len(out)} of {count} messages arrived"
        out.append(message)
    return out


def _session(port: int, protocol: int) -> list:
    client = redis.Redis(port=port, protocol=protocol, decode_responses=True)
    sub = client.pubsub()
    try:
        sub.subscribe("rp:news", "rp:sport")
        sub.psubscribe("rp:n*")
        seen = _messages(sub, 3)
        receivers = [client.publish("rp:news", "hello"), client.publish("rp:sport", "goal")]
        seen += _messages(sub, 3)  # news twice (channel and pattern), sport once
        sub.ping("still here")
        seen += _messages(sub, 1)
        sub.ssubscribe("rp:shard")
        seen += [sub.get_sharded_message(timeout=5)]
        receivers.append(client.spublish("rp:shard", "s1"))
        seen += [sub.get_sharded_message(timeout=5)]
        sub.unsubscribe("rp:sport")
        sub.punsubscribe()
        seen += _messages(sub, 2)
        receivers.append(client.execute_command("PUBSUB", "NUMSUB", "rp:news", "rp:sport"))
        return [receivers, [{k: v for k, v in m.items()} for m in seen]]
    finally:
        sub.close()
        client.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_pubsub_session_matches_redis(ours_server, real_server, protocol):
    assert _session(ours_server.port, protocol) == _session(real_server.port, protocol)


@pytest.mark.parametrize("protocol", [2, 3])
def test_run_in_thread_handler(ours_server, protocol):
    client = redis.Redis(port=ours_server.port, protocol=protocol, decode_responses=True)
    received: list[str] = []
    done = threading.Event()

    def handler(message):
        received.append(message["data"])
        if len(received) == 3:
            done.set()

    sub = client.pubsub()
    sub.subscribe(**{"rp:worker": handler})
    worker = sub.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        sub_count = lambda: client.execute_command("PUBSUB", "NUMSUB", "rp:worker")[1]  # noqa: E731
        for _ in range(500):
            if sub_count() == 1:
                break
            threading.Event().wait(0.01)
        for n in range(3):
            assert client.publish("rp:worker", f"job{n}") == 1
        assert done.wait(5), received
        assert received == ["job0", "job1", "job2"]
    finally:
        worker.stop()
        worker.join(5)
        client.close()
