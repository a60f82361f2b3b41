"""The one TXT encoder and record model: RFC 1035 presentation, 255-octet strings, round trips."""

from __future__ import annotations

import dns.rdata
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.deliverability.ses.plugins.module_utils.dns import rdata
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import (
    Record, normalize_value, record_dict, same_values, txt_bytes, txt_from_strings, txt_quote, txt_split,
    txt_strings, txt_text, txt_unquote)


def test_splitting_long_ascii_values_by_length_only():
    long = "v=DKIM1; k=rsa; p=" + "A" * 400
    quoted = txt_quote(long)
    assert quoted.count('" "') == 1
    assert txt_unquote(quoted) == long
    assert [len(c) for c in txt_split(long)] == [255, len(long) - 255]
    rua = "v=DMARC1; p=none; rua=mailto:a@x.test,mailto:b@y.test"
    assert txt_quote(rua) == '"%s"' % rua  # never split at commas
    assert txt_split("") == [b""] and txt_quote("") == '""'


def test_presentation_escapes_quotes_backslashes_and_non_ascii_octets():
    assert txt_quote('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert txt_quote("café") == '"caf\\195\\169"'
    assert txt_quote("café", octal=True) == '"caf\\303\\251"'
    assert txt_quote("tab\there") == '"tab\\009here"'


def test_unquote_decodes_what_quote_wrote_and_other_servers_write():
    assert txt_unquote('"caf\\195\\169"') == "café"  # the example: bytes, not one char per \DDD
    assert txt_unquote('"caf\\303\\251"', octal=True) == "café"
    assert txt_unquote('"a\\"b" "c"') == 'a"bc'
    assert txt_unquote('"v=spf1 " "-all"') == "v=spf1 -all"
    assert txt_unquote('"café"') == "café"  # raw UTF-8 inside quotes (Route 53 / dnspython accept it)
    assert txt_unquote("plain text") == "plain text"  # not presentation: the logical value as it is
    assert txt_unquote('"unterminated') == '"unterminated'
    assert txt_strings('"bad \\12x"') is None
    assert txt_strings('"\\256"') is None


def test_split_never_cuts_a_utf8_character():
    value = "a" * 254 + "é" + "b"
    parts = txt_split(value)
    assert parts[0] == b"a" * 254 and b"".join(parts).decode() == value
    value = "a" * 253 + "😀" * 3  # 4-octet characters across the boundary
    parts = txt_split(value)
    assert [len(p) for p in parts] == [253, 12]
    assert all(p.decode() for p in parts)


def test_dnspython_reads_our_presentation_as_the_same_strings():
    value = 'v=DKIM1; p=' + "é\"\\" * 120
    parsed = dns.rdata.from_text("IN", "TXT", txt_quote(value))
    assert list(parsed.strings) == txt_split(value)
    assert txt_from_strings(parsed.strings) == value
    assert txt_unquote(parsed.to_text()) == value  # and we read dnspython's presentation


def test_one_canonical_comparison():
    assert same_values("TXT", ['"v=spf1 " "-all"'], ["v=spf1 -all"])
    assert not same_values("TXT", ["v=spf1 -all"], ["v=spf1 ~all"])
    assert same_values("MX", ["010 Feedback.Example.com."], ["10 feedback.example.com"])
    assert Record("X.example.com.", "txt", ["a", "a"], 300) == Record("x.example.com", "TXT", ["a"], 300)


def test_record_dict_is_the_dns_records_shape():
    rec = record_dict("Sel._domainkey.Example.com.", "txt", ['"v=DKIM1; " "p=MIIB"'], 1800)
    assert rec == {"name": "sel._domainkey.example.com", "type": "TXT", "values": ["v=DKIM1; p=MIIB"], "ttl": 1800}
    assert record_dict("b.example.com", "MX", ["10 x.test"], 60, exclusive=True)["exclusive"] is True


# arbitrary Unicode (surrogates excluded: they are not characters) and arbitrary octets
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=700)


@settings(max_examples=300)
@given(TEXT)
def test_roundtrip_any_unicode(value):
    quoted = txt_quote(value)
    assert txt_unquote(quoted) == value
    assert txt_unquote(txt_quote(value, octal=True), octal=True) == value
    parts = txt_split(value)
    assert all(len(p) <= 255 for p in parts)
    assert all(p.decode("utf-8") is not None for p in parts)  # each part is whole characters
    assert b"".join(parts) == value.encode("utf-8")
    assert quoted.isascii()  # byte-exact: every non-ASCII octet is a \DDD escape
    assert normalize_value("TXT", quoted) == normalize_value("TXT", value) or value.lstrip().startswith('"')


@settings(max_examples=300)
@given(st.binary(max_size=700))
def test_roundtrip_any_octets(data):
    strings = txt_split(data)
    assert all(len(s) <= 255 for s in strings) and b"".join(strings) == data
    assert b"".join(txt_strings(txt_quote(data))) == data
    assert txt_bytes(txt_text(data)) == data  # values read from a server are written back byte for byte
    parsed = dns.rdata.from_text("IN", "TXT", txt_quote(data))
    assert list(parsed.strings) == strings


def test_encoder_is_the_only_one():
    from ansible_collections.deliverability.ses.plugins.module_utils.dns import base
    from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity
    for mod in (base, identity):
        for dup in ("txt_quote", "txt_split", "txt_unquote", "split_txt", "rdata"):
            assert not callable(getattr(mod, dup, None)) or getattr(mod, dup) is getattr(rdata, dup, None), \
                "%s.%s duplicates dns.rdata" % (mod.__name__, dup)


@pytest.mark.parametrize("value", ["", " ", '"', '""', '"a" b', "\\", '"\\"'])
def test_odd_inputs_never_raise(value):
    assert isinstance(txt_unquote(value), str)
