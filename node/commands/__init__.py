"""Importing this package registers every command (each module declares its own)."""

from node.commands import bitmaps, config_cmd, connection, introspection, keys, strings, transactions  # noqa: F401
