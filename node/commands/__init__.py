"""Importing this package registers every command (each module declares its own)."""

from node.commands import bitmaps, client_cmd, config_cmd, connection, debug, introspection, keys, server, strings, transactions  # noqa: F401
