"""The filters are thin wrappers over the policy functions."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.deliverability.ses.plugins.filter.dmarc_build import dmarc_build
from ansible_collections.deliverability.ses.plugins.filter.dmarc_parse import dmarc_parse
from ansible_collections.deliverability.ses.plugins.filter.spf_merge import spf_merge


def test_spf_merge_filter():
    assert spf_merge("") == "v=spf1 include:amazonses.com ~all"
    assert spf_merge("v=spf1 mx -all", ["include:x.test"], all_qualifier="~") == "v=spf1 mx include:x.test ~all"
    with pytest.raises(AnsibleFilterError):
        spf_merge("v=spf1 -all", ["bogus:x"])


def test_dmarc_filters_roundtrip():
    text = dmarc_build({"p": "quarantine", "t": True, "np": "reject", "psd": "n", "rua": ["a@x.test", "b@y.test"]})
    assert text == "v=DMARC1; p=quarantine; np=reject; psd=n; t=y; rua=mailto:a@x.test,mailto:b@y.test"
    assert dmarc_parse(text)["t"] == "y" and dmarc_parse(text, obsolete=True) == []
    with pytest.raises(AnsibleFilterError, match="pct removed by RFC 9989"):
        dmarc_build({"p": "quarantine", "pct": 25})
    legacy = dmarc_build({"p": "quarantine", "pct": 25, "ri": 3600}, legacy=True)
    assert legacy == "v=DMARC1; p=quarantine; pct=25; ri=3600"
    assert dmarc_parse(legacy, obsolete=True) == ["pct", "ri"]
    assert dmarc_parse(text)["rua"] == ["mailto:a@x.test", "mailto:b@y.test"]
    assert dmarc_parse('"v=DMARC1; " "p=none"') == {"v": "DMARC1", "p": "none"}
    with pytest.raises(AnsibleFilterError):
        dmarc_parse("v=spf1 -all")
    with pytest.raises(AnsibleFilterError):
        dmarc_build({"pct": 5}, legacy=True)
