"""Turning pairwise merge decisions into customers, without chaining through weak links.

Merge edges are taken strongest first (policy merges, then by probability). An edge
that would put two different valid certificates, or individuals of two local
networks, into one customer is not applied: the certificate case goes to review
(the weakest link is what a steward should look at), the network case stays apart.
"""

from __future__ import annotations

import numpy as np

from app.resolution.records import RecordTable
from app.resolution.union_find import UnionFind

JOIN = 0
REFUSED_CERTIFICATES = 1
REFUSED_NETWORKS = 2
ALREADY_TOGETHER = 3


class Clusters(UnionFind):
    """Records joined so far, with each cluster's valid certificate and its individuals' networks."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.certificate: dict[int, int] = {}
        self.networks: dict[int, frozenset[int]] = {}

    def roots(self) -> np.ndarray:
        return np.fromiter((self.find(i) for i in range(len(self.parent))), dtype=np.int64, count=len(self.parent))


def cluster(table: RecordTable, left: np.ndarray, right: np.ndarray, order: np.ndarray) -> tuple[Clusters, np.ndarray]:
    """Apply merge edges in ``order``; return the clusters and, per edge, JOIN or why it was refused."""
    n = len(table)
    clusters = Clusters(n)
    valid = np.flatnonzero(table.codes["cert_valid"])
    clusters.certificate = dict(zip(valid.tolist(), table.codes["cert_no"][valid].tolist()))
    network = table.codes["local_network"]
    individual = np.flatnonzero(~table.codes["is_organisation"] & (network >= 0))
    clusters.networks = {i: frozenset((net,)) for i, net in zip(individual.tolist(), network[individual].tolist())}
    verdict = np.full(len(left), JOIN, dtype=np.int8)
    for edge, first, second in zip(order.tolist(), left[order].tolist(), right[order].tolist()):
        a, b = clusters.find(first), clusters.find(second)
        if a == b:
            verdict[edge] = ALREADY_TOGETHER
            continue
        cert_a, cert_b = clusters.certificate.get(a), clusters.certificate.get(b)
        if cert_a is not None and cert_b is not None and cert_a != cert_b:
            verdict[edge] = REFUSED_CERTIFICATES
            continue
        nets_a, nets_b = clusters.networks.get(a, frozenset()), clusters.networks.get(b, frozenset())
        if nets_a and nets_b and nets_a != nets_b:
            verdict[edge] = REFUSED_NETWORKS
            continue
        # The smaller root stays; it takes both sides' certificate and networks, whichever side it was.
        root, gone = (a, b) if a < b else (b, a)
        clusters.parent[gone] = root
        certificate = cert_a if cert_a is not None else cert_b
        clusters.certificate.pop(gone, None)
        if certificate is not None:
            clusters.certificate[root] = certificate
        networks = nets_a | nets_b
        clusters.networks.pop(gone, None)
        if networks:
            clusters.networks[root] = networks
    return clusters, verdict
