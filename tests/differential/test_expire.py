"""EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (NX/XX/GT/LT), TTL/PTTL/EXPIRETIME/PEXPIRETIME and
PERSIST against real Redis 7.0, plus lazy and active expiry as clients observe them.

Absolute expiries (``*AT``) are compared exactly; relative ones through TTL in seconds
(rounded by the server, so a few milliseconds between the two servers do not show) or in
coarse PTTL buckets.
"""

from __future__ import annotations

import time

import pytest
import redis

from tests.support.rawconn import ServerError

FAR = 4_102_444_800_000  # 2100-01-01 in unix ms
LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)


def is_error(reply, text: str | None = None) -> bool:
    return isinstance(reply, ServerError) and (text is None or str(reply) == text)


def pttl_bucket(client: redis.Redis, key) -> object:
    ms = client.execute_command("PTTL", key)
    return ms if ms < 0 else round(ms / 1000)


# -- missing keys, no TTL ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"])
def test_ttl_family_missing_and_persistent(differ, command):
    differ.check(command, "nope")
    differ.check("SET", "k", "v")
    differ.check(command, "k")


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
@pytest.mark.parametrize("options", [(), ("NX",), ("XX",), ("GT",), ("LT",)], ids=lambda o: " ".join(o) or "plain")
def test_expire_missing_key(differ, command, options):
    differ.check(command, "nope", "100", *options)
    differ.check("EXISTS", "nope")


def test_persist(differ):
    differ.check("PERSIST", "nope")
    differ.check("SET", "k", "v")
    differ.check("PERSIST", "k")
    differ.check("PEXPIREAT", "k", str(FAR))
    differ.check("PERSIST", "k", resp3=False)
    differ.check("PEXPIRETIME", "k")
    differ.check("TTL", "k")


# -- setting TTLs -----------------------------------------------------------------------------------------


def test_expire_and_pexpire_relative(differ):
    differ.check("SET", "k", "v")
    differ.check("EXPIRE", "k", "100")
    differ.check("TTL", "k")
    assert differ.both(lambda c: pttl_bucket(c, "k")) == 100
    differ.check("PEXPIRE", "k", "50000")
    differ.check("TTL", "k")
    differ.check("EXPIRE", "k", "0")  # now or earlier: the key is deleted
    differ.check("EXISTS", "k")


def test_expireat_and_pexpireat_absolute(differ):
    differ.check("SET", "k", "v")
    differ.check("EXPIREAT", "k", str(FAR // 1000))
    differ.check("PEXPIRETIME", "k")
    differ.check("EXPIRETIME", "k")
    differ.check("PEXPIREAT", "k", str(FAR + 499))
    differ.check("PEXPIRETIME", "k")
    differ.check("EXPIRETIME", "k")  # rounded to the nearest second
    differ.check("PEXPIREAT", "k", str(FAR + 500))
    differ.check("EXPIRETIME", "k")


@pytest.mark.parametrize("args", [
    ("EXPIRE", "k", "-1"), ("EXPIRE", "k", "0"), ("PEXPIRE", "k", "-100"), ("PEXPIRE", "k", "0"),
    ("EXPIREAT", "k", "1"), ("EXPIREAT", "k", "-5"), ("PEXPIREAT", "k", "0"), ("PEXPIREAT", "k", "1000"),
    ("EXPIRE", "k", str(-(LLONG_MAX // 1000))), ("PEXPIRE", "k", str(LLONG_MIN)),
    ("PEXPIREAT", "k", str(LLONG_MIN)), ("EXPIRE", "k", "-1", "GT"), ("EXPIRE", "k", "-1", "LT"),
    ("EXPIRE", "k", "-1", "NX"),
], ids=lambda a: " ".join(a))
def test_expire_in_the_past_deletes(differ, args):
    differ.check("SET", "k", "v")
    differ.check(*args, resp3=False)
    differ.check("EXISTS", "k")
    differ.check("DBSIZE")


@pytest.mark.parametrize("args", [
    ("EXPIRE", "k", str(LLONG_MAX)), ("EXPIRE", "k", str(LLONG_MAX // 1000 + 1)),
    ("EXPIRE", "k", str(LLONG_MIN)), ("EXPIRE", "k", str(-(LLONG_MAX // 1000) - 1)),
    ("EXPIREAT", "k", str(LLONG_MAX)), ("EXPIREAT", "k", str(LLONG_MIN)),
    ("PEXPIRE", "k", str(LLONG_MAX)), ("PEXPIRE", "k", str(LLONG_MAX - 1000)),
    ("EXPIRE", "k", str(LLONG_MAX // 1000)),
], ids=lambda a: " ".join(a))
def test_expire_overflow(differ, args):
    differ.check("SET", "k", "v")
    reply = differ.check(*args, resp3=False)
    assert is_error(reply) and "invalid expire time" in str(reply)
    differ.check("TTL", "k")


def test_expire_overflow_on_missing_key_is_still_an_error(differ):
    assert is_error(differ.check("EXPIRE", "nope", str(LLONG_MAX)))
    assert is_error(differ.check("PEXPIRE", "nope", str(LLONG_MAX)))


def test_pexpireat_at_the_limit(differ):
    differ.check("SET", "k", "v")
    differ.check("PEXPIREAT", "k", str(LLONG_MAX))
    differ.check("PEXPIRETIME", "k")
    differ.check("EXPIRETIME", "k")
    differ.check("EXPIREAT", "k", str(LLONG_MAX // 1000))
    differ.check("PEXPIRETIME", "k")


@pytest.mark.parametrize("value", ["abc", "", "1.5", "+5", "05", "-0", " 1", "1 ", "9223372036854775808", "1e3"])
@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_not_an_integer(differ, command, value):
    differ.check("SET", "k", "v")
    assert is_error(differ.check(command, "k", value), "ERR value is not an integer or out of range")


@pytest.mark.parametrize("options", [
    ("foo",), ("NX", "XX"), ("XX", "NX"), ("NX", "GT"), ("NX", "LT"), ("GT", "LT"), ("LT", "GT"),
    ("NX", "XX", "GT", "LT"), ("GT", "foo"), ("XX", "GT", "LT"),
], ids=lambda o: " ".join(o))
@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIREAT"])
def test_expire_option_errors(differ, command, options):
    differ.check("SET", "k", "v")
    assert is_error(differ.check(command, "k", "100", *options))
    assert is_error(differ.check(command, "k", "notanumber", *options))  # options are checked first
    assert is_error(differ.check(command, "nope", "100", *options))


# (options, starting TTL offset or None, new offset): absolute PEXPIREAT values around FAR.
OPTION_CASES = [
    (("NX",), None, 10), (("NX",), 0, 10),
    (("XX",), None, 10), (("XX",), 0, 10),
    (("GT",), None, 10), (("GT",), 0, 10), (("GT",), 0, 0), (("GT",), 0, -10),
    (("LT",), None, 10), (("LT",), 0, 10), (("LT",), 0, 0), (("LT",), 0, -10),
    (("XX", "GT"), 0, 10), (("XX", "GT"), None, 10), (("XX", "LT"), 0, -10), (("XX", "LT"), None, 10),
    (("gt",), 0, 10), (("nx",), None, 10), (("GT", "GT"), 0, 10), (("XX", "XX"), 0, 10),
]


@pytest.mark.parametrize("options,start,new", OPTION_CASES, ids=lambda v: str(v))
def test_expire_options(differ, options, start, new):
    differ.check("SET", "k", "v")
    if start is not None:
        differ.check("PEXPIREAT", "k", str(FAR + start))
    differ.check("PEXPIREAT", "k", str(FAR + new), *options, resp3=False)
    differ.check("PEXPIRETIME", "k")


def test_expire_options_with_relative_times(differ):
    differ.check("SET", "k", "v")
    differ.check("EXPIRE", "k", "100", "XX")
    differ.check("EXPIRE", "k", "100", "GT")  # no TTL counts as infinite: nothing is greater
    differ.check("EXPIRE", "k", "100", "LT", resp3=False)
    differ.check("TTL", "k")
    differ.check("EXPIRE", "k", "200", "LT")
    differ.check("EXPIRE", "k", "200", "GT", resp3=False)
    differ.check("TTL", "k")
    differ.check("EXPIRE", "k", "300", "NX")
    differ.check("PEXPIRE", "k", "50000", "XX", "LT", resp3=False)
    differ.check("TTL", "k")


# -- what changes and what keeps a TTL ---------------------------------------------------------------------


def test_overwrites_clear_the_ttl_and_renames_keep_it(differ):
    differ.check("SET", "k", "v")
    differ.check("PEXPIREAT", "k", str(FAR))
    differ.check("SET", "k", "w")
    differ.check("PEXPIRETIME", "k")
    differ.check("PEXPIREAT", "k", str(FAR))
    differ.check("APPEND", "k", "x")  # in-place change: the TTL stays
    differ.check("PEXPIRETIME", "k")
    differ.check("RENAME", "k", "k2", resp3=False)
    differ.check("PEXPIRETIME", "k2")
    differ.check("COPY", "k2", "k3")
    differ.check("PEXPIRETIME", "k3")


# -- lazy and active expiry ------------------------------------------------------------------------------


def wait_both(differ, fn, expected, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        results = [fn(differ.client(w)) for w in ("ours", "real")]
        if results == [expected, expected] or time.monotonic() > deadline:
            assert results == [expected, expected], f"ours, real = {results}"
            return
        time.sleep(0.05)


def test_lazy_expiry(differ):
    differ.check("SET", "k", "v", "PX", "50")
    differ.check("PEXPIRE", "k2", "50")
    time.sleep(0.15)
    differ.check("GET", "k")
    differ.check("EXISTS", "k")
    differ.check("TTL", "k")
    differ.check("PERSIST", "k")
    differ.check("EXPIRE", "k", "100")


def test_ttl_counts_down(differ):
    differ.check("SET", "k", "v", "PX", "2400")
    time.sleep(0.5)
    differ.check("TTL", "k")  # about 1.9 s left: rounds to 2 on both
    for which in ("ours", "real"):
        assert 1700 <= differ.client(which).pttl("k") <= 1950


def test_active_expiry_frees_keys_nobody_reads(differ):
    for which in ("ours", "real"):
        pipe = differ.client(which).pipeline(transaction=False)
        for i in range(200):
            pipe.set(f"gone:{i}", "v", px=100)
        for i in range(20):
            pipe.set(f"stays:{i}", "v")
        pipe.execute()
    differ.check("DBSIZE")
    wait_both(differ, lambda c: c.dbsize(), 20)
    differ.check("KEYS", "*", unordered=True)


def test_expired_keys_vanish_from_every_read(differ):
    differ.check("MSET", "a", "1", "b", "2")
    differ.check("PEXPIRE", "a", "30")
    time.sleep(0.1)
    for args in (("EXISTS", "a"), ("TYPE", "a"), ("TTL", "a"), ("PTTL", "a"), ("EXPIRETIME", "a"),
                 ("OBJECT", "ENCODING", "a"), ("TOUCH", "a"), ("RENAME", "a", "x"), ("MOVE", "a", "1"),
                 ("COPY", "a", "x"), ("RANDOMKEY",), ("KEYS", "*"), ("DBSIZE",)):
        differ.check(*args)


def test_expire_then_watch(differ):
    """A TTL change is a write for WATCH; an expiry in the past deletes (also a write)."""

    def run(which):
        port = differ.ours_port if which == "ours" else differ.real_port
        a = redis.Redis(port=port, protocol=2, single_connection_client=True, driver_info=None)
        b = redis.Redis(port=port, protocol=2, single_connection_client=True, driver_info=None)
        try:
            out = []
            for change in (("EXPIRE", "k", "100"), ("PEXPIRE", "k", "-1"), ("PERSIST", "k")):
                b.set("k", "v", ex=50)
                a.execute_command("WATCH", "k")
                b.execute_command(*change)
                a.execute_command("MULTI")
                a.execute_command("PING")
                out.append(a.execute_command("EXEC"))
            return out
        finally:
            a.close()
            b.close()

    assert run("ours") == run("real")
