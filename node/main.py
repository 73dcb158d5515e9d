"""Process entry: parse the command line like redis-server, set up logging, run the node.

This is also the one composition point where later parts (cluster mode when
``cluster-enabled yes``, persistence) get wired into the node.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys

import trio

from node.config import Config

LOG_LEVELS = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO, "warning": logging.WARNING}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-v", "--version"):
        from node.server import REDIS_VERSION, TRIREME_VERSION

        print(f"Trireme server v={TRIREME_VERSION} (Redis {REDIS_VERSION} compatible)")
        return
    try:
        config = Config.from_argv(args)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    except OSError as exc:
        print(f"Fatal error, can't open config file '{args[0]}': {exc.strerror}", file=sys.stderr)
        raise SystemExit(1) from None
    setup_logging(config)
    try:
        trio.run(run, config)
    except OSError as exc:
        logging.getLogger("trireme").error("%s", exc)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        pass


def setup_logging(config: Config) -> None:
    handler: logging.Handler
    handler = logging.FileHandler(config.logfile) if config.logfile else logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(process)d:M %(asctime)s.%(msecs)03d %(levelname).1s %(message)s", "%d %b %Y %H:%M:%S"))
    root = logging.getLogger("trireme")
    root.handlers[:] = [handler]
    root.setLevel(LOG_LEVELS.get(config.loglevel, logging.INFO))
    root.propagate = False


async def run(config: Config) -> None:
    import cluster.commands  # noqa: F401  (CLUSTER, READONLY, READWRITE, ASKING: always declared)
    import node.commands  # noqa: F401  (registers every command)
    from node.server import serve

    log = logging.getLogger("trireme")
    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve, config)
        nursery.start_soon(_signals, server)
        if config.cluster_enabled:
            await _start_cluster(nursery, server, log)
        await server.stopped.wait()
        nursery.cancel_scope.cancel()


async def _start_cluster(nursery: trio.Nursery, server, log: logging.Logger) -> None:
    """Cluster mode (``cluster-enabled yes``): nodes.conf, routing, the per-slot index,
    the cluster_state cron and, when it exists, the bus runtime. ``build`` is synchronous,
    so the node is fully wired before it reads the next command."""
    from cluster import glue

    config = server.config
    try:
        cluster = glue.build(server, log)
    except (glue.NodesConfError, OSError) as exc:
        log.warning("Unrecoverable error: corrupted cluster config file. (%s)", exc)
        raise SystemExit(1) from None
    nursery.start_soon(cluster.housekeeping)
    runtime = glue.make_runtime(cluster)
    if runtime is None:
        log.warning("Cluster bus runtime not available: CLUSTER MEET and gossip are disabled")
        nursery.start_soon(cluster.cron)
        return
    await nursery.start(
        functools.partial(runtime.run, bind_host=glue.bind_host(config), cport=glue.bus_port(config))
    )


async def _signals(server) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            server.log.warning("Received %s scheduling shutdown...", signal.Signals(signum).name)
            server.request_shutdown()
            return
