"""The node as a process: start-up from a config file and options, SIGTERM, SHUTDOWN, bad config.

These start real ``python -m node`` processes (tests/support/procs.py tracks and reaps each
one, even when a test fails).
"""

from __future__ import annotations

import signal
import subprocess
import sys

import redis

from tests.support.procs import REPO_ROOT, ServerProcess, free_port, start_trireme


def test_sigterm_stops_the_node_cleanly_after_finishing_replies():
    server = start_trireme()
    try:
        client = redis.Redis(port=server.port, protocol=2)
        pipe = client.pipeline(transaction=False)
        for i in range(2000):
            pipe.set(f"k{i}", "v")
        assert all(pipe.execute())
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(10) == 0
        assert "ready to exit" in server.log()
    finally:
        server.stop()


def test_shutdown_command_closes_the_connection_and_exits():
    server = start_trireme()
    try:
        client = redis.Redis(port=server.port, protocol=2)
        try:
            client.execute_command("SHUTDOWN", "NOSAVE")
        except redis.ConnectionError:
            pass  # no reply on success: the server closes the connection
        assert server.proc.wait(10) == 0
    finally:
        server.stop()


def test_config_file_then_options_like_redis_server(tmp_path):
    conf = tmp_path / "node.conf"
    conf.write_text("# a comment\nmaxclients 50\nhz 20\n")
    port = free_port()
    server = ServerProcess(
        [sys.executable, "-m", "node", str(conf), "--port", str(port), "--bind", "127.0.0.1", "--hz", "15"],
        port, "trireme",
    )
    try:
        server.wait_ready()
        client = redis.Redis(port=server.port, protocol=2, decode_responses=True)
        assert client.config_get("maxclients") == {"maxclients": "50"}  # from the file
        assert client.config_get("hz") == {"hz": "15"}  # the option wins over the file
    finally:
        server.stop()


def test_misspelt_directive_stops_start_up_with_redis_report():
    port = free_port()
    done = subprocess.run(
        [sys.executable, "-m", "node", "--port", str(port), "--maxclientz", "10"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 1
    assert "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" in done.stderr
    assert ">>> 'maxclientz \"10\"'" in done.stderr
    assert "Bad directive or wrong number of arguments" in done.stderr
