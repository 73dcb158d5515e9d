"""The cluster bus: Redis 7.0's binary node-to-node protocol.

Module map::

    bus/messages.py   what travels: frozen dataclasses for the common header, the gossip
                      entry, the ping extensions and one class per message type; the wire
                      constants (message types, node flags, mflags, extension types, sizes)
                      and the slot-bitmap helpers
    bus/codec.py      bytes <-> messages: ``encode(message)`` and ``BusDecoder`` (``feed`` /
                      ``next_message``), with Redis's validation rules; sans-IO
    bus/transport.py  the only trio module here: the listener and the per-peer links that
                      move frames between sockets and the codec

Rules for this package:

* It imports nothing else of ours. messages.py and codec.py never import trio and never
  touch a socket: the transport feeds received bytes to a ``BusDecoder`` and writes what
  ``encode`` returns.
* The layout is Redis 7.0's ``clusterMsg`` byte for byte (every integer big-endian, except
  the opaque module id). Golden frames captured from a real redis-server 7.0.15 by
  ``scripts/capture_bus.py`` live in ``tests/unit/bus_frames/`` and must decode and re-encode
  to the identical bytes.
"""
