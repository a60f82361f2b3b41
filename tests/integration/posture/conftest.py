"""The seeded posture fleet, and amazonses.com served by the test BIND (the DNS tests' fixture), so
include:amazonses.com resolves as on the internet."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.integration.dns.conftest import amazonses  # noqa: F401 - a fixture, used by name
from tests.integration.posture.seed import seed

_counter = itertools.count()


@pytest.fixture
def fleet(sandbox, bind, amazonses):  # noqa: F811 - the imported fixture
    zone = "pz%d-%d.test" % (os.getpid(), next(_counter))
    bind.add_zone(zone)
    names, parked = seed(sandbox, bind, zone)
    return zone, names, parked
