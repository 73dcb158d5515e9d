"""Importing this package registers every command (each module declares its own)."""

from node.commands import bitmaps, client_cmd, config_cmd, connection, debug, geo, hashes, hyperloglog, introspection, keys, lists, pubsub, server, sets, sort, stream_groups, streams, strings, transactions, zsets  # noqa: F401
