"""validate.py and names.py: one check per kind of value, anchored, with the documented limits."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils import validate as v
from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain, normalize_email

HOSTILE_TEXT = ["a\n", "a\r\nb", "a\x00b", "a\u202eb", "a\u2028b", "a\u200bb", "\ufeffa", "a\x1b[31m"]


def refused(fn, *args, option="opt", **kwargs):
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    assert info.value.option == option, info.value.msg
    assert info.value.msg.startswith(option + ":")
    return info.value.msg


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_text_refuses_controls_and_invisible_characters(value):
    refused(v.text, value, "opt")


@pytest.mark.parametrize("kind,good,bad", [
    ("configuration_set", ["cs-1_x", "a" * 64], ["cs2\n", "a" * 65, "bad name", "grüße", "", "cs.1"]),
    ("sns_topic", ["fp1", "t.fifo", "a" * 256], ["fp1\n", "a" * 257, "a.b", "t\x00"]),
    ("sqs_queue", ["q", "q.fifo", "a" * 80], ["q\n", "a" * 81, "q q"]),
])
def test_aws_names_fullmatch_and_limits(kind, good, bad):
    for name in good:
        assert v.aws_name(name, "opt", kind) == name
    for name in bad:
        refused(v.aws_name, name, "opt", kind)


def test_selector_and_arns():
    assert v.selector("s1", "opt") == "s1"
    for bad in ["s1\n", "-s", "s_1", "a" * 64]:
        refused(v.selector, bad, "opt")
    assert v.sns_topic_arn("arn:aws:sns:us-east-1:123456789012:t", "opt")
    for bad in ["arn:aws:sns:us-east-1:123456789012:t\n", "topic", "arn:aws:sns:us-east-1:1234:t"]:
        refused(v.sns_topic_arn, bad, "opt")


def test_tags():
    assert v.tags({"team": "mail ops", "cost:centre": "a/b=c+d-e@f", "n": 5}, "tags") == \
        {"team": "mail ops", "cost:centre": "a/b=c+d-e@f", "n": "5"}
    for bad in [{"k": "v\x00"}, {"k": "a\r\nb"}, {"k": "\u202eexe"}, {"k": "v" * 257}, {"k" * 129: "v"},
                {"aws:x": "1"}, {"k": "semi;colon"}, {"k\n": "v"}, {"": "v"},
                dict(("k%d" % i, "v") for i in range(51))]:
        refused(v.tags, bad, "tags", option="tags")


@pytest.mark.parametrize("bad", [-1, 2147483648, "abc", True, 1.5, float("nan")])
def test_ttl(bad):
    refused(v.ttl, bad, "opt")


def test_numbers_refuse_nan_inf_negative():
    assert v.ttl(300, "opt") == 300 and v.count(3, "opt") == 3
    refused(v.count, -3, "opt")
    refused(v.count, 0, "opt")
    for bad in [float("nan"), float("inf"), -float("inf"), "nan", -7]:
        refused(v.days, bad, "opt")
    refused(v.number, 1e200, "opt", maximum=1000)
    assert v.days(0.5, "opt") == 0.5 and math.isfinite(v.duration(10, "opt"))


@pytest.mark.parametrize("bad", ["-1000000000d", "0001-01-01T00:00:00+01:00", "+99999999w", "9999-12-31T23:59:59-05:00",
                                 "2026-13-45", "last tuesday", "2026-01-01\n", "-7d\n"])
def test_dates_never_overflow(bad):
    refused(v.date, bad, "opt")


def test_dates():
    now = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    assert v.date("-7d", "opt", now=now) == now - dt.timedelta(days=7)
    assert v.date("2026-11-01T08:00:00+01:00", "opt") == dt.datetime(2026, 11, 1, 7, tzinfo=dt.timezone.utc)
    refused(v.timestamp, 253402300800.0 * 10, "opt")


def test_reason_refuses_zero_width_and_whitespace():
    assert v.reason("TICKET-1 customer asked", "reason_for_removal") == "TICKET-1 customer asked"
    for bad in ["", "   ", "\u200b", "\u200b\u200b", "\t\n", "ok\x00", "x" * 2000]:
        refused(v.reason, bad, "reason_for_removal", option="reason_for_removal")


def test_paths_and_urls():
    assert v.path("/tmp/a b.csv", "opt") == "/tmp/a b.csv"
    for bad in ["/tmp/a\nb", "/tmp/\x00", "x" * 5000]:
        refused(v.path, bad, "opt")
    assert v.url("https://sqs.us-east-1.amazonaws.com/123456789012/q", "queue_url")
    for bad in ["", " ", "q", "ftp://x/q", "https://x/q\n", "https:// x"]:
        refused(v.url, bad, "queue_url", option="queue_url")


def test_dimensions_and_alarm_prefix():
    assert v.dimension_name("campaign_id-2", "opt") and v.dimension_name("d" * 256, "opt")
    assert v.dimension_value("a.b@c_d-e", "opt")
    for bad in [":x", " ", "grüße", "d\n", "d" * 257, "ses:configuration-set"]:
        refused(v.dimension_name, bad, "opt")
    for bad in ["a b", "a\n", "v" * 257, "a;b"]:
        refused(v.dimension_value, bad, "opt")
    refused(v.alarm_name_prefix, "p" * 10000, "opt", longest_suffix=30)
    assert v.alarm_name_prefix("ses-", "opt", longest_suffix=30) == "ses-"


def test_dns_names():
    assert v.dns_name("_dmarc", "opt") == "_dmarc"
    assert v.dns_name("*.Mail.example.test.", "opt") == "*.mail.example.test."
    for bad in ["a..test", "a" * 64 + ".test", "a\u202eb.test", "x\r\nevil IN A 1.2.3.4", "a b", "a.*.b", "."]:
        refused(v.dns_name, bad, "opt")


def test_idna2008_not_idna2003():
    assert normalize_domain("straße.de", "d") == "xn--strae-oqa.de"
    assert normalize_email("user@straße.de", "e") == "user@xn--strae-oqa.de"
    assert normalize_domain("BÜCHER.example.", "d") == "xn--bcher-kva.example"
    for bad in ["a\u202eb.test", "exa mple.test", "example.test\n", "xn--zz.test", "a" * 64 + ".test"]:
        refused(normalize_domain, bad, "d", option="d")


def test_local_part_is_seven_bit_ascii():
    refused(normalize_email, "jörg@example.test", "e", option="e")
    refused(normalize_email, "a\nb@example.test", "e", option="e")
    assert normalize_email('"john doe"@Example.TEST', "e") == '"john doe"@example.test'
