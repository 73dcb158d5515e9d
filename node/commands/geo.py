"""GEO commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS,
GEORADIUSBYMEMBER and their _RO forms, as Redis 7.0.15 answers them.

A geo set is a plain sorted set (:class:`node.commands.zsets.ZSet`): each member's score is
the 52-bit interleaved geohash of its position (26 bits per axis; latitude over
+-85.05112878, longitude over +-180; latitude bits in the even positions, longitude in the
odd ones), so ZSCORE of a GEOADDed member is Redis's. GEOADD rewrites itself into ZADD, as
Redis does.

Searches follow Redis's geo.c / geohash_helper.c step by step: the step (cell size) is
estimated from the radius (or half the box diagonal) and the latitude, lowered once when a
neighbour cell does not reach the bounding box, the centre cell and its 8 neighbours are
scanned in Redis's order (centre, N, S, E, W, NE, NW, SE, SW; neighbours wholly outside the
bounding box dropped; one that repeats the previously scanned cell skipped), each cell as
the score range [cell << (52 - 2 step), (cell + 1) << (52 - 2 step)), and each member's
position is the centre of its 52-bit cell. Distances are Redis's haversine with its earth
radius; results are sorted stably (glibc's qsort is a merge sort), so ties keep scan order.

Replies: distances are "%.4f" bulk strings in both protocols; coordinates are
``addReplyHumanLongDouble`` ("%.17Lf" with trailing zeros removed): a bulk string in RESP2
and a double carrying that same text in RESP3 (:class:`HumanDouble`).
"""

from __future__ import annotations

import math

from node import errors
from node.commands.keys import parse_ll
from node.commands.spec import KeySpec, command
from node.commands.zsets import ZSet, _zadd_generic, get_zset, parse_score, store_zset
from node.errors import CommandError
from node.replies import NULL_ARRAY

# -- geohash (geohash.c) ------------------------------------------------------------------------

GEO_STEP_MAX = 26
GEO_LAT_MIN = -85.05112878
GEO_LAT_MAX = 85.05112878
GEO_LONG_MIN = -180.0
GEO_LONG_MAX = 180.0
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37
D_R = math.pi / 180.0

_U64 = (1 << 64) - 1
_U32 = (1 << 32) - 1
_EVEN = 0x5555555555555555
_ODD = 0xAAAAAAAAAAAAAAAA


def interleave64(xlo: int, ylo: int) -> int:
    """The bits of ``xlo`` in the even positions, ``ylo`` in the odd ones (32 bits each)."""
    x = xlo & _U32
    y = ylo & _U32
    x = (x | (x << 16)) & 0x0000FFFF0000FFFF
    y = (y | (y << 16)) & 0x0000FFFF0000FFFF
    x = (x | (x << 8)) & 0x00FF00FF00FF00FF
    y = (y | (y << 8)) & 0x00FF00FF00FF00FF
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0F
    y = (y | (y << 4)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x << 2)) & 0x3333333333333333
    y = (y | (y << 2)) & 0x3333333333333333
    x = (x | (x << 1)) & _EVEN
    y = (y | (y << 1)) & _EVEN
    return (x | (y << 1)) & _U64


def deinterleave64(bits: int) -> tuple[int, int]:
    """(even bits, odd bits) of a 64-bit value: (latitude part, longitude part)."""
    x = bits & _U64
    y = x >> 1
    x &= _EVEN
    y &= _EVEN
    x = (x | (x >> 1)) & 0x3333333333333333
    y = (y | (y >> 1)) & 0x3333333333333333
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0F
    y = (y | (y >> 2)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FF
    y = (y | (y >> 4)) & 0x00FF00FF00FF00FF
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFF
    y = (y | (y >> 8)) & 0x0000FFFF0000FFFF
    x = (x | (x >> 16)) & 0x00000000FFFFFFFF
    y = (y | (y >> 16)) & 0x00000000FFFFFFFF
    return x, y


def _c_uint32(value: float) -> int:
    """C's (uint32_t) conversion of a non-negative double (truncation)."""
    return int(value) & _U32


def encode(longitude: float, latitude: float, step: int = GEO_STEP_MAX,
           lat_min: float = GEO_LAT_MIN, lat_max: float = GEO_LAT_MAX,
           long_min: float = GEO_LONG_MIN, long_max: float = GEO_LONG_MAX) -> int | None:
    """geohashEncode: the cell number (``step`` bits per axis), None where Redis fails."""
    if step > 32 or step == 0:
        return None
    if longitude > GEO_LONG_MAX or longitude < GEO_LONG_MIN or latitude > GEO_LAT_MAX or latitude < GEO_LAT_MIN:
        return None
    if latitude < lat_min or latitude > lat_max or longitude < long_min or longitude > long_max:
        return None
    lat_offset = (latitude - lat_min) / (lat_max - lat_min)
    long_offset = (longitude - long_min) / (long_max - long_min)
    scale = float(1 << step)
    return interleave64(_c_uint32(lat_offset * scale), _c_uint32(long_offset * scale))


def geo_score(longitude: float, latitude: float) -> int:
    """The 52-bit score GEOADD stores (geohashEncodeWGS84 at step 26, aligned to 52 bits)."""
    bits = encode(longitude, latitude)
    return 0 if bits is None else bits


def decode_area(bits: int, step: int, lat_min: float = GEO_LAT_MIN, lat_max: float = GEO_LAT_MAX,
                long_min: float = GEO_LONG_MIN, long_max: float = GEO_LONG_MAX) -> tuple[float, float, float, float]:
    """geohashDecode: (long min, long max, lat min, lat max) of a cell."""
    ilato, ilono = deinterleave64(bits)
    lat_scale = lat_max - lat_min
    long_scale = long_max - long_min
    div = float(1 << step)
    return (
        long_min + (ilono * 1.0 / div) * long_scale,
        long_min + (((ilono + 1) & _U32) * 1.0 / div) * long_scale,
        lat_min + (ilato * 1.0 / div) * lat_scale,
        lat_min + (((ilato + 1) & _U32) * 1.0 / div) * lat_scale,
    )


def decode(bits: int, step: int = GEO_STEP_MAX) -> tuple[float, float]:
    """(longitude, latitude) of a cell's centre, clamped to the valid ranges."""
    lo_min, lo_max, la_min, la_max = decode_area(bits, step)
    lon = (lo_min + lo_max) / 2
    lon = max(min(lon, GEO_LONG_MAX), GEO_LONG_MIN)
    lat = (la_min + la_max) / 2
    lat = max(min(lat, GEO_LAT_MAX), GEO_LAT_MIN)
    return lon, lat


def _c_uint64(score: float) -> int:
    """C's (uint64_t) conversion of a score as x86-64 code does it (cvttsd2si, with the
    2^63 offset path): exact for the geo scores, Redis's answers for odd ZADDed ones."""
    indefinite = 1 << 63
    if score >= 2.0**63:  # false for NaN
        rest = score - 2.0**63
        value = int(rest) if rest < 2.0**63 else indefinite
        return (value ^ indefinite) & _U64
    if not score >= -(2.0**63):  # NaN, -inf and below the long long range
        return indefinite
    return int(score) & _U64


def decode_score(score: float) -> tuple[float, float]:
    return decode(_c_uint64(score))


_ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"


def geohash_string(score: float) -> bytes:
    """GEOHASH's 11 characters: the decoded position re-encoded over the standard ranges."""
    lon, lat = decode_score(score)
    bits = encode(lon, lat, 26, -90.0, 90.0, -180.0, 180.0) or 0
    out = bytearray()
    for i in range(11):
        idx = 0 if i == 10 else (bits >> (52 - (i + 1) * 5)) & 0x1F
        out.append(_ALPHABET[idx])
    return bytes(out)


def _move_x(bits: int, step: int, d: int) -> int:
    if d == 0:
        return bits
    x = bits & _ODD
    y = bits & _EVEN
    zz = _EVEN >> (64 - step * 2)
    if d > 0:
        x = (x + (zz + 1)) & _U64
    else:
        x = ((x | zz) - (zz + 1)) & _U64
    x &= _ODD >> (64 - step * 2)
    return x | y


def _move_y(bits: int, step: int, d: int) -> int:
    if d == 0:
        return bits
    x = bits & _ODD
    y = bits & _EVEN
    zz = _ODD >> (64 - step * 2)
    if d > 0:
        y = (y + (zz + 1)) & _U64
    else:
        y = ((y | zz) - (zz + 1)) & _U64
    y &= _EVEN >> (64 - step * 2)
    return x | y


def neighbors(bits: int, step: int) -> dict[str, int]:
    """geohashNeighbors: the 8 cells around ``bits`` (wrapping at the edges as Redis does)."""
    def move(dx, dy):
        return _move_y(_move_x(bits, step, dx), step, dy)

    return {
        "north": move(0, 1), "south": move(0, -1), "east": move(1, 0), "west": move(-1, 0),
        "north_east": move(1, 1), "north_west": move(-1, 1),
        "south_east": move(1, -1), "south_west": move(-1, -1),
    }


# -- distances (geohash_helper.c) ---------------------------------------------------------------


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS_IN_METERS * abs(lat2 * D_R - lat1 * D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """geohashGetDistance: haversine in meters."""
    lon1r = lon1 * D_R
    lon2r = lon2 * D_R
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = lat1 * D_R
    lat2r = lat2 * D_R
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS_IN_METERS * math.asin(math.sqrt(a))


def estimate_steps(range_meters: float, lat: float) -> int:
    """geohashEstimateStepsByRadius."""
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return min(max(step, 1), 26)


class Shape:
    """GeoShape: a circle (radius) or a box (width, height), in units of ``conversion`` m."""

    __slots__ = ("circle", "conversion", "height", "lat", "lon", "radius", "width")

    def __init__(self):
        self.lon = self.lat = 0.0
        self.circle = True
        self.radius = self.width = self.height = 0.0
        self.conversion = 0.0

    def bounding_box(self) -> tuple[float, float, float, float]:
        """geohashBoundingBox: (min lon, min lat, max lon, max lat)."""
        lon, lat = self.lon, self.lat
        if self.circle:
            height = width = self.conversion * self.radius
        else:
            height = self.conversion * (self.height / 2)
            width = self.conversion * (self.width / 2)
        lat_delta = (height / EARTH_RADIUS_IN_METERS) / D_R
        long_delta_top = (width / EARTH_RADIUS_IN_METERS / math.cos((lat + lat_delta) * D_R)) / D_R
        long_delta_bottom = (width / EARTH_RADIUS_IN_METERS / math.cos((lat - lat_delta) * D_R)) / D_R
        if lat < 0:
            return lon - long_delta_bottom, lat - lat_delta, lon + long_delta_bottom, lat + lat_delta
        return lon - long_delta_top, lat - lat_delta, lon + long_delta_top, lat + lat_delta

    def contains(self, lon: float, lat: float) -> float | None:
        """The distance in meters when (lon, lat) is inside, else None (geoWithinShape)."""
        if self.circle:
            d = distance(self.lon, self.lat, lon, lat)
            return None if d > self.radius * self.conversion else d
        if lat_distance(lat, self.lat) > self.height * self.conversion / 2:
            return None
        if distance(lon, lat, self.lon, lat) > self.width * self.conversion / 2:
            return None
        return distance(self.lon, self.lat, lon, lat)


def search_cells(shape: Shape) -> list:
    """geohashCalculateAreasByShapeWGS84 in membersOfAllNeighbors' order: the (bits, step) of
    the centre cell and its 8 neighbours, None for a neighbour Redis zeroes."""
    min_lon, min_lat, max_lon, max_lat = shape.bounding_box()
    lon, lat = shape.lon, shape.lat
    if shape.circle:
        radius_meters = shape.radius
    else:
        radius_meters = math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))
    radius_meters *= shape.conversion
    steps = estimate_steps(radius_meters, lat)
    bits = encode(lon, lat, steps) or 0
    near = neighbors(bits, steps)
    decrease = False
    if decode_area(near["north"], steps)[3] < max_lat:
        decrease = True
    if decode_area(near["south"], steps)[2] > min_lat:
        decrease = True
    if decode_area(near["east"], steps)[1] < max_lon:
        decrease = True
    if decode_area(near["west"], steps)[0] > min_lon:
        decrease = True
    if steps > 1 and decrease:
        steps -= 1
        bits = encode(lon, lat, steps) or 0
        near = neighbors(bits, steps)
    cells: dict[str, int | None] = dict(near)
    if steps >= 2:
        a_lon_min, a_lon_max, a_lat_min, a_lat_max = decode_area(bits, steps)
        if a_lat_min < min_lat:
            cells["south"] = cells["south_west"] = cells["south_east"] = None
        if a_lat_max > max_lat:
            cells["north"] = cells["north_east"] = cells["north_west"] = None
        if a_lon_min < min_lon:
            cells["west"] = cells["south_west"] = cells["north_west"] = None
        if a_lon_max > max_lon:
            cells["east"] = cells["south_east"] = cells["north_east"] = None
    order = [bits] + [cells[n] for n in ("north", "south", "east", "west", "north_east",
                                         "north_west", "south_east", "south_west")]
    return [None if b is None else (b, steps) for b in order]


def search(zset: ZSet, shape: Shape, limit: int) -> list[list]:
    """membersOfAllNeighbors: [distance m, score, member, lon, lat] in scan order; with
    ``limit`` (ANY) the scan stops once that many were found."""
    found: list[list] = []
    cells = search_cells(shape)
    last = 0
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if last and cell == cells[last]:
            continue
        if found and limit and len(found) >= limit:
            break
        bits, step = cell
        shift = 52 - step * 2
        lo_score = float(bits << shift)
        hi_score = float(((bits + 1) & _U64) << shift)
        lo, hi = zset.score_bounds((lo_score, False, hi_score, True))
        for score, member in zset.pairs(lo, hi):
            lon, lat = decode_score(score)
            d = shape.contains(lon, lat)
            if d is not None:
                found.append([d, score, member, lon, lat])
            if found and limit and len(found) >= limit:
                break
        last = i
    return found


# -- replies and arguments ---------------------------------------------------------------------


class HumanDouble(bytes):
    """addReplyHumanLongDouble: this text as a bulk string (RESP2) or a double (RESP3)."""

    __slots__ = ()


def human(value: float) -> HumanDouble:
    """ld2string(LD_STR_HUMAN): "%.17Lf" of the value, trailing zeros (and the dot) removed."""
    text = b"%.17f" % value
    if b"." in text:
        text = text.rstrip(b"0")
        if text.endswith(b"."):
            text = text[:-1]
    if text == b"-0":
        text = b"0"
    return HumanDouble(text)


def _register_wire_types() -> None:
    from node import replies

    replies._WRITERS2.setdefault(HumanDouble, lambda r, out, proto: out.append(b"$%d\r\n%b\r\n" % (len(r), r)))
    replies._WRITERS3.setdefault(HumanDouble, lambda r, out, proto: out.append(b",%b\r\n" % r))


_register_wire_types()


def _dist_text(d: float) -> bytes:
    return b"%.4f" % d


def _word(raw: bytes) -> bytes:
    """An option as strcasecmp sees it: the C string (up to a NUL byte), lower-cased."""
    return raw.split(b"\0", 1)[0].lower()


_UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}


def parse_unit(raw: bytes) -> float:
    unit = _UNITS.get(_word(raw))
    if unit is None:
        raise CommandError(errors.GEO_UNIT)
    return unit


def parse_lonlat(lon_raw: bytes, lat_raw: bytes) -> tuple[float, float]:
    """extractLongLatOrReply."""
    lon = parse_score(lon_raw)
    lat = parse_score(lat_raw)
    if lon < GEO_LONG_MIN or lon > GEO_LONG_MAX or lat < GEO_LAT_MIN or lat > GEO_LAT_MAX:
        raise CommandError(errors.GEO_INVALID_PAIR.format(lon, lat))
    return lon, lat


def _parse_distance(raw: bytes, unit: bytes) -> tuple[float, float]:
    radius = parse_score(raw, errors.GEO_NEED_RADIUS)
    if radius < 0:
        raise CommandError(errors.GEO_RADIUS_NEGATIVE)
    return radius, parse_unit(unit)


def _parse_box(w_raw: bytes, h_raw: bytes, unit: bytes) -> tuple[float, float, float]:
    width = parse_score(w_raw, errors.GEO_NEED_WIDTH)
    height = parse_score(h_raw, errors.GEO_NEED_HEIGHT)
    if height < 0 or width < 0:
        raise CommandError(errors.GEO_BOX_NEGATIVE)
    return width, height, parse_unit(unit)


def _member_position(zset: ZSet, member: bytes) -> tuple[float, float]:
    score = zset.score(member)
    if score is None:
        raise CommandError(errors.GEO_MEMBER_DECODE)
    return decode_score(score)


# -- GEOADD, GEOPOS, GEODIST, GEOHASH ----------------------------------------------------------

_KEY_RO = [KeySpec("RO ACCESS", index=1)]


@command("geoadd", -5, "write denyoom", group="geo", keys=[KeySpec("RW UPDATE", index=1)], since="3.2.0",
         summary="Add one or more geospatial items in the geospatial index represented using a sorted set",
         complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.")
def geoadd(client, argv):
    argc = len(argv)
    xx = nx = False
    idx = 2
    while idx < argc:
        opt = _word(argv[idx])
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt != b"ch":
            break
        idx += 1
    if (argc - idx) % 3 or (xx and nx):
        raise CommandError(errors.SYNTAX)
    # ZADD reads the same options with strcasecmp: hand it the words as it would see them.
    zargv = [b"zadd", argv[1], *(_word(opt) for opt in argv[2:idx])]
    for j in range(idx, argc, 3):
        lon, lat = parse_lonlat(argv[j], argv[j + 1])
        zargv.append(b"%d" % geo_score(lon, lat))
        zargv.append(argv[j + 2])
    return _zadd_generic(client, zargv, 0)


@command("geopos", -2, "readonly", group="geo", keys=_KEY_RO, since="3.2.0",
         summary="Returns longitude and latitude of members of a geospatial index",
         complexity="O(N) where N is the number of members requested.")
def geopos(client, argv):
    zset = get_zset(client.db, argv[1])
    out: list = []
    for member in argv[2:]:
        score = zset.score(member) if zset is not None else None
        if score is None:
            out.append(NULL_ARRAY)
        else:
            lon, lat = decode_score(score)
            out.append([human(lon), human(lat)])
    return out


@command("geodist", -4, "readonly", group="geo", keys=_KEY_RO, since="3.2.0",
         summary="Returns the distance between two members of a geospatial index",
         complexity="O(log(N))")
def geodist(client, argv):
    to_meter = 1.0
    if len(argv) == 5:
        to_meter = parse_unit(argv[4])
    elif len(argv) > 5:
        raise CommandError(errors.SYNTAX)
    zset = get_zset(client.db, argv[1])
    if zset is None:
        return None
    s1 = zset.score(argv[2])
    s2 = zset.score(argv[3])
    if s1 is None or s2 is None:
        return None
    lon1, lat1 = decode_score(s1)
    lon2, lat2 = decode_score(s2)
    return _dist_text(distance(lon1, lat1, lon2, lat2) / to_meter)


@command("geohash", -2, "readonly", group="geo", keys=_KEY_RO, since="3.2.0",
         summary="Returns members of a geospatial index as standard geohash strings",
         complexity="O(log(N)) for each member requested, where N is the number of elements in the sorted set.")
def geohash(client, argv):
    zset = get_zset(client.db, argv[1])
    out: list = []
    for member in argv[2:]:
        score = zset.score(member) if zset is not None else None
        out.append(None if score is None else geohash_string(score))
    return out


# -- the searches (georadiusGeneric) -----------------------------------------------------------

RADIUS_COORDS = 1
RADIUS_MEMBER = 2
RADIUS_NOSTORE = 4
GEOSEARCH = 8
GEOSEARCHSTORE = 16


def _georadius_generic(client, argv, src_index: int, flags: int):
    db = client.db
    argc = len(argv)
    zset = get_zset(db, argv[src_index])
    storekey = None
    storedist = False
    shape = Shape()
    if flags & RADIUS_COORDS:
        base = 6
        shape.lon, shape.lat = parse_lonlat(argv[2], argv[3])
        shape.radius, shape.conversion = _parse_distance(argv[4], argv[5])
    elif flags & RADIUS_MEMBER and zset is None:
        base = 5
    elif flags & RADIUS_MEMBER:
        base = 5
        shape.lon, shape.lat = _member_position(zset, argv[2])
        shape.radius, shape.conversion = _parse_distance(argv[3], argv[4])
    else:
        base = 2
        if flags & GEOSEARCHSTORE:
            base = 3
            storekey = argv[1]

    withdist = withhash = withcoords = False
    frommember = fromloc = byradius = bybox = False
    sort = 0  # 1 ASC, -1 DESC
    any_ = False
    count = 0
    remaining = argc - base
    i = 0
    while i < remaining:
        raw = argv[base + i]
        arg = _word(raw)
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoords = True
        elif arg == b"any":
            any_ = True
        elif arg == b"asc":
            sort = 1
        elif arg == b"desc":
            sort = -1
        elif arg == b"count" and i + 1 < remaining:
            count = parse_ll(argv[base + i + 1])
            if count is None:
                raise CommandError(errors.NOT_INTEGER)
            if count <= 0:
                raise CommandError(errors.GEO_COUNT_POSITIVE)
            i += 1
        elif arg in (b"store", b"storedist") and i + 1 < remaining and not flags & (RADIUS_NOSTORE | GEOSEARCH):
            storekey = argv[base + i + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & GEOSEARCH and flags & GEOSEARCHSTORE:
            storedist = True
        elif arg == b"frommember" and i + 1 < remaining and flags & GEOSEARCH and not fromloc:
            if zset is not None:
                shape.lon, shape.lat = _member_position(zset, argv[base + i + 1])
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and i + 2 < remaining and flags & GEOSEARCH and not frommember:
            shape.lon, shape.lat = parse_lonlat(argv[base + i + 1], argv[base + i + 2])
            fromloc = True
            i += 2
        elif arg == b"byradius" and i + 2 < remaining and flags & GEOSEARCH and not bybox:
            shape.radius, shape.conversion = _parse_distance(argv[base + i + 1], argv[base + i + 2])
            shape.circle = True
            byradius = True
            i += 2
        elif arg == b"bybox" and i + 3 < remaining and flags & GEOSEARCH and not byradius:
            shape.width, shape.height, shape.conversion = _parse_box(
                argv[base + i + 1], argv[base + i + 2], argv[base + i + 3])
            shape.circle = False
            bybox = True
            i += 3
        else:
            raise CommandError(errors.SYNTAX)
        i += 1

    if storekey is not None and (withdist or withhash or withcoords):
        raise CommandError(errors.GEO_STORE_WITH.format(
            "GEOSEARCHSTORE" if flags & GEOSEARCHSTORE else "STORE option in GEORADIUS"))
    name = argv[0].decode("utf-8", "surrogateescape")
    if flags & GEOSEARCH and not (frommember or fromloc):
        raise CommandError(errors.GEO_FROM_ONE.format(name))
    if flags & GEOSEARCH and not (byradius or bybox):
        raise CommandError(errors.GEO_BY_ONE.format(name))
    if any_ and not count:
        raise CommandError(errors.GEO_ANY_COUNT)

    store_event = b"geosearchstore" if flags & GEOSEARCHSTORE else b"georadiusstore"
    if zset is None:
        if storekey is not None:
            return store_zset(client, storekey, None, store_event)
        return []

    if count and not sort and not any_:
        sort = 1
    found = search(zset, shape, count if any_ else 0)
    if not found and storekey is None:
        return []
    returned = len(found) if not count or len(found) < count else count
    if sort:
        found.sort(key=lambda p: p[0], reverse=sort < 0)
    found = found[:returned]
    conversion = shape.conversion

    if storekey is None:
        options = withdist or withcoords or withhash
        out = []
        for d, score, member, lon, lat in found:
            if not options:
                out.append(member)
                continue
            item: list = [member]
            if withdist:
                item.append(_dist_text(d / conversion))
            if withhash:
                item.append(int(score))
            if withcoords:
                item.append([human(lon), human(lat)])
            out.append(item)
        return out

    if not found:
        return store_zset(client, storekey, None, store_event)
    pairs = [(d / conversion if storedist else score, member) for d, score, member, _, _ in found]
    config = client.server.config
    listpack = (len(pairs) <= config.zset_max_listpack_entries
                and max(len(m) for _, m in pairs) <= config.zset_max_listpack_value)
    return store_zset(client, storekey, ZSet.from_pairs(pairs, listpack=listpack), store_event)


_RADIUS_COMPLEXITY = ("O(N+log(M)) where N is the number of elements inside the bounding box of the circular "
                      "area delimited by center and radius and M is the number of items inside the index.")
_SEARCH_COMPLEXITY = ("O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area "
                      "around the shape provided as the filter and M is the number of items inside the shape")


@command("georadius", -6, "write denyoom", group="geo",
         keys=[KeySpec("RO ACCESS", index=1), KeySpec("OW UPDATE", keyword=("STORE", 6)),
               KeySpec("OW UPDATE", keyword=("STOREDIST", 6))], since="3.2.0",
         summary="Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
         complexity=_RADIUS_COMPLEXITY)
def georadius(client, argv):
    return _georadius_generic(client, argv, 1, RADIUS_COORDS)


@command("georadiusbymember", -5, "write denyoom", group="geo",
         keys=[KeySpec("RO ACCESS", index=1), KeySpec("OW UPDATE", keyword=("STORE", 5)),
               KeySpec("OW UPDATE", keyword=("STOREDIST", 5))], since="3.2.0",
         summary="Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
         complexity=_RADIUS_COMPLEXITY)
def georadiusbymember(client, argv):
    return _georadius_generic(client, argv, 1, RADIUS_MEMBER)


@command("georadius_ro", -6, "readonly", group="geo", keys=_KEY_RO, since="3.2.10",
         summary="A read-only variant for GEORADIUS", complexity=_RADIUS_COMPLEXITY)
def georadius_ro(client, argv):
    return _georadius_generic(client, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE)


@command("georadiusbymember_ro", -5, "readonly", group="geo", keys=_KEY_RO, since="3.2.10",
         summary="A read-only variant for GEORADIUSBYMEMBER", complexity=_RADIUS_COMPLEXITY)
def georadiusbymember_ro(client, argv):
    return _georadius_generic(client, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE)


@command("geosearch", -7, "readonly", group="geo", keys=_KEY_RO, since="6.2.0",
         summary="Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
         complexity=_SEARCH_COMPLEXITY)
def geosearch(client, argv):
    return _georadius_generic(client, argv, 1, GEOSEARCH)


@command("geosearchstore", -8, "write denyoom", group="geo",
         keys=[KeySpec("OW UPDATE", index=1), KeySpec("RO ACCESS", index=2)], since="6.2.0",
         summary="Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
         complexity=_SEARCH_COMPLEXITY)
def geosearchstore(client, argv):
    return _georadius_generic(client, argv, 2, GEOSEARCH | GEOSEARCHSTORE)
