"""policy/bounces.py event_tenant: which tenant a bounce or complaint belongs to, and when the sources disagree."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.policy.bounces import event_tenant


@pytest.mark.parametrize("tag, ids, sets, want", [
    # the event's own tag wins, whatever the associations say
    ("a", ["b"], ["c"], ("a", "event", False, ["a"])),
    # the one tenant holding both
    (None, ["a", "b"], ["b", "c"], ("b", "both", False, ["b"])),
    # identity and set in different tenants: they disagree, the set's tenant is chosen
    (None, ["a"], ["b"], ("b", "configuration_set", True, ["b"])),
    # disagreeing and the set in several tenants: nothing to choose, no tenant
    (None, ["a"], ["b", "c"], (None, "none", True, ["a", "b", "c"])),
    # several tenants hold both: ambiguous, no tenant
    (None, ["a", "b"], ["a", "b"], (None, "none", False, ["a", "b"])),
    # only one side known or associated
    (None, None, ["s"], ("s", "configuration_set", False, ["s"])),
    (None, ["i"], None, ("i", "identity", False, ["i"])),
    (None, ["i"], [], ("i", "identity", False, ["i"])),
    (None, ["i", "j"], None, (None, "none", False, ["i", "j"])),
    (None, [], [], (None, "none", False, [])),
    (None, None, None, (None, "none", False, [])),
])
def test_event_tenant(tag, ids, sets, want):
    assert event_tenant(tag, ids, sets) == want
