"""The replica_mail_from_domain filter names a replica's MAIL FROM domain with the policy's own function."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError


def _filter():
    from ansible_collections.deliverability.ses.plugins.filter.replica_mail_from_domain import FilterModule
    return FilterModule().filters()["replica_mail_from_domain"]


def test_replica_mail_from_domain_filter_uses_the_policy_rule():
    from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import replica_mail_from_domain
    f = _filter()
    assert f("mail.example.com", "eu-west-1") == "mail-eu-west-1.example.com"
    assert f("Mail.Example.com.", "us-west-2") == replica_mail_from_domain("mail.example.com", "us-west-2") \
        == "mail-us-west-2.example.com"


@pytest.mark.parametrize("args, match", [
    (("mail.example.com",), "region is required"),
    (("mail.example.com", "Europe"), r"replica_mail_from_domain: region: 'Europe' is not an AWS region name"),
    (("nodot", "eu-west-1"), "replica_mail_from_domain: mail_from_domain: .*not a valid domain name"),
])
def test_replica_mail_from_domain_filter_refuses_with_one_clear_error(args, match):
    with pytest.raises(AnsibleFilterError, match=match):
        _filter()(*args)
