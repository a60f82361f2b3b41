"""The mail_from_records filter renders with the mail_from module's own function."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError


def test_mail_from_records_filter_renders_what_the_module_publishes():
    from ansible_collections.deliverability.ses.plugins.filter.mail_from_records import FilterModule as MailFrom
    from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import mail_from_records
    f = MailFrom().filters()["mail_from_records"]
    assert f("mail.example.com", "eu-west-1", 600) == mail_from_records("mail.example.com", "eu-west-1", 600)
    mx = f("Mail.Example.com.", "eu-west-1")[0]
    assert mx["type"] == "MX" and mx["values"] == ["10 feedback-smtp.eu-west-1.amazonses.com"] and mx["exclusive"]
    with pytest.raises(AnsibleFilterError, match="region is required"):
        f("mail.example.com")
