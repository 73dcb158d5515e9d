"""Stream consumer-group commands (being written): XGROUP, XREADGROUP, XACK, XPENDING,
XCLAIM, XAUTOCLAIM and XINFO."""
