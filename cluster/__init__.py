"""Cluster mode: slot math, cluster state, nodes.conf, routing and CLUSTER command logic.

Everything here is pure (no trio, no sockets); the node wires it in when
``cluster-enabled yes``. See docs/architecture.md and ../shared/CLUSTER.md.
"""
