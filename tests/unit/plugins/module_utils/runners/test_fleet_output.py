"""domain_policy at fleet scale (issue 24): domains from a file, the compact result, the full result file."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.runners import fleet_output

HEALTHY = {"exists": True, "verified_for_sending": True, "dkim_status": "SUCCESS", "mail_from_status": "SUCCESS"}


def _result(n, changed=(), failed=(), warned=(), pending=()):
    domains = []
    for i in range(n):
        r = {"domain": "d%d.example.com" % i, "changed": i in changed, "failed": i in failed,
             "identity": dict(HEALTHY, dkim_status="PENDING") if i in pending else dict(HEALTHY)}
        if i in warned:
            r["warnings"] = ["a DMARC downgrade was refused"]
        domains.append(r)
    return {"domains": domains, "summary": {"total": n}, "failed_domains": [], "api_calls": {}, "stats": {}}


def test_a_file_of_names_skips_blank_lines_and_comments(tmp_path):
    path = tmp_path / "fleet.txt"
    path.write_text("# the shop\nshop.example.com\n\n  news.example.com  \n#old.example.com\n")
    assert fleet_output.domains_from_file(str(path)) == ["shop.example.com", "news.example.com"]


def test_a_json_list_keeps_per_domain_overrides(tmp_path):
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(["a.example.com", {"name": "b.example.com", "dmarc": {"policy": "none"}}]))
    assert fleet_output.domains_from_file(str(path))[1] == {"name": "b.example.com", "dmarc": {"policy": "none"}}


@pytest.mark.parametrize("content, words", [
    ("[not json", "not a valid JSON list"),
    (b"\xff\xfe bad", "not UTF-8"),
])
def test_an_unreadable_file_fails_naming_the_option(tmp_path, content, words):
    path = tmp_path / "fleet"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DeliverabilityError) as err:
        fleet_output.domains_from_file(str(path))
    assert "domains_file" in err.value.msg and words in err.value.msg


def test_a_missing_file_a_directory_and_a_symlink_are_refused(tmp_path):
    (tmp_path / "real.txt").write_text("a.example.com\n")
    os.symlink(tmp_path / "real.txt", tmp_path / "link.txt")
    for path, words in ((tmp_path / "absent.txt", "cannot read"), (tmp_path, "not a regular file"),
                        (tmp_path / "link.txt", "symbolic link")):
        with pytest.raises(DeliverabilityError) as err:
            fleet_output.domains_from_file(str(path))
        assert err.value.msg.startswith("domains_file: ") and words in err.value.msg, err.value.msg


def test_a_file_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet_output, "MAX_FILE_BYTES", 10)
    path = tmp_path / "fleet.txt"
    path.write_text("a.example.com\nb.example.com\n")
    with pytest.raises(DeliverabilityError) as err:
        fleet_output.domains_from_file(str(path))
    assert "larger than 10 bytes" in err.value.msg


def test_prepare_appends_the_file_to_the_list(tmp_path):
    path = tmp_path / "fleet.txt"
    path.write_text("b.example.com\n")
    params = {"domains": ["a.example.com"], "domains_file": str(path), "results_path": None}
    fleet_output.prepare(params)
    assert params["domains"] == ["a.example.com", "b.example.com"]


def test_auto_returns_every_domain_of_a_small_fleet():
    out = fleet_output.finish({"return_domains": "auto"}, _result(100))
    assert out["return_domains"] == "all" and len(out["domains"]) == 100 and "unchanged_domains" not in out


def test_auto_keeps_only_what_needs_attention_above_100_domains():
    out = fleet_output.finish({"return_domains": "auto"},
                              _result(101, changed=(3,), failed=(5,), warned=(7,), pending=(9,)))
    assert out["return_domains"] == "attention"
    assert [d["domain"] for d in out["domains"]] == ["d3.example.com", "d5.example.com", "d7.example.com",
                                                     "d9.example.com"]
    assert len(out["unchanged_domains"]) == 97 and "d0.example.com" in out["unchanged_domains"]
    assert "d9.example.com" not in out["unchanged_domains"]  # DKIM still pending: reported in full


def test_all_and_attention_are_obeyed_whatever_the_size():
    assert len(fleet_output.finish({"return_domains": "all"}, _result(150))["domains"]) == 150
    small = fleet_output.finish({"return_domains": "attention"}, _result(3, changed=(1,)))
    assert [d["domain"] for d in small["domains"]] == ["d1.example.com"]
    assert small["unchanged_domains"] == ["d0.example.com", "d2.example.com"]


def test_the_results_file_holds_every_domain_and_is_private(tmp_path):
    path = tmp_path / "out" / "fleet.json"
    params = {"return_domains": "attention", "results_path": str(path)}
    fleet_output.prepare(dict(params, domains=["x"]))
    out = fleet_output.finish(params, _result(5, changed=(2,)))
    full = json.loads(path.read_text())
    assert len(full["domains"]) == 5 and full["domains"][2]["changed"] is True
    assert len(out["domains"]) == 1 and out["results_path"] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_results_path_that_cannot_be_written_fails_before_anything(tmp_path):
    (tmp_path / "adir").mkdir()
    with pytest.raises(DeliverabilityError) as err:
        fleet_output.prepare({"domains": ["a.example.com"], "results_path": str(tmp_path / "adir")})
    assert "results_path" in err.value.msg
