"""geo.py on its own: geohash encode/decode, neighbours, the 11-character GEOHASH strings,
distances, step estimation, reply formatting and the handlers on a bare keyspace. The
vectors were taken from a real Redis 7.0.15."""

from __future__ import annotations

import pytest

import node.commands  # noqa: F401  (registers every command)
from node import errors
from node.commands import geo as G
from node.replies import NULL_ARRAY, encode
from tests.support.handlers import error_of, run

# (longitude, latitude) -> (ZSCORE, GEOHASH, GEOPOS as Redis prints it)
VECTORS = [
    ((13.361389, 38.115556), 3479099956230698, b"sqc8b49rny0", (b"13.36138933897018433", b"38.11555639549629859")),
    ((15.087269, 37.502669), 3479447370796909, b"sqdtr74hyu0", (b"15.08726745843887329", b"37.50266842333162032")),
    ((0, 0), 3377699720527872, b"s0000000000", (b"0.00000268220901489", b"0.00000126736058093")),
    ((180, 85.05112878), 13510798882111488, b"bp05b5048p0", (b"180", b"85.0511287799999991")),
    ((-180, -85.05112878), 0, b"00bh0hbj200", (b"-179.99999731779098511", b"-85.05112751263942528")),
    ((-122.4194, 37.7749), 1367859919124626, b"9q8yyk8ytp0", (b"-122.41940170526504517", b"37.77490001056577995")),
]


@pytest.mark.parametrize("point,score,ghash,pos", VECTORS)
def test_vectors(point, score, ghash, pos):
    assert G.geo_score(*point) == score
    assert G.geohash_string(float(score)) == ghash
    lon, lat = G.decode_score(float(score))
    assert (G.human(lon), G.human(lat)) == pos


def test_interleave_roundtrip():
    for x, y in [(0, 0), (1, 0), (0, 1), (0x3FFFFFF, 0x1234567), (0xFFFFFFFF, 0xFFFFFFFF)]:
        assert G.deinterleave64(G.interleave64(x, y)) == (x, y)
    assert G.interleave64(1, 0) == 1 and G.interleave64(0, 1) == 2


def test_encode_refuses_out_of_range():
    assert G.encode(181, 0) is None
    assert G.encode(0, 85.06) is None
    assert G.encode(0, 0, step=0) is None
    assert G.encode(0, 0, step=33) is None


def test_decode_area_contains_point():
    bits = G.encode(13.361389, 38.115556, 10)
    lo_min, lo_max, la_min, la_max = G.decode_area(bits, 10)
    assert lo_min <= 13.361389 < lo_max and la_min <= 38.115556 < la_max


def test_neighbors_are_adjacent_and_wrap():
    step = 4
    bits = G.encode(0.1, 0.1, step)
    near = G.neighbors(bits, step)
    _, lo_max, _, la_max = G.decode_area(bits, step)
    east = G.decode_area(near["east"], step)
    north = G.decode_area(near["north"], step)
    assert east[0] == pytest.approx(lo_max) and north[2] == pytest.approx(la_max)
    # moving east from the last column wraps to the first, as in Redis
    edge = G.encode(179.9, 0.1, step)
    assert G.decode_area(G.neighbors(edge, step)["east"], step)[0] == -180.0


def test_distances():
    palermo = G.decode_score(3479099956230698.0)
    catania = G.decode_score(3479447370796909.0)
    d = G.distance(*palermo, *catania)
    assert b"%.4f" % d == b"166274.1516"
    assert b"%.4f" % (d / 1000) == b"166.2742"
    assert G.distance(10, 20, 10, 21) == G.lat_distance(20, 21)
    assert G.distance(1, 2, 1, 2) == 0.0


def test_estimate_steps():
    assert G.estimate_steps(0, 0) == 26
    assert G.estimate_steps(1, 0) == 24
    assert G.estimate_steps(5_000_000, 0) == 2
    assert G.estimate_steps(20_000_000, 0) == 1
    assert G.estimate_steps(1000, 70) == G.estimate_steps(1000, 0) - 1
    assert G.estimate_steps(1000, -85) == G.estimate_steps(1000, 0) - 2


def test_human_format():
    assert G.human(1.5) == b"1.5"
    assert G.human(180.0) == b"180"
    assert G.human(-0.0) == b"0"
    assert encode([G.human(2.25)], 2) == b"*1\r\n$4\r\n2.25\r\n"
    assert encode([G.human(2.25)], 3) == b"*1\r\n,2.25\r\n"


def test_handlers(client):
    assert run(client, "GEOADD", "g", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania") == 2
    assert run(client, "ZSCORE", "g", "Palermo") == 3479099956230698.0
    assert run(client, "GEODIST", "g", "Palermo", "Catania", "km") == b"166.2742"
    assert run(client, "GEODIST", "g", "Palermo", "nope") is None
    assert run(client, "GEOHASH", "g", "Palermo", "nope") == [b"sqc8b49rny0", None]
    assert run(client, "GEOPOS", "g", "nope") == [NULL_ARRAY]
    assert run(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC", "WITHDIST") == [
        [b"Catania", b"56.4413"], [b"Palermo", b"190.4424"]]
    assert run(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 100, "km", "WITHHASH") == [
        [b"Catania", 3479447370796909]]
    assert run(client, "GEORADIUS", "g", 15, 37, 200, "km", "STOREDIST", "d", "DESC") == 2
    assert run(client, "ZSCORE", "d", "Catania") == pytest.approx(56.4413, abs=1e-4)
    assert run(client, "GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km") == 0
    assert run(client, "EXISTS", "d") == 0


def test_handler_errors(client):
    assert error_of(client, "GEOADD", "g", 200, 10, "m") == "ERR invalid longitude,latitude pair 200.000000,10.000000"
    assert error_of(client, "GEOADD", "g", "NX", "XX", 1, 1, "m") == errors.SYNTAX
    assert error_of(client, "GEODIST", "g", "a", "b", "yd") == errors.GEO_UNIT
    assert error_of(client, "GEOSEARCH", "g", "BYRADIUS", 1, "m", "ASC", "DESC") == (
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH")
    assert error_of(client, "GEORADIUS", "g", 1, 1, 1, "m", "STORE", "d", "WITHDIST") == (
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")


def test_c_uint64_cast():
    assert G._c_uint64(3479099956230698.0) == 3479099956230698
    assert G._c_uint64(-1.5) == (1 << 64) - 1
    assert G._c_uint64(float("inf")) == 0
    assert G._c_uint64(float("-inf")) == 1 << 63
    assert G._c_uint64(float("nan")) == 1 << 63
    assert G._c_uint64(2.0**63) == 1 << 63
    assert G._c_uint64(2.0**64) == 0
