"""Key positions from key specs follow Redis's getKeysUsingKeySpecs rules."""

from node.commands.spec import KeySpec, _legacy_range


def argv(text: str) -> list[bytes]:
    return text.encode().split()


def test_range_with_limit_takes_the_first_half():
    # XREAD's spec: after the STREAMS keyword, half of the remaining arguments are keys.
    spec = KeySpec("RO", keyword=("STREAMS", 1), lastkey=-1, step=1, limit=2)
    assert spec.find(argv("XREAD STREAMS a b c 0 0 0")) == [2, 3, 4]
    assert spec.find(argv("XREAD COUNT 1 STREAMS a b 0 0")) == [4, 5]


def test_forward_keyword_search_ignores_the_last_argument():
    spec = KeySpec("RO", keyword=("STREAMS", 1), lastkey=-1, limit=2)
    assert spec.find(argv("XREAD COUNT STREAMS")) == []


def test_backward_keyword_search_stops_before_argument_one():
    spec = KeySpec("RW", keyword=("STORE", -1), lastkey=0)
    assert spec.find(argv("GEORADIUS STORE x")) == []
    assert spec.find(argv("GEORADIUS k 0 0 1 m STORE dst")) == [7]


def test_keynum():
    spec = KeySpec("RO", index=1, keynum=(0, 1, 1))
    assert spec.find(argv("ZUNION 2 a b WEIGHTS 1 2")) == [2, 3]
    assert spec.find(argv("ZUNION 0 a")) == []
    assert spec.find(argv("ZUNION 5 a")) == []


def test_legacy_range_of_mset_and_get():
    assert _legacy_range((KeySpec("OW UPDATE", index=1, lastkey=-1, step=2),)) == (1, -1, 2, False)
    assert _legacy_range((KeySpec("RO ACCESS", index=1),)) == (1, 1, 1, False)
    assert _legacy_range(()) == (0, 0, 0, False)
