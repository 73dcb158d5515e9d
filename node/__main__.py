"""``python -m node [redis.conf] [--option value ...]``: run one Trireme node."""

from node.main import main

main()
