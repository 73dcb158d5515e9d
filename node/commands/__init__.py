"""Importing this package registers every command (each module declares its own)."""

from node.commands import bitmaps, connection, strings, transactions  # noqa: F401
