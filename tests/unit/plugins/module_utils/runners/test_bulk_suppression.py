"""Bulk input: validation as a whole, de-duplication the way SES compares, reasons per line."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.runners import bulk_suppression as bulk
from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError


def test_collect_dedupes_by_ses_comparison_and_keeps_last_reason(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a@Example.com,COMPLAINT\nb@example.com\n")
    items = bulk.collect(["a@example.com", "B@example.com", "b@EXAMPLE.com"], str(src), "present", "BOUNCE")
    assert items == [{"email": "B@example.com", "reason": "BOUNCE"}, {"email": "a@example.com", "reason": "COMPLAINT"},
                     {"email": "b@example.com", "reason": "BOUNCE"}]


def test_invalid_addresses_reported_together_before_anything():
    with pytest.raises(InputError) as err:
        bulk.collect(["ok@example.com"] + ["bad%d" % i for i in range(12)], None, "present", None)
    assert err.value.option == "addresses"
    assert err.value.msg.startswith("addresses: 12 invalid address(es), nothing was changed")
    assert "(and 2 more)" in err.value.msg


def test_missing_reason_names_reason():
    with pytest.raises(InputError) as err:
        bulk.collect(["a@example.com"], None, "present", None)
    assert err.value.option == "reason"
    assert bulk.collect(["a@example.com"], None, "absent", None) == [{"email": "a@example.com", "reason": None}]


def test_unknown_reason_in_file(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"email_address": "a@example.com", "reason": "SPAM"}\n')
    with pytest.raises(InputError) as err:
        bulk.collect([], str(src), "present", "BOUNCE")
    # the file's content is never echoed (it may be anything), only where the problem is
    assert err.value.option == "src" and "line 1" in err.value.msg and "SPAM" not in err.value.msg


def test_src_that_is_not_addresses_is_refused_by_line_number(tmp_path):
    src = tmp_path / "passwd"
    src.write_text("root:x:0:0:root:/root:/bin/bash\n# comment\n\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n")
    with pytest.raises(InputError) as err:
        bulk.collect([], str(src), "present", "BOUNCE")
    assert err.value.option == "src" and "line 1" in err.value.msg and "line 4" in err.value.msg
    assert "root" not in err.value.msg and "nologin" not in err.value.msg
    src.write_bytes(b"a@example.com\n\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8 text \\(line 2\\)"):
        bulk.collect([], str(src), "present", "BOUNCE")


def test_concurrency_bounds():
    assert bulk.check_concurrency(16) == 16
    for bad in (0, 17, None):
        with pytest.raises(InputError):
            bulk.check_concurrency(bad)
