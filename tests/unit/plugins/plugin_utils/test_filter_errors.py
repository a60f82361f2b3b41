"""The one error path of the collection's filters: every refusal is an AnsibleFilterError named after its filter."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors, refuse


def test_input_error_keeps_its_message_naming_the_option():
    with pytest.raises(AnsibleFilterError, match=r"^f: domain: bad domain$"):
        with filter_errors("f"):
            raise InputError("domain", "bad domain")


def test_caught_classes_are_translated_and_others_are_not():
    with pytest.raises(AnsibleFilterError, match=r"^f: boom$"):
        with filter_errors("f"):
            raise ValueError("boom")
    with pytest.raises(KeyError):
        with filter_errors("f"):
            raise KeyError("not caught by default")


def test_hint_says_what_to_fix():
    with pytest.raises(AnsibleFilterError, match=r"^f: wrong shape \('x'\)$"):
        with filter_errors("f", catch=KeyError, hint="wrong shape"):
            raise KeyError("x")


def test_refuse():
    with pytest.raises(AnsibleFilterError, match=r"^f: no$"):
        refuse("f", "no")


@pytest.mark.parametrize("name, call", [
    ("dkim_records", lambda: __import__(
        "ansible_collections.deliverability.ses.plugins.filter.dkim_records", fromlist=["x"]).dkim_records(["a"])),
    ("mail_from_records", lambda: __import__(
        "ansible_collections.deliverability.ses.plugins.filter.mail_from_records", fromlist=["x"])
        .mail_from_records("mail.example.com", region="not a region")),
    ("spf_merge", lambda: __import__(
        "ansible_collections.deliverability.ses.plugins.filter.spf_merge", fromlist=["x"]).spf_merge("v=spf1 bogus:::")),
    ("dmarc_parse", lambda: __import__(
        "ansible_collections.deliverability.ses.plugins.filter.dmarc_parse", fromlist=["x"]).dmarc_parse("v=DMARC1; p=maybe")),
    ("dns_journal", lambda: __import__(
        "ansible_collections.deliverability.ses.plugins.filter.dns_journal", fromlist=["x"]).dns_journal({}, step="nope")),
])
def test_every_filter_names_itself(name, call):
    with pytest.raises(AnsibleFilterError) as info:
        call()
    assert str(info.value).startswith(name)
