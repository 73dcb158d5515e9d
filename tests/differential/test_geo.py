"""GEO commands against real Redis 7.0: scores (the 52-bit geohash), GEOPOS/GEODIST/GEOHASH
formatting, error texts, and GEOSEARCH / GEORADIUS* results (which members, their order,
WITHDIST/WITHHASH/WITHCOORD) over random points and random queries with a fixed seed, in
RESP2 and RESP3. STORE variants compare the stored zset (scores and encoding)."""

from __future__ import annotations

import random

import pytest

UNITS = ("m", "km", "ft", "mi")


def rand_point(rng: random.Random, region=None):
    if region is None:
        return round(rng.uniform(-180, 180), 6), round(rng.uniform(-85.05112878, 85.05112878), 6)
    lon, lat, spread = region
    lon = min(180.0, max(-180.0, lon + rng.uniform(-spread, spread)))
    lat = min(85.05, max(-85.05, lat + rng.uniform(-spread, spread)))
    return round(lon, 6), round(lat, 6)


def fill(differ, key: str, points) -> None:
    args = ["GEOADD", key]
    for name, (lon, lat) in points.items():
        args += [lon, lat, name]
    differ.check(*args, resp3=False)


def test_geoadd_scores_and_positions(differ):
    rng = random.Random(7)
    points = {f"p{i}": rand_point(rng) for i in range(200)}
    points["edge1"] = (180, 85.05112878)
    points["edge2"] = (-180, -85.05112878)
    points["zero"] = (0, 0)
    fill(differ, "g", points)
    names = list(points)
    differ.check("ZRANGE", "g", 0, -1, "WITHSCORES")
    for i in range(0, len(names), 20):
        differ.check("GEOPOS", "g", *names[i:i + 20], "missing")
        differ.check("GEOHASH", "g", *names[i:i + 20], "missing")
    for _ in range(100):
        a, b = rng.sample(names, 2)
        differ.check("GEODIST", "g", a, b, rng.choice(UNITS))
    differ.check("GEODIST", "g", names[0], names[1])
    differ.check("GEODIST", "g", names[0], names[0])
    differ.check("GEODIST", "g", names[0], "missing")
    differ.check("GEODIST", "nokey", "a", "b")
    differ.check("GEOPOS", "nokey", "a", "b")
    differ.check("GEOHASH", "nokey", "a")


def test_geoadd_options_and_errors(differ):
    differ.check("GEOADD", "g", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania", resp3=False)
    differ.check("GEOADD", "g", "NX", 1, 1, "Palermo", 2, 2, "new", resp3=False)
    differ.check("GEOADD", "g", "XX", "CH", 3, 3, "Palermo", 4, 4, "other", resp3=False)
    differ.check("GEOADD", "g", "CH", 3, 3, "Palermo", resp3=False)
    differ.check("GEOADD", "g", "XX", "CH", 5, 5, "Catania", resp3=False)
    differ.check("GEOADD", "g", "ch\x00x", "Nx", 6, 6, "Catania", 7, 7, "nul", resp3=False)  # strcasecmp
    differ.check("ZRANGE", "g", 0, -1, "WITHSCORES")
    for bad in (
        ("GEOADD", "g", "NX", "XX", 1, 1, "m"),
        ("GEOADD", "g", 1, 1, "m", 2),
        ("GEOADD", "g", 200, 10, "m"),
        ("GEOADD", "g", 10, 86, "m"),
        ("GEOADD", "g", -180.5, -86, "m"),
        ("GEOADD", "g", "abc", 10, "m"),
        ("GEOADD", "g", 10, "nan", "m"),
        ("GEOADD", "g", "inf", 10, "m"),
        ("GEOADD", "g", 1, 1, "ok", 200, 1, "bad"),
        ("GEOADD", "g", "GT", 1, 1, "m"),
        ("GEOADD", "g", "CH", "CH", "CH"),
        ("GEOADD", "g", 1, 2),
        ("GEODIST", "g", "Palermo", "Catania", "yards"),
        ("GEODIST", "g", "Palermo", "Catania", "km", "x"),
        ("GEOSEARCH", "g", "FROMMEMBER", "nope", "BYRADIUS", 10, "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", -1, "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "x", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "parsec"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYBOX", 1, -1, "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYBOX", "w", 1, "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYBOX", 1, "h", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km", "BYBOX", 1, 1, "km"),
        ("GEOSEARCH", "g", "BYRADIUS", 1, "km", "ASC"),
        ("GEOSEARCH", "g", "FROMLONLAT", 1, 2, "ASC", "DESC"),
        ("GEOSEARCH", "g", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km", "ANY"),
        ("GEOSEARCH", "g", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km", "COUNT", 0),
        ("GEOSEARCH", "g", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km", "COUNT", "x"),
        ("GEOSEARCH", "g", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km", "COUNT"),
        ("GEOSEARCH", "g", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km", "STORE", "x"),
        ("GEOSEARCH", "g", "FROMLONLAT", 1, 2, "BYRADIUS", 1, "km", "STOREDIST"),
        ("GEOSEARCH", "g", "FROMLONLAT", 200, 2, "BYRADIUS", 1, "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", 1, "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", 1, "km", "ANY"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km", "WITHDIST"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km", "STORE", "x"),
        ("GEORADIUS", "g", 15, 37, 200, "km", "STORE", "x", "WITHCOORD"),
        ("GEORADIUS", "g", 15, 37, 200, "km", "STORE"),
        ("GEORADIUS", "g", 15, 37, -200, "km"),
        ("GEORADIUS", "g", 15, 95, 200, "km"),
        ("GEORADIUS", "g", 15, 37, 200, "lightyears"),
        ("GEORADIUS", "g", 15, 37, 200, "km", "FROMMEMBER", "Palermo"),
        ("GEORADIUS_RO", "g", 15, 37, 200, "km", "STORE", "x"),
        ("GEORADIUSBYMEMBER", "g", "nope", 200, "km"),
        ("GEORADIUSBYMEMBER", "g", "Palermo", 200, "km", "ANY"),
        ("GEORADIUSBYMEMBER", "nokey", "Palermo", "x", "y"),
        ("GEORADIUSBYMEMBER", "nokey", "Palermo", "x", "y", "STORE", "d"),
        ("GEORADIUSBYMEMBER_RO", "g", "Palermo", 200, "km", "STOREDIST", "x"),
    ):
        differ.check(*bad, resp3=False)
    differ.check("SET", "s", "v", resp3=False)
    for cmd in (("GEOADD", "s", 1, 1, "m"), ("GEOPOS", "s", "m"), ("GEOHASH", "s", "m"),
                ("GEODIST", "s", "a", "b"), ("GEOSEARCH", "s", "FROMLONLAT", 1, 1, "BYRADIUS", 1, "m"),
                ("GEORADIUS", "s", 1, 1, 1, "m")):
        differ.check(*cmd, resp3=False)


def test_unit_names_case_and_defaults(differ):
    differ.check("GEOADD", "g", 2.35, 48.85, "paris", 2.29, 48.86, "eiffel", resp3=False)
    for unit in ("M", "Km", "FT", "mI"):
        differ.check("GEODIST", "g", "paris", "eiffel", unit)
        differ.check("GEOSEARCH", "g", "fromlonlat", 2.3, 48.85, "byradius", 10, unit, "withdist", "asc")


REGIONS = [
    None,
    (0.0, 0.0, 2.0),
    (13.0, 38.0, 0.5),
    (-73.9, 40.7, 0.05),
    (179.5, 10.0, 1.0),      # across the antimeridian
    (-179.8, -30.0, 0.5),
    (20.0, 80.0, 5.0),       # near the poles
    (-60.0, -84.5, 0.5),
    (100.0, 0.0, 0.001),     # dense
]


def _query(rng: random.Random, names, region, flavour: str):
    center = rng.random() < 0.5
    if region is None:
        lon, lat = rand_point(rng)
        radius = rng.choice([10, 100, 500, 1000, 3000, 6000, 12000])
        unit_scale = 1000.0
    else:
        lon, lat = rand_point(rng, region)
        span = region[2] * 111000.0
        radius = round(rng.uniform(0, span), 3)
        unit_scale = 1.0
    unit = rng.choice(UNITS)
    if unit_scale == 1000.0 and unit in ("m", "ft"):
        unit = "km"
    extras = []
    sort = rng.choice([None, "ASC", "DESC"])
    if sort:
        extras.append(sort)
    if rng.random() < 0.3:
        extras += ["COUNT", rng.randint(1, 20)]
        if sort and rng.random() < 0.3:
            extras.append("ANY")
    for opt in ("WITHDIST", "WITHHASH", "WITHCOORD"):
        if rng.random() < 0.4:
            extras.append(opt)
    if flavour == "geosearch":
        args = ["GEOSEARCH", "g"]
        if center:
            args += ["FROMMEMBER", rng.choice(names)]
        else:
            args += ["FROMLONLAT", lon, lat]
        if rng.random() < 0.5:
            args += ["BYRADIUS", radius, unit]
        else:
            args += ["BYBOX", round(radius * rng.uniform(0.5, 2.5), 3), round(radius * rng.uniform(0.5, 2.5), 3), unit]
        return args + extras
    if flavour == "georadius":
        return ["GEORADIUS" if rng.random() < 0.5 else "GEORADIUS_RO", "g", lon, lat, radius, unit] + extras
    return ["GEORADIUSBYMEMBER" if rng.random() < 0.5 else "GEORADIUSBYMEMBER_RO", "g", rng.choice(names),
            radius, unit] + extras


@pytest.mark.parametrize("region_index", range(len(REGIONS)))
def test_random_searches(differ, region_index):
    region = REGIONS[region_index]
    rng = random.Random(1000 + region_index)
    points = {f"m{i}": rand_point(rng, region) for i in range(150)}
    fill(differ, "g", points)
    names = list(points)
    for i in range(150):
        flavour = ("geosearch", "georadius", "georadiusbymember")[i % 3]
        args = _query(rng, names, region, flavour)
        # COUNT without ANY takes the nearest N: ties at the boundary may pick either
        # (Redis uses a partial quicksort there), so compare sets only when ties exist.
        differ.check(*args)


def test_large_listpack_to_skiplist(differ, setting):
    setting("zset-max-listpack-entries", 16)
    rng = random.Random(5)
    points = {f"m{i}": rand_point(rng, (5.0, 45.0, 1.0)) for i in range(60)}
    fill(differ, "g", points)
    differ.check("OBJECT", "ENCODING", "g")
    for _ in range(30):
        lon, lat = rand_point(rng, (5.0, 45.0, 1.0))
        differ.check("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYRADIUS", rng.randint(1, 150), "km",
                     "WITHDIST", "WITHCOORD", "WITHHASH")


def test_store_variants(differ, setting):
    setting("zset-max-listpack-entries", 10)
    rng = random.Random(11)
    points = {f"m{i}": rand_point(rng, (-3.7, 40.4, 0.5)) for i in range(40)}
    fill(differ, "g", points)
    cases = [
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", -3.7, 40.4, "BYRADIUS", 30, "km"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", -3.7, 40.4, "BYRADIUS", 30, "km", "STOREDIST"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "m3", "BYBOX", 40, 20, "mi", "STOREDIST", "COUNT", 5),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", -3.7, 40.4, "BYRADIUS", 3, "km", "COUNT", 3, "DESC"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", 100, 40.4, "BYRADIUS", 3, "km"),
        ("GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", 100, 40.4, "BYRADIUS", 3, "km"),
        ("GEORADIUS", "g", -3.7, 40.4, 20, "km", "STORE", "d"),
        ("GEORADIUS", "g", -3.7, 40.4, 20, "km", "STOREDIST", "d", "COUNT", 4),
        ("GEORADIUS", "g", -3.7, 40.4, 20, "km", "STORE", "x", "STOREDIST", "d"),
        ("GEORADIUSBYMEMBER", "g", "m1", 50, "km", "STOREDIST", "d"),
        ("GEORADIUSBYMEMBER", "g", "m1", 50, "km", "STORE", "d", "COUNT", 2, "ANY"),
        ("GEORADIUSBYMEMBER", "nokey", "m1", 50, "km", "STORE", "d"),
    ]
    for case in cases:
        differ.check("ZADD", "d", 1, "old", resp3=False)
        differ.check(*case, resp3=False)
        differ.check("EXISTS", "d")
        differ.check("ZRANGE", "d", 0, -1, "WITHSCORES")
        differ.check("OBJECT", "ENCODING", "d")
        differ.check("EXISTS", "x")
        differ.check("DEL", "x", resp3=False)


def test_command_getkeys(differ):
    for args in (
        ("GEORADIUS", "g", 1, 2, 3, "km", "STORE", "d"),
        ("GEORADIUS", "g", 1, 2, 3, "km", "STOREDIST", "d"),
        ("GEORADIUSBYMEMBER", "g", "m", 3, "km", "STORE", "d"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "m", "BYRADIUS", 1, "km"),
        ("GEORADIUS", "g", 1, 2, 3, "km"),
    ):
        differ.check("COMMAND", "GETKEYS", *args)


def test_scores_that_are_not_geohashes(differ):
    """ZADD'ed scores outside the 52-bit range decode as Redis's (uint64_t) cast makes them."""
    values = ["-1", "-1.5", "0.5", "1e300", "-1e300", "inf", "-inf", "4503599627370496",
              "4503599627370495.5", "9007199254740992", "1.8446744073709552e19", "9.3e18", "-9.3e18",
              "12345678901234567", "2e19", "-0", "3.5", "4611686018427387904"]
    for i, value in enumerate(values):
        differ.check("ZADD", "z", value, f"x{i}", resp3=False)
    for i in range(len(values)):
        differ.check("GEOPOS", "z", f"x{i}")
        differ.check("GEOHASH", "z", f"x{i}")
        differ.check("GEODIST", "z", f"x{i}", "x0", "km")
        differ.check("GEOSEARCH", "z", "FROMMEMBER", f"x{i}", "BYRADIUS", 30000, "km", "WITHHASH", "WITHCOORD",
                     "WITHDIST")


def test_duplicate_points_keep_scan_order(differ):
    """Equal distances keep their scan (score, then member) order, as glibc's merge sort does."""
    args = ["GEOADD", "g"]
    for i in range(30):
        args += [2.5, 45.5, f"same{i:02d}"]
    args += [2.5001, 45.5, "near", 2.6, 45.6, "far"]
    differ.check(*args, resp3=False)
    for extra in ((), ("ASC",), ("DESC",), ("COUNT", 40), ("COUNT", 5, "ANY"), ("DESC", "COUNT", 40)):
        differ.check("GEOSEARCH", "g", "FROMLONLAT", 2.5, 45.5, "BYRADIUS", 50, "km", "WITHDIST", *extra)
        differ.check("GEORADIUSBYMEMBER", "g", "near", 50, "km", *extra)
