"""The plain lane's assumptions about the command table (node/commands/dispatch.py)."""

from node.commands.spec import PLAIN_LOOKUP, REGISTRY


def test_a_plain_command_arity_always_covers_its_single_key():
    # run_plain reads argv[spec.single_key] in cluster mode after checking only the arity.
    for spec in REGISTRY.values():
        if spec.plain and spec.single_key:
            assert abs(spec.arity) > spec.single_key, spec.name


def test_plain_commands_never_block_and_always_have_keys():
    for name, spec in PLAIN_LOOKUP.items():
        assert spec.has_keys and "blocking" not in spec.flags, name
        assert not spec.subcommands and spec.handler is not None, name
    assert b"get" in PLAIN_LOOKUP and b"GET" in PLAIN_LOOKUP
    for name in (b"blpop", b"xread", b"multi", b"select", b"subscribe", b"client", b"ping", b"keys"):
        assert name not in PLAIN_LOOKUP, name
