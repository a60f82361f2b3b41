"""The seeded posture fleet, and amazonses.com served by the test BIND (the DNS tests' fixture), so
include:amazonses.com resolves as on the internet."""

from __future__ import annotations


import pytest

from tests.integration.posture.seed import seed
from tests.fixtures.names import unique


@pytest.fixture
def fleet(sandbox, bind, amazonses):  # noqa: F811 - the imported fixture
    zone = unique("pz")
    bind.add_zone(zone)
    names, parked = seed(sandbox, bind, zone)
    return zone, names, parked
