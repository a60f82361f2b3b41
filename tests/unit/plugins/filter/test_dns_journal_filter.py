"""The dns_journal filter hands the role's data to policy/dns_restore.py and fails clearly on a bad shape."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.deliverability.ses.plugins.filter.dns_journal import FilterModule

F = FilterModule().filters()["dns_journal"]


def test_steps():
    found = F({}, read=[], asked=[{"name": "Example.com.", "type": "txt"}], step="before")
    assert found == {"example.com TXT": {"name": "example.com", "type": "TXT", "before": None}}
    assert F(found, read=[], step="restore") == []
    assert F([], step="summary") == []


def test_bad_step_or_shape_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="step must be one of"):
        F({}, step="apply")
    with pytest.raises(AnsibleFilterError, match="expected shape"):
        F({"k": "not a dict"}, read=[], step="restore")
