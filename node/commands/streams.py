"""Stream commands (being written): the stream type, XADD, XLEN, XRANGE/XREVRANGE, XDEL,
XTRIM, XSETID and XREAD [BLOCK]."""
