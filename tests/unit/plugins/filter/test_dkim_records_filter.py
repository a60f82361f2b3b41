"""The dkim_records filter reuses the module's renderer."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.deliverability.ses.plugins.filter.dkim_records import FilterModule
from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity

dkim_records = FilterModule().filters()["dkim_records"]


def test_tokens_and_domain_match_the_module_renderer():
    tokens = ["aaa", "bbb", "ccc"]
    assert dkim_records(tokens, "Example.com.") == identity.dkim_records(tokens, "example.com")
    assert dkim_records(tokens, "example.com", ttl=60)[2] == {
        "name": "ccc._domainkey.example.com", "type": "CNAME", "values": ["ccc.dkim.amazonses.com"], "ttl": 60}


def test_identity_dict_input():
    ident = {"identity": "example.com", "dkim": {"tokens": ["t1", "t2", "t3"]}}
    assert [r["name"] for r in dkim_records(ident)] == ["t%d._domainkey.example.com" % i for i in (1, 2, 3)]


@pytest.mark.parametrize("args", [(["t"],), (["t"], "not a domain"), (["bad token"], "example.com"),
                                  ({"identity": "a@example.com", "dkim": {"tokens": []}},)])
def test_errors_are_filter_errors(args):
    with pytest.raises(AnsibleFilterError) as err:
        dkim_records(*args)
    assert str(err.value).startswith("dkim_records:")
