"""Bad-input corpus for every module's options, table-driven, run IN-PROCESS (tests/fixtures/inprocess.py).

Each case is (module, label, category, args, expectation). ``("error", option)``: one fail_json whose message
names the option, no traceback (nothing escaped main()), and NOTHING sent anywhere: no request in the
sandbox's log (reads included) and no packet to the DNS server the case points at (a counting server that
never answers). ``("ok", check)``: the input is valid if unusual and must be handled correctly;
``check(result)`` says what correct is. One small playbook (``test_controller_path``) shows the same refusals
through ansible-playbook.

Besides the hand-written cases, ``hostile()`` applies one set of hostile values (trailing newline, NUL, CRLF,
U+202E, U+2028, zero-width space, 10,000 characters, shell metacharacters, ``../``) to the name-like options
of every module, and ``numeric()`` the numeric extremes (nan, inf, negative, 1e200) to its numbers.
The tally per module goes to the ``bad_inputs_modules`` section of the reliability figures.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import threading

import pytest

from tests.fixtures.dns_proxy import udp_tcp_pair

from .conftest import TRACEBACK, play, tolerant

LONG_LABEL = "a" * 64
LONG_DOMAIN = ".".join(["b" * 60] * 5) + ".test"  # 309 characters
INJECT_TXT = 'v=spf1 -all" "; rm -rf / ;\\" x'

# (label, category, transform of a valid value)
HOSTILE = [
    ("trailing newline", "newline", lambda v: v + "\n"),
    ("NUL", "control", lambda v: v[:1] + "\x00" + v[1:]),
    ("CRLF injection", "injection", lambda v: v + "\r\nX-Injected: 1"),
    ("U+202E", "bidi", lambda v: v[:1] + "\u202e" + v[1:]),
    ("U+2028", "control", lambda v: v[:1] + "\u2028" + v[1:]),
    ("zero-width space", "bidi", lambda v: v[:1] + "\u200b" + v[1:]),
    ("10,000 characters", "oversize", lambda v: "a" * 10000),
    ("shell metacharacters", "injection", lambda v: v[:1] + "$(id);`id`|x"),
    ("path traversal", "injection", lambda v: "../../" + v),
]
# for free text where ../ and $ are legitimate characters (paths, ARNs are checked by shape)
HOSTILE_TEXT = [h for h in HOSTILE if h[0] not in ("shell metacharacters", "path traversal", "10,000 characters")]
NUMERIC_FLOAT = [("nan", float("nan")), ("inf", float("inf")), ("-inf", float("-inf")), ("1e200", 1e200),
                 ("negative", -7.0)]
NUMERIC_INT = [("negative", -3), ("nan", float("nan")), ("1e200", 1e200)]


def err(option):
    return ("error", option)


def ok(check=None):
    return ("ok", check)


def core(words):
    """ansible-core's own argument-spec message (a string for a dict option), which does not name the
    option: a clear refusal, counted as handled, listed apart in the figures."""
    return ("core", words)


def _ident(name):
    return lambda r: (r.get("identity") or {}).get("identity") == name


def _set(args, path, value):
    """Copy of args with the value at path ("records.0.name", "tags.k") replaced."""
    out = copy.deepcopy(args)
    node, keys = out, path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def hostile(module, path, base, valid, option=None, values=HOSTILE, tag_key=False):
    """One error case per hostile value of the option at ``path`` (its name in the message: ``option``)."""
    option = option or path.split(".")[-1]
    out = []
    for label, category, fn in values:
        bad = fn(valid)
        if tag_key:
            args = _set(base, path, {bad: "v"})
        else:
            args = _set(base, path, bad)
        out.append((module, "%s: %s" % (path, label), category, args, err(option)))
    return out


def numeric(module, path, base, values, option=None):
    option = option or path.split(".")[-1]
    return [(module, "%s: %s" % (path, label), "number", _set(base, path, value), err(option))
            for label, value in values]


def cases(ctx):
    z, mx = ctx["zone"], ctx["mx"]
    rfc = {"provider": "rfc2136", "zone": z, "server": ctx["server"], "key_name": ctx["key_name"],
           "key_secret": ctx["key_secret"], "dns_timeout": 2}
    txt = lambda name, values: dict(rfc, records=[{"name": name, "type": "TXT", "values": values}])  # noqa: E731
    out = [
        # email_identity
        ("email_identity", "empty identity", "empty", {"identity": ""}, err("identity")),
        ("email_identity", "identity a number", "wrong type", {"identity": 12345}, err("identity")),
        ("email_identity", "identity 309 chars", "oversize", {"identity": LONG_DOMAIN}, err("identity")),
        ("email_identity", "identity 64-char label", "oversize", {"identity": LONG_LABEL + ".test"}, err("identity")),
        ("email_identity", "identity with a space", "injection", {"identity": "exa mple.test"}, err("identity")),
        ("email_identity", "identity with a semicolon", "injection", {"identity": "x;rm -rf.test"}, err("identity")),
        ("email_identity", "uppercase, trailing dot", "domain form", {"identity": "Upper.EXAMPLE.test."},
         ok(_ident("upper.example.test"))),
        ("email_identity", "IDN domain", "domain form", {"identity": "bücher.example.test"},
         ok(_ident("xn--bcher-kva.example.test"))),
        ("email_identity", "quoted local part", "unusual email", {"identity": '"john doe"@example.test'},
         ok(_ident('"john doe"@example.test'))),
        ("email_identity", "address without domain", "empty", {"identity": "user@"}, err("identity")),
        ("email_identity", "dkim a string", "wrong type", {"identity": "d.test", "dkim": "easy"},
         core("dictionary requested")),
        ("email_identity", "dkim mode unknown", "wrong type", {"identity": "d.test", "dkim": {"mode": "weird"}},
         err("mode")),
        ("email_identity", "private key garbage", "wrong type",
         {"identity": "d.test", "dkim": {"mode": "byodkim", "selector": "s1", "private_key": "not a key"}},
         err("dkim.private_key")),
        ("email_identity", "selector with a quote", "injection",
         {"identity": "d.test", "dkim": {"mode": "byodkim", "selector": 's1"; x', "private_key": "x"}},
         err("dkim.selector")),
        ("email_identity", "reserved tag key", "wrong type", {"identity": "d.test", "tags": {"aws:x": "1"}},
         err("tags")),
        ("email_identity", "tag value 300 chars", "oversize", {"identity": "d.test", "tags": {"k": "v" * 300}},
         err("tags")),
        ("email_identity", "configuration set with a space", "injection",
         {"identity": "d.test", "configuration_set": "bad name"}, err("configuration_set")),
        ("email_identity", "negative wait_timeout", "out of range", {"identity": "d.test", "wait_timeout": -1},
         err("wait_timeout")),
        ("email_identity", "dns_ttl not a number", "wrong type", {"identity": "d.test", "dns_ttl": "abc"},
         err("dns_ttl")),
        ("email_identity", "state unknown", "wrong type", {"identity": "d.test", "state": "gone"}, err("state")),
        # mail_from
        ("mail_from", "not a subdomain", "domain form", {"identity": "mf.test", "mail_from_domain": "other.test"},
         err("mail_from_domain")),
        ("mail_from", "empty mail_from_domain", "empty", {"identity": "mf.test", "mail_from_domain": ""},
         err("mail_from_domain")),
        ("mail_from", "missing mail_from_domain", "empty", {"identity": "mf.test"}, err("mail_from_domain")),
        ("mail_from", "uppercase trailing dot", "domain form",
         {"identity": "mf.test", "mail_from_domain": "Bounce.MF.test."},
         ok(lambda r: r["changed"] is True)),
        ("mail_from", "behaviour unknown", "wrong type",
         {"identity": "mf.test", "mail_from_domain": "b.mf.test", "behavior_on_mx_failure": "x"},
         err("behavior_on_mx_failure")),
        # identity_notifications
        ("identity_notifications", "topic not an ARN", "wrong type",
         {"identity": "mf.test", "bounce": {"topic": "my-topic"}}, err("bounce.topic")),
        ("identity_notifications", "topic with a quote", "injection",
         {"identity": "mf.test", "bounce": {"topic": 'arn:aws:sns:us-east-1:123456789012:t"x'}}, err("bounce.topic")),
        ("identity_notifications", "bounce a string", "wrong type", {"identity": "mf.test", "bounce": "arn"},
         core("dictionary requested")),
        ("identity_notifications", "identity empty", "empty", {"identity": ""}, err("identity")),
        # email_identity_info
        ("email_identity_info", "identity and identities", "wrong type",
         {"identity": "a.test", "identities": ["b.test"]}, err("identities")),
        ("email_identity_info", "an empty identity in the list", "empty", {"identities": ["a.test", ""]},
         err("identities")),
        ("email_identity_info", "uppercase unknown identity", "domain form", {"identity": "NOPE.test."},
         ok(lambda r: r["identities"][0]["exists"] is False)),
        # dns_records
        ("dns_records", "TXT with quotes and semicolons", "injection", txt("inj", [INJECT_TXT]),
         ok(lambda r: r["changed"] is True)),
        ("dns_records", "TXT of 600 bytes", "oversize", txt("long", ["x" * 600]), ok(lambda r: r["changed"] is True)),
        ("dns_records", "TXT unicode", "unicode", txt("uni", ["grüße ☃"]), ok(lambda r: r["changed"] is True)),
        ("dns_records", "TXT with a newline", "injection", txt("nl", ["a\nb"]), ok(lambda r: r["changed"] is True)),
        ("dns_records", "TXT empty list", "empty", txt("empty", []), err("values")),
        ("dns_records", "type unknown", "wrong type",
         dict(rfc, records=[{"name": "x", "type": "BOGUS", "values": ["1"]}]), err("type")),
        ("dns_records", "name with empty label", "domain form", txt("a..b", ["v"]), err("name")),
        ("dns_records", "name 64-char label", "oversize", txt(LONG_LABEL, ["v"]), err("name")),
        ("dns_records", "negative ttl", "out of range",
         dict(rfc, records=[{"name": "x", "type": "TXT", "values": ["v"], "ttl": -1}]), err("ttl")),
        ("dns_records", "provider unknown", "wrong type", dict(txt("x", ["v"]), provider="bind"), err("provider")),
        ("dns_records", "server port not a number", "wrong type", dict(txt("x", ["v"]), server="127.0.0.1:dns"),
         err("server")),
        ("dns_records", "records a string", "wrong type", dict(rfc, records="x TXT v"), core("dictionary requested")),
        # spf
        ("spf", "mechanism without value", "wrong type", dict(rfc, domain=z, mechanisms=["include"]),
         err("mechanisms")),
        ("spf", "ip4 out of range", "out of range", dict(rfc, domain=z, mechanisms=["ip4:999.1.1.1"]),
         err("mechanisms")),
        ("spf", "mechanism with a semicolon", "injection", dict(rfc, domain=z, mechanisms=["include:x.test;rm"]),
         err("mechanisms")),
        ("spf", "mechanism with a quote", "injection", dict(rfc, domain=z, mechanisms=['ip4:192.0.2.1" "-all']),
         err("mechanisms")),
        ("spf", "all qualifier unknown", "wrong type", dict(rfc, domain=z, all_qualifier="x"), err("all_qualifier")),
        ("spf", "domain 309 chars", "oversize", dict(rfc, domain=LONG_DOMAIN), err("domain")),
        ("spf", "domain uppercase trailing dot", "domain form",
         dict(rfc, domain=z.upper() + ".", mechanisms=["ip4:192.0.2.1"]), ok(lambda r: r["changed"] is True)),
        # domain_policy: per-domain overrides are typed like the module's options and name the field
        ("domain_policy", "override allow_downgrade not a boolean", "wrong type",
         dict(rfc, domains=[{"name": "dp1." + z, "dmarc": {"allow_downgrade": "maybe"}}]),
         err("domains[0].dmarc.allow_downgrade")),
        ("domain_policy", "override policy unknown", "wrong type",
         dict(rfc, domains=[{"name": "dp2." + z, "dmarc": {"policy": "strict"}}]),
         err("domains[0].dmarc.policy")),
        ("domain_policy", "override dmarc a string", "wrong type",
         dict(rfc, domains=[{"name": "dp3." + z, "dmarc": "reject"}]), err("domains[0].dmarc")),
        ("domain_policy", "override key unknown", "wrong type",
         dict(rfc, domains=[{"name": "dp4." + z, "bogus": 1}]), err("domains[0]")),
        ("domain_policy", "domain with a space", "injection", dict(rfc, domains=["exa mple." + z]),
         err("domains[0].name")),
        ("domain_policy", "mechanism with a semicolon", "injection",
         dict(rfc, domains=[{"name": "dp5." + z, "spf": {"mechanisms": ["include:x.test;rm"]}}]),
         err("domains[0].spf.mechanisms")),
        ("domain_policy", "configuration set name with a space", "injection",
         dict(rfc, domains=[{"name": "dp6." + z, "configuration_set": "bad name"}]),
         err("domains[0].configuration_set")),
        ("domain_policy", "stage pct a word", "wrong type",
         dict(rfc, domains=[{"name": "dp7." + z, "dmarc": {"advance": True, "stages": [{"policy": "none",
                                                                                          "pct": "lots"}]}}]),
         err("domains[0].dmarc.stages.pct")),
        # domain_policy regions (issue 26): the whole task fails before any request, naming the option
        ("domain_policy", "regions: unknown region", "domain form",
         dict(rfc, domains=["dp8." + z], regions=["us-east-1", "zz-nowhere-1"]), err("regions")),
        ("domain_policy", "regions: replica equal to the primary", "duplicate",
         dict(rfc, domains=["dp9." + z], regions=["us-east-1", "us-east-1"]), err("regions")),
        ("domain_policy", "override regions: duplicate", "duplicate",
         dict(rfc, domains=[{"name": "dp10." + z, "regions": ["us-east-1", "eu-west-1", "eu-west-1"]}]),
         err("domains[0].regions")),
        # dmarc
        ("dmarc", "pct 150", "out of range", dict(rfc, domain=z, policy="none", pct=150, legacy_tags=True), err("pct")),
        ("dmarc", "pct negative", "out of range", dict(rfc, domain=z, policy="none", pct=-1, legacy_tags=True),
         err("pct")),
        ("dmarc", "pct without legacy switch", "obsolete", dict(rfc, domain=z, policy="none", pct=50), err("pct")),
        ("dmarc", "t not a boolean", "wrong type", dict(rfc, domain=z, policy="none", test_mode="maybe"),
         err("test_mode")),
        ("dmarc", "np unknown", "wrong type", dict(rfc, domain=z, policy="none", nonexistent_policy="drop"),
         err("nonexistent_policy")),
        ("dmarc", "psd unknown", "wrong type", dict(rfc, domain=z, policy="none", psd="maybe"), err("psd")),
        ("dmarc", "stage with legacy pct", "obsolete",
         dict(rfc, domain=z, advance=True, stages=[{"policy": "none"}, {"policy": "reject", "pct": 10}]),
         err("stages")),
        ("dmarc", "rua not an address", "wrong type", dict(rfc, domain=z, policy="none", rua=["not an address"]),
         err("rua")),
        ("dmarc", "rua with a tag injected", "injection",
         dict(rfc, domain=z, policy="none", rua=["mailto:a@%s; p=none" % z]), err("rua")),
        ("dmarc", "fo unknown", "wrong type", dict(rfc, domain=z, policy="none", fo="9"), err("fo")),
        ("dmarc", "policy unknown", "wrong type", dict(rfc, domain=z, policy="strict"), err("policy")),
        ("dmarc", "stage policy unknown", "wrong type", dict(rfc, domain=z, advance=True, stages=[{"policy": "x"}]),
         err("policy")),
        ("dmarc", "domain IDN uppercase", "domain form",
         dict(rfc, domain=z.upper(), policy="none", external_destinations="ignore"),
         ok(lambda r: r["changed"] is True)),
        ("dmarc", "gate pass rate over 100", "out of range",
         dict(rfc, domain=z, advance=True, gate={"min_pass_rate": 120}), err("gate")),
        ("dmarc", "gate min_days above window", "out of range",
         dict(rfc, domain=z, advance=True, gate={"min_days": 40, "window_days": 30}), err("gate")),
        ("dmarc", "evidence dynamodb without table", "empty",
         dict(rfc, domain=z, advance=True, evidence_store="dynamodb"), err("evidence_table")),
        # dmarc_reports / dmarc_evidence
        ("dmarc_reports", "no source", "empty", {"s3_prefix": "rua/"}, err("paths")),
        ("dmarc_reports", "path that does not exist", "wrong type", {"paths": ["/nonexistent/reports"]}, err("paths")),
        ("dmarc_reports", "ratio zero", "out of range", {"paths": ["/tmp"], "max_ratio": 0}, err("max_ratio")),
        ("dmarc_reports", "empty bucket name", "empty", {"s3_bucket": " "}, err("s3_bucket")),
        ("dmarc_evidence", "domain with an empty label", "domain form", {"domains": ["a..b.test"]}, err("domains")),
        ("dmarc_evidence", "gate window zero", "out of range",
         {"domains": [z], "records": {z: "v=DMARC1; p=none"}, "gate": {"window_days": 0}}, err("gate")),
        ("dmarc_evidence", "dns_timeout nan", "out of range", {"domains": [z], "dns_timeout": float("nan")},
         err("dns_timeout")),
        ("dmarc_evidence", "gate window 10^6 days", "out of range",
         {"domains": [z], "records": {z: "v=DMARC1; p=none"}, "gate": {"window_days": 10 ** 6}}, err("gate")),
        ("dmarc_evidence", "gate window 10^12 days", "out of range",
         {"domains": [z], "records": {z: "v=DMARC1; p=none"}, "gate": {"window_days": 10 ** 12}}, err("gate")),
        ("dmarc_evidence", "evidence_path empty", "empty",
         {"domains": [z], "records": {z: "v=DMARC1; p=none"}, "evidence_path": ""}, err("evidence_path")),
        ("dmarc_evidence", "trusted_reporters not domains", "domain form",
         {"domains": [z], "records": {z: "v=DMARC1; p=none"}, "gate": {"trusted_reporters": ["not a domain"]}},
         err("gate")),
        ("dmarc_reports", "evidence_path empty", "empty", {"paths": [ctx["tmp"]], "evidence_path": ""},
         err("evidence_path")),
        ("dmarc_reports", "domains filter not a domain", "domain form", {"paths": [ctx["tmp"]], "domains": ["a b.test"]},
         err("domains")),
        ("dmarc_reports", "domains filter empty", "empty", {"paths": [ctx["tmp"]], "domains": []}, err("domains")),
        ("dmarc_reports", "read-only quarantine folder", "file",
         {"paths": [ctx["tmp"]], "evidence_path": ctx["tmp"] + "/ev.sqlite",
          "quarantine_dir": os.path.dirname(ctx["ro_store"])}, err("quarantine_dir")),
        ("dmarc_reports", "max_records 10^15", "out of range", {"paths": [ctx["tmp"]], "max_records": 10 ** 15},
         err("max_records")),
        # email_auth_check
        ("email_auth_check", "empty domain", "empty", {"domain": ""}, err("domain")),
        ("email_auth_check", "domain 309 chars", "oversize", {"domain": LONG_DOMAIN}, err("domain")),
        ("email_auth_check", "resolver port 99999", "out of range", {"domain": z, "resolvers": ["127.0.0.1:99999"]},
         err("resolvers")),
        ("email_auth_check", "required_policy unknown", "wrong type", {"domain": z, "required_policy": "x"},
         err("required_policy")),
        ("email_auth_check", "uppercase trailing dot", "domain form",
         {"domain": z.upper() + ".", "nameservers": [ctx["server"]], "fail_on": "never", "dns_timeout": 2},
         ok(lambda r: r["status"] in ("pass", "warn", "fail"))),
        # wait_for_dns
        ("wait_for_dns", "negative timeout", "out of range",
         {"records": [{"name": "x." + z, "type": "TXT", "values": ["v"]}], "nameservers": [ctx["server"]],
          "timeout": -1}, err("timeout")),
        ("wait_for_dns", "interval zero", "out of range",
         {"records": [{"name": "x." + z, "type": "TXT", "values": ["v"]}], "nameservers": [ctx["server"]],
          "interval": 0, "timeout": 3}, err("interval")),
        ("wait_for_dns", "type unknown", "wrong type",
         {"records": [{"name": "x." + z, "type": "NOPE", "values": ["v"]}], "nameservers": [ctx["server"]],
          "timeout": 3}, err("type")),
        ("wait_for_dns", "records empty", "empty", {"records": [], "authoritative_servers": [ctx["server"]], "timeout": 3},
         ok(lambda r: r["lagging"] == [] if "lagging" in r else True)),  # nothing to wait for
        # account_suppression
        ("account_suppression", "reason unknown", "wrong type", {"suppressed_reasons": ["BOUNCES"]},
         err("suppressed_reasons")),
        ("account_suppression", "audit log not writable", "wrong type",
         {"suppressed_reasons": ["COMPLAINT"], "audit_log": "/proc/self/nope/audit.jsonl"}, err("audit_log")),
        # suppressed_destination
        ("suppressed_destination", "not an address", "wrong type", {"email": "not an address", "reason": "BOUNCE"},
         err("email")),
        ("suppressed_destination", "double dot", "unusual email", {"email": "a..b@%s" % mx, "reason": "BOUNCE"},
         err("email")),
        ("suppressed_destination", "address 400 chars", "oversize", {"email": "a" * 390 + "@" + mx, "reason": "BOUNCE"},
         err("email")),
        ("suppressed_destination", "address with a newline", "injection",
         {"email": "a@%s\nBcc: b@%s" % (mx, mx), "reason": "BOUNCE"}, err("email")),
        ("suppressed_destination", "reason unknown", "wrong type", {"email": "a@" + mx, "reason": "SPAM"},
         err("reason")),
        ("suppressed_destination", "quoted local part", "unusual email",
         {"email": '"john doe"@' + mx, "reason": "BOUNCE", "audit_log": ctx["audit"]},
         ok(lambda r: r["changed"] is True)),
        ("suppressed_destination", "uppercase IDN domain", "domain form",
         {"email": "Kim@BÜCHER.test", "reason": "BOUNCE", "audit_log": ctx["audit"]},
         ok(lambda r: r["email"] == "Kim@xn--bcher-kva.test")),
        # SES takes only 7-bit ASCII local parts: refused naming the option (validate.py, since issue 17)
        ("suppressed_destination", "unicode local part", "unicode",
         {"email": "jörg@" + mx, "reason": "BOUNCE", "audit_log": ctx["audit"]}, err("email")),
        # suppressed_destination_info
        ("suppressed_destination_info", "date before SES existed", "date", {"start_date": "2018-01-01"},
         err("start_date")),
        ("suppressed_destination_info", "date month 13", "date", {"start_date": "2026-13-45"}, err("start_date")),
        ("suppressed_destination_info", "date in year 9999", "date", {"end_date": "9999-12-31"},
         ok(lambda r: "suppressed_destinations" in r)),
        ("suppressed_destination_info", "date words", "date", {"end_date": "last tuesday"}, err("end_date")),
        ("suppressed_destination_info", "dates reversed", "date", {"start_date": "-1d", "end_date": "-7d"},
         err("start_date")),
        ("suppressed_destination_info", "relative date", "date", {"start_date": "-7d"},
         ok(lambda r: "suppressed_destinations" in r)),
        ("suppressed_destination_info", "negative limit", "out of range", {"limit": -1}, err("limit")),
        ("suppressed_destination_info", "export format unknown", "wrong type",
         {"export": ctx["export"], "export_format": "xml"}, err("export_format")),
        # feedback_pipeline
        ("feedback_pipeline", "name with a space", "injection", {"name": "bad name"}, err("name")),
        ("feedback_pipeline", "name 100 chars", "oversize", {"name": "n" * 100}, err("name")),
        ("feedback_pipeline", "name unicode", "unicode", {"name": "grüße"}, err("name")),
        ("feedback_pipeline", "max_receive_count 0", "out of range", {"name": "p", "max_receive_count": 0},
         err("max_receive_count")),
        ("feedback_pipeline", "retention 10 s", "out of range", {"name": "p", "message_retention_seconds": 10},
         err("message_retention_seconds")),
        # reputation_info / reputation_alarms
        ("reputation_info", "no sources", "empty", {"sources": []}, err("sources")),
        ("reputation_info", "threshold 200%", "out of range", {"bounce_rate_warning": 200}, err("bounce_rate_warning")),
        ("reputation_info", "fail_on unknown", "wrong type", {"fail_on": "sometimes"}, err("fail_on")),
        ("reputation_info", "a region twice", "wrong type", {"regions": ["eu-west-1", "eu-west-1"]}, err("regions")),
        ("reputation_info", "not a region name", "wrong type", {"regions": ["europe"]}, err("regions")),
        ("reputation_alarms", "action not an ARN", "wrong type", {"alarm_actions": ["topic"]}, err("alarm_actions")),
        ("reputation_alarms", "period 45", "out of range", {"period": 45}, err("period")),
        ("reputation_alarms", "warning above critical", "out of range",
         {"bounce_rate_warning": 10, "bounce_rate_critical": 5}, err("bounce_rate_warning")),
        ("reputation_alarms", "datapoints above periods", "out of range", {"datapoints_to_alarm": 5},
         err("datapoints_to_alarm")),
        # posture_info
        ("posture_info", "workers 0", "out of range", {"workers": 0}, err("workers")),
        ("posture_info", "dns_timeout 0", "out of range", {"dns_timeout": 0}, err("dns_timeout")),
        ("posture_info", "dns_timeout nan", "out of range", {"dns_timeout": float("nan")}, err("dns_timeout")),
        ("posture_info", "fail_on unknown", "wrong type", {"fail_on": "sometimes"}, err("fail_on")),
        ("posture_info", "domain with a space", "wrong type", {"domains": ["bad domain.test"]}, err("domains[0]")),
        ("posture_info", "parked and sending", "wrong type", {"domains": ["a.test"], "parked_domains": ["a.test"]},
         err("parked_domains[0]")),
        ("posture_info", "negative key age", "out of range", {"max_key_age_days": -1}, err("max_key_age_days")),
        # bounce_processor
        ("bounce_processor", "no source", "empty", {}, err("queue_url")),
        ("bounce_processor", "both sources", "wrong type", {"queue_url": "http://q", "paths": ["/x"]},
         err("queue_url")),
        ("bounce_processor", "max_messages 0", "out of range", {"paths": [ctx["garbage"]], "max_messages": 0},
         err("max_messages")),
        ("bounce_processor", "wait 30 s", "out of range", {"paths": [ctx["garbage"]], "wait_time_seconds": 30},
         err("wait_time_seconds")),
        ("bounce_processor", "regions: unknown region", "domain form",
         {"paths": [ctx["garbage"]], "regions": ["us-east-1", "zz-nowhere-1"]}, err("regions")),
        ("bounce_processor", "regions: duplicate", "duplicate",
         {"paths": [ctx["garbage"]], "regions": ["eu-west-1", "eu-west-1"]}, err("regions")),
        ("bounce_processor", "jitter 1.5", "out of range", {"paths": [ctx["garbage"]], "retry_jitter": 1.5},
         err("retry_jitter")),
        ("bounce_processor", "tenants: unknown mode", "wrong type", {"paths": [ctx["garbage"]], "tenants": "off"},
         err("tenants")),
        ("bounce_processor", "dynamodb without table", "empty", {"paths": [ctx["garbage"]], "store": "dynamodb"},
         err("store_table")),
        ("bounce_processor", "garbage notification file", "wrong type",
         {"paths": [ctx["garbage"]], "store_path": ctx["store"], "quarantine_path": ctx["quarantine"]},
         ok(lambda r: r.get("changed") is not None)),
    ]

    # -- hostile values, applied the same way to every module's name-like options and numbers ------------
    cs = "bad-input-cs"
    out += hostile("email_identity", "identity", {"identity": "d.test"}, "d.test")
    out += hostile("email_identity", "identity", {"identity": "u@d.test"}, "u@d.test")[:7]
    out += hostile("email_identity", "configuration_set", {"identity": "d.test", "configuration_set": cs}, cs)
    out += hostile("email_identity", "tags.k", {"identity": "d.test", "tags": {"k": "v"}}, "v", option="tags",
                   values=HOSTILE[:7])
    out += hostile("email_identity", "tags", {"identity": "d.test", "tags": {}}, "key", option="tags",
                   values=HOSTILE[:7], tag_key=True)
    out += hostile("email_identity", "dkim.selector",
                   {"identity": "d.test", "dkim": {"mode": "byodkim", "selector": "s1", "private_key": "x"}}, "s1",
                   option="selector")
    out += numeric("email_identity", "dns_ttl", {"identity": "d.test"}, NUMERIC_INT)
    out += numeric("email_identity", "wait_timeout", {"identity": "d.test"}, NUMERIC_INT)
    out += hostile("email_identity", "resolvers.0", {"identity": "d.test", "resolvers": ["ns.test"]},
                   "ns.test", option="resolvers", values=HOSTILE_TEXT)
    out += [
        ("email_identity", "IDNA2008 domain (ß kept)", "domain form", {"identity": "straße.test"},
         ok(_ident("xn--strae-oqa.test"))),
        ("email_identity", "non-ASCII local part", "unicode", {"identity": "jörg@d.test"}, err("identity")),
        ("email_identity", "tags with unicode letters", "unicode",
         {"identity": "tagged.test", "tags": {"Team": "Grüße mail-ops", "cost:centre": "a/b=c+d@e"}},
         ok(lambda r: r["changed"] is True)),
        ("email_identity", "51 tags", "oversize",
         {"identity": "d.test", "tags": dict(("k%d" % i, "v") for i in range(51))}, err("tags")),
    ]
    out += hostile("mail_from", "mail_from_domain", {"identity": "mf.test", "mail_from_domain": "b.mf.test"},
                   "b.mf.test")
    out += hostile("mail_from", "identity", {"identity": "mf.test", "mail_from_domain": "b.mf.test"}, "mf.test")
    out += numeric("mail_from", "dns_ttl", {"identity": "mf.test", "mail_from_domain": "b.mf.test"}, NUMERIC_INT)
    arn = "arn:aws:sns:us-east-1:123456789012:fp1"
    out += hostile("identity_notifications", "bounce.topic", {"identity": "mf.test", "bounce": {"topic": arn}},
                   arn, option="bounce.topic", values=HOSTILE[:7])
    out += hostile("identity_notifications", "identity", {"identity": "mf.test"}, "mf.test")
    out += hostile("email_identity_info", "identity", {"identity": "a.test"}, "a.test")
    out += hostile("email_identity_info", "identities.0", {"identities": ["a.test"]}, "a.test", option="identities")
    rec = dict(rfc, records=[{"name": "x", "type": "TXT", "values": ["v"]}])
    out += hostile("dns_records", "records.0.name", rec, "x", option="name")
    out += numeric("dns_records", "records.0.ttl", rec, NUMERIC_INT, option="ttl")
    out += hostile("dns_records", "zone", rec, z)
    out += hostile("dns_records", "key_name", rec, ctx["key_name"], values=HOSTILE[:7])
    out += numeric("dns_records", "dns_timeout", rec, NUMERIC_FLOAT + [("zero", 0)])
    none_rec = {"provider": "none", "zone": z, "records": [{"name": "x", "type": "CNAME", "values": ["y.test"]}]}
    out += hostile("dns_records", "records.0.name", none_rec, "x", option="name", values=HOSTILE[:3])
    out += hostile("dns_records", "records.0.values.0", none_rec, "y.test", option="values", values=HOSTILE[:3])
    out += [
        ("dns_records", "provider none: ttl -1", "number",
         dict(none_rec, records=[dict(none_rec["records"][0], ttl=-1)]), err("ttl")),
        ("dns_records", "provider none: ttl 2^31", "number",
         dict(none_rec, records=[dict(none_rec["records"][0], ttl=2 ** 31)]), err("ttl")),
        ("dns_records", "underscore owner name", "domain form", txt("_mta-sts", ["v=STSv1; id=1"]),
         ok(lambda r: r["changed"] is True)),
    ]
    out += hostile("spf", "domain", dict(rfc, domain=z), z)
    out += hostile("spf", "mechanisms.0", dict(rfc, domain=z, mechanisms=["include:x.test"]), "include:x.test",
                   option="mechanisms", values=HOSTILE[:6])
    out += numeric("spf", "ttl", dict(rfc, domain=z), NUMERIC_INT)
    out += hostile("dmarc", "domain", dict(rfc, domain=z, policy="none"), z)
    out += hostile("dmarc", "rua.0", dict(rfc, domain=z, policy="none", rua=["mailto:a@%s" % z]), "mailto:a@" + z,
                   option="rua", values=HOSTILE[:6])
    out += numeric("dmarc", "ttl", dict(rfc, domain=z, policy="none"), NUMERIC_INT)
    out += numeric("dmarc", "pct", dict(rfc, domain=z, policy="none"), NUMERIC_INT)
    out += hostile("email_auth_check", "domain", {"domain": z, "nameservers": [ctx["server"]]}, z)
    out += hostile("email_auth_check", "resolvers.0", {"domain": z, "resolvers": [ctx["server"]]},
                   "ns.test", option="resolvers", values=HOSTILE_TEXT)
    out += hostile("email_auth_check", "dkim_selector", {"domain": z, "nameservers": [ctx["server"]],
                                                         "dkim_selector": "s1"}, "s1")
    out += hostile("email_auth_check", "mail_from", {"domain": z, "nameservers": [ctx["server"]],
                                                     "mail_from": "b." + z}, "b." + z)
    out += numeric("email_auth_check", "dns_timeout", {"domain": z, "nameservers": [ctx["server"]]},
                   NUMERIC_FLOAT + [("zero", 0)])
    out += [
        ("email_auth_check", "resolver name with a 64-octet label", "oversize",
         {"domain": z, "resolvers": [LONG_LABEL + ".test"]}, err("resolvers")),
        ("email_auth_check", "resolver name not ASCII", "unicode",
         {"domain": z, "resolvers": ["ns\u202e.test"]}, err("resolvers")),
    ]
    wbase = {"records": [{"name": "x." + z, "type": "TXT", "values": ["v"]}], "authoritative_servers": [ctx["server"]],
             "timeout": 3}
    out += hostile("wait_for_dns", "records.0.name", wbase, "x." + z, option="name")
    out += hostile("wait_for_dns", "zone", dict(wbase, zone=z), z)
    out += numeric("wait_for_dns", "interval", wbase, NUMERIC_FLOAT)
    out += numeric("wait_for_dns", "timeout", wbase, NUMERIC_INT)
    out += [
        ("wait_for_dns", "no zone, 64-octet label", "oversize",
         dict(wbase, records=[{"name": LONG_LABEL + ".test", "type": "TXT", "values": ["v"]}]), err("name")),
        ("wait_for_dns", "no zone, a..test", "domain form",
         dict(wbase, records=[{"name": "a..test", "type": "TXT", "values": ["v"]}]), err("name")),
        ("wait_for_dns", "no zone, U+202E", "bidi",
         dict(wbase, records=[{"name": "a\u202e.test", "type": "TXT", "values": ["v"]}]), err("name")),
        ("wait_for_dns", "resolver name 64-octet label", "oversize",
         dict(wbase, authoritative_servers=[LONG_LABEL + ".test"]), err("authoritative_servers")),
    ]
    out += hostile("account_suppression", "audit_log", {"suppressed_reasons": ["COMPLAINT"],
                                                         "audit_log": ctx["audit"]}, ctx["audit"],
                   values=HOSTILE_TEXT)
    out += [
        ("account_suppression", "audit log a symlink", "file",
         {"suppressed_reasons": ["COMPLAINT"], "audit_log": ctx["symlink"]}, err("audit_log")),
        ("account_suppression", "audit log /dev/full", "file",
         {"suppressed_reasons": ["COMPLAINT"], "audit_log": "/dev/full"}, err("audit_log")),
    ]
    delist = {"email": "a@" + mx, "state": "absent", "reason_for_removal": "TICKET-1", "audit_log": ctx["audit"],
              "resolvers": [ctx["server"]]}
    out += hostile("suppressed_destination", "email", {"email": "a@" + mx, "reason": "BOUNCE"}, "a@" + mx)
    out += hostile("suppressed_destination", "reason_for_removal", delist, "TICKET-1", values=HOSTILE_TEXT[:5])
    out += hostile("suppressed_destination", "resolvers.0", delist, "ns.test", option="resolvers",
                   values=HOSTILE_TEXT)
    out += numeric("suppressed_destination", "dns_timeout", delist, NUMERIC_FLOAT + [("zero", 0)])
    out += [
        ("suppressed_destination", "zero-width reason_for_removal", "bidi",
         dict(delist, reason_for_removal="\u200b\u200b"), err("reason_for_removal")),
        ("suppressed_destination", "whitespace reason_for_removal", "empty",
         dict(delist, reason_for_removal=" \t "), err("reason_for_removal")),
        ("suppressed_destination", "IDNA2008 domain (ß kept)", "domain form",
         {"email": "user@straße.test", "reason": "BOUNCE", "audit_log": ctx["audit"]},
         ok(lambda r: r["email"] == "user@xn--strae-oqa.test")),
        ("suppressed_destination", "resolver name 64-octet label", "oversize",
         dict(delist, resolvers=[LONG_LABEL + ".test"]), err("resolvers")),
        ("suppressed_destination", "resolver name not ASCII", "unicode",
         dict(delist, resolvers=["nüs.test" + "\u202e"]), err("resolvers")),
        ("suppressed_destination", "audit log a symlink", "file",
         {"email": "a@" + mx, "reason": "BOUNCE", "audit_log": ctx["symlink"]}, err("audit_log")),
        ("suppressed_destination", "audit log /dev/full", "file",
         {"email": "a@" + mx, "reason": "BOUNCE", "audit_log": "/dev/full"}, err("audit_log")),
    ]
    bulk = {"addresses": ["a@" + mx], "reason": "BOUNCE", "audit_log": ctx["audit"]}
    out += hostile("suppressed_destinations", "addresses.0", bulk, "a@" + mx, option="addresses")
    out += numeric("suppressed_destinations", "concurrency", bulk, NUMERIC_INT)
    out += [
        ("suppressed_destinations", "src not addresses (lines not echoed)", "file",
         dict(bulk, addresses=[], src=ctx["passwd"]), err("src")),
        ("suppressed_destinations", "src a directory", "file", dict(bulk, addresses=[], src=ctx["tmp"]), err("src")),
        ("suppressed_destinations", "audit log /dev/full", "file", dict(bulk, audit_log="/dev/full"),
         err("audit_log")),
        ("suppressed_destinations", "zero-width reason_for_removal", "bidi",
         {"addresses": ["a@" + mx], "state": "absent", "reason_for_removal": "\u200b", "audit_log": ctx["audit"]},
         err("reason_for_removal")),
    ]
    sync = {"regions": ["us-east-1", "eu-west-1"], "audit_log": ctx["audit"]}
    out += hostile("suppression_sync", "regions.1", sync, "eu-west-1", option="regions")
    out += numeric("suppression_sync", "concurrency", sync, NUMERIC_INT)
    out += [
        ("suppression_sync", "unknown region", "domain form", dict(sync, regions=["us-east-1", "eu-nowhere-1"]),
         err("regions")),
        ("suppression_sync", "duplicate region", "duplicate", dict(sync, regions=["us-east-1", "us-east-1"]),
         err("regions")),
        ("suppression_sync", "one region", "empty", dict(sync, regions=["us-east-1"]), err("regions")),
        ("suppression_sync", "audit log /dev/full", "file", dict(sync, audit_log="/dev/full"), err("audit_log")),
        ("suppressed_destination", "regions: unknown region", "domain form",
         dict(delist, regions=["us-east-1", "xx-nowhere-9"]), err("regions")),
        ("suppressed_destination", "regions: duplicate", "duplicate",
         dict(delist, regions=["eu-west-1", "eu-west-1"]), err("regions")),
    ]
    out += hostile("suppressed_destination_info", "email", {"email": "a@" + mx}, "a@" + mx)
    out += hostile("suppressed_destination_info", "start_date", {"start_date": "-7d"}, "-7d", values=HOSTILE[:7])
    out += hostile("suppressed_destination_info", "export", {"export": ctx["export"]}, ctx["export"],
                   values=HOSTILE_TEXT)
    out += numeric("suppressed_destination_info", "limit", {}, NUMERIC_INT)
    out += numeric("suppressed_destination_info", "top_domains", {}, NUMERIC_INT)
    out += [
        ("suppressed_destination_info", "start_date -1000000000d", "date", {"start_date": "-1000000000d"},
         err("start_date")),
        ("suppressed_destination_info", "start_date year 1 +01:00", "date",
         {"start_date": "0001-01-01T00:00:00+01:00"}, err("start_date")),
        ("suppressed_destination_info", "end_date +99999999w", "date", {"end_date": "+99999999w"}, err("end_date")),
        ("suppressed_destination_info", "end_date 9999-12-31T23:00-05:00", "date",
         {"end_date": "9999-12-31T23:00:00-05:00"}, err("end_date")),
        ("suppressed_destination_info", "export a symlink", "file", {"export": ctx["symlink"]}, err("export")),
    ]
    out += hostile("feedback_pipeline", "name", {"name": "p"}, "fp1")
    out += hostile("feedback_pipeline", "topic_name", {"name": "p", "topic_name": "t"}, "fp1")
    out += hostile("feedback_pipeline", "queue_name", {"name": "p", "queue_name": "q"}, "fp1")
    out += numeric("feedback_pipeline", "visibility_timeout", {"name": "p"}, NUMERIC_INT)
    out += numeric("feedback_pipeline", "max_receive_count", {"name": "p"}, NUMERIC_INT)
    # CloudWatch alarm names may hold any printable character: shell metacharacters are valid there
    out += hostile("reputation_alarms", "name_prefix", {}, "ses-rep", values=HOSTILE[:7])
    out += hostile("reputation_alarms", "alarm_actions.0", {"alarm_actions": [arn]}, arn, option="alarm_actions",
                   values=HOSTILE[:7])
    for opt in ("bounce_rate_warning", "complaint_rate_critical"):
        out += numeric("reputation_alarms", opt, {}, NUMERIC_FLOAT)
    for opt in ("period", "evaluation_periods", "datapoints_to_alarm"):
        out += numeric("reputation_alarms", opt, {}, NUMERIC_INT)
    for opt in ("statistics_hours", "cloudwatch_lookback_hours", "bounce_rate_warning"):
        out += numeric("reputation_info", opt, {}, NUMERIC_FLOAT)
    out += numeric("reputation_info", "cloudwatch_period", {}, NUMERIC_INT)
    out += hostile("configuration_set", "name", {"name": cs}, cs)
    out += hostile("configuration_set", "tags.k", {"name": cs, "tags": {"k": "v"}}, "v", option="tags",
                   values=HOSTILE[:7])
    out += hostile("configuration_set", "tags", {"name": cs, "tags": {}}, "key", option="tags", values=HOSTILE[:7],
                   tag_key=True)
    out += [
        ("configuration_set", "reserved tag key", "wrong type", {"name": cs, "tags": {"aws:x": "1"}}, err("tags")),
        ("configuration_set", "tag value 257 chars", "oversize", {"name": cs, "tags": {"k": "v" * 257}}, err("tags")),
        ("configuration_set", "tag key 129 chars", "oversize", {"name": cs, "tags": {"k" * 129: "v"}}, err("tags")),
        ("configuration_set", "name of 64 characters", "oversize", {"name": "c" * 64},
         ok(lambda r: r["changed"] is True)),
    ]
    dest = {"configuration_set": cs, "name": "d1", "matching_event_types": ["BOUNCE"], "sns_topic_arn": arn}
    cw = {"configuration_set": cs, "name": "d1", "matching_event_types": ["BOUNCE"],
          "cloudwatch_dimensions": [{"name": "campaign", "default_value": "none"}]}
    out += hostile("configuration_set_event_destination", "configuration_set", dest, cs)
    out += hostile("configuration_set_event_destination", "name", dest, "d1")
    out += hostile("configuration_set_event_destination", "sns_topic_arn", dest, arn, values=HOSTILE[:7])
    out += hostile("configuration_set_event_destination", "cloudwatch_dimensions.0.name", cw, "campaign",
                   option="cloudwatch_dimensions", values=HOSTILE[:7])
    out += hostile("configuration_set_event_destination", "cloudwatch_dimensions.0.default_value", cw, "none",
                   option="cloudwatch_dimensions", values=HOSTILE[:6])
    out += [
        ("configuration_set_event_destination", "dimension name starting with ':'", "wrong type",
         _set(cw, "cloudwatch_dimensions.0.name", ":x"), err("cloudwatch_dimensions")),
        ("configuration_set_event_destination", "dimension name 257 chars", "oversize",
         _set(cw, "cloudwatch_dimensions.0.name", "d" * 257), err("cloudwatch_dimensions")),
    ]
    pol = {"provider": "none", "zone": "fleet-bad.test", "domains": ["a.fleet-bad.test"]}
    out += numeric("domain_policy", "dns_ttl", pol, NUMERIC_INT)
    out += numeric("domain_policy", "workers", pol, NUMERIC_INT)
    out += hostile("domain_policy", "domains.0", pol, "a.fleet-bad.test", option="domains")
    out += hostile("domain_policy", "configuration_set", dict(pol, configuration_set=cs), cs)
    out += hostile("domain_policy", "mail_from_subdomain", dict(pol, mail_from_subdomain="bounce"), "bounce")
    out += hostile("domain_policy", "domains.0.name", dict(pol, domains=[{"name": "a.fleet-bad.test"}]),
                   "a.fleet-bad.test", option="domains")
    bp = {"paths": [ctx["garbage"]], "store_path": ctx["store"], "quarantine_path": ctx["quarantine"]}
    out += numeric("bounce_processor", "soft_bounce_window_days", bp, NUMERIC_FLOAT)
    out += numeric("bounce_processor", "retry_factor", bp, NUMERIC_FLOAT)
    out += numeric("bounce_processor", "retry_jitter", bp, NUMERIC_FLOAT)
    for opt in ("visibility_timeout", "retry_base_seconds", "retry_cap_seconds", "max_seconds"):
        out += numeric("bounce_processor", opt, bp, NUMERIC_INT)
    out += hostile("bounce_processor", "queue_url", {"queue_url": "https://sqs.us-east-1.amazonaws.com/1/q"},
                   "https://sqs.us-east-1.amazonaws.com/1/q", values=HOSTILE_TEXT)
    out += hostile("bounce_processor", "store_path", bp, ctx["store"], values=HOSTILE_TEXT)
    out += hostile("bounce_processor", "store_table", dict(bp, store="dynamodb", store_table="t"), "bounces",
                   values=HOSTILE)
    out += [
        ("bounce_processor", "soft bounce dated year 9999", "date",
         dict(bp, paths=[ctx["year9999"]]), ok(lambda r: len(r["retry_schedule"]) == 1)),
        ("bounce_processor", "queue_url empty", "empty", {"queue_url": ""}, err("queue_url")),
        ("bounce_processor", "queue_url not a URL", "wrong type", {"queue_url": "my-queue"}, err("queue_url")),
        ("bounce_processor", "read-only store in paths mode", "file", dict(bp, store_path=ctx["ro_store"]),
         err("store_path")),
        ("bounce_processor", "store path a symlink", "file", dict(bp, store_path=ctx["symlink"]), err("store_path")),
        ("bounce_processor", "summary path a symlink", "file", dict(bp, summary_path=ctx["symlink"]),
         err("summary_path")),
        ("bounce_processor", "quarantine path a symlink", "file", dict(bp, quarantine_path=ctx["symlink"]),
         err("quarantine_path")),
    ]
    out += tenant_cases()
    out += endpoint_cases()
    return out


def endpoint_cases():
    base = {"name": "global-1", "secondary_region": "eu-west-1"}
    out = hostile("multi_region_endpoint", "name", base, "global-1")
    out += hostile("multi_region_endpoint", "secondary_region", base, "eu-west-1")
    out += [
        ("multi_region_endpoint", "secondary equal to the primary", "wrong type",
         dict(base, secondary_region="us-east-1"), err("secondary_region")),
        ("multi_region_endpoint", "unknown region name", "wrong type", dict(base, secondary_region="zz-north-1"),
         err("secondary_region")),
        ("multi_region_endpoint", "present without a secondary", "empty", {"name": "global-1"},
         err("secondary_region")),
    ]
    out += hostile("multi_region_endpoint_info", "name", {"name": "global-1"}, "global-1")
    return out


def tenant_cases():
    other_region = "arn:aws:ses:eu-west-1:123456789012:identity/t.test"
    out = hostile("tenant", "name", {"name": "client-a"}, "client-a")
    out += hostile("tenant", "tags.k", {"name": "client-a", "tags": {"k": "v"}}, "v", option="tags", values=HOSTILE[:7])
    out += hostile("tenant_info", "name", {"name": "client-a"}, "client-a")
    out += hostile("tenant_resources", "tenant", {"tenant": "client-a"}, "client-a")
    out += hostile("tenant_resources", "templates.0", {"tenant": "client-a", "templates": ["t"]}, "welcome",
                   option="templates")
    out += [
        ("tenant", "unknown policy name", "wrong type", {"name": "client-a", "reputation_policy": "lenient"},
         err("reputation_policy")),
        ("tenant", "65-character name", "oversize", {"name": "c" * 65}, err("name")),
        ("tenant", "pause without a reason", "empty", {"name": "client-a", "sending_status": "disabled"},
         err("reason")),
        ("tenant", "pause with a blank reason", "empty",
         {"name": "client-a", "sending_status": "disabled", "reason": " \u200b "}, err("reason")),
        ("tenant_resources", "identity not a domain", "wrong type", {"tenant": "client-a", "identities": ["a..b"]},
         err("identities")),
        ("tenant_resources", "ARN of another region", "wrong type",
         {"tenant": "client-a", "resource_arns": [other_region]}, err("resource_arns")),
        ("tenant_resources", "ARN of another service", "wrong type",
         {"tenant": "client-a", "resource_arns": ["arn:aws:sns:us-east-1:123456789012:topic"]}, err("resource_arns")),
        ("tenant_resources", "bad configuration set name", "wrong type",
         {"tenant": "client-a", "configuration_sets": ["bad name"]}, err("configuration_sets")),
    ]
    return out


class CountingDns:
    """A DNS 'server' that never answers and counts every UDP datagram and TCP connection it gets."""

    def __init__(self):
        self.udp, self.tcp, self.port = udp_tcp_pair(backlog=16)
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self.count = 0
        self.held = []
        self.running = True
        self.threads = [threading.Thread(target=self._udp, daemon=True), threading.Thread(target=self._tcp, daemon=True)]
        for t in self.threads:
            t.start()

    def _udp(self):
        while self.running:
            try:
                self.udp.recv(4096)
                self.count += 1
            except OSError:
                continue

    def _tcp(self):
        while self.running:
            try:
                conn, _ = self.tcp.accept()
                self.held.append(conn)  # held open, never answered
                self.count += 1
            except OSError:
                continue

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def close(self):
        self.running = False
        for t in self.threads:
            t.join(1)
        for conn in self.held:
            conn.close()
        self.udp.close()
        self.tcp.close()


@pytest.fixture(scope="module")
def counting_dns():
    server = CountingDns()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ctx(bind, tmp_path_factory, counting_dns):
    tmp = tmp_path_factory.mktemp("corpus")
    for zone in ("corpus.test", "corpus-mx.test"):
        if zone not in bind.zones:
            bind.add_zone(zone)
    garbage = tmp / "garbage.json"
    garbage.write_text('{"notificationType": "Bounce", "bounce": 5}\nnot json\n[1,2]\n')
    year9999 = tmp / "year9999.json"
    year9999.write_text(json.dumps({
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Transient", "bounceSubType": "General", "feedbackId": "f-9999",
                   "bouncedRecipients": [{"emailAddress": "soft@corpus-mx.test"}],
                   "timestamp": "9999-12-31T23:59:59.000Z"},
        "mail": {"timestamp": "9999-12-31T23:59:00.000Z", "messageId": "m-9999",
                 "destination": ["soft@corpus-mx.test"]}}))
    victim = tmp / "victim.txt"
    victim.write_text("not yours\n")
    (tmp / "link").symlink_to(victim)
    passwd = tmp / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    ro_dir = tmp / "ro"
    ro_dir.mkdir()
    ro_store = ro_dir / "store.sqlite"
    mounted = _read_only_mount(ro_dir)
    if not mounted:
        # not root: permissions make it read-only (root would ignore them, hence the read-only mount)
        ro_store.write_bytes(b"")
        ro_store.chmod(0o444)
        ro_dir.chmod(0o555)
    yield {"zone": "corpus.test", "mx": "corpus-mx.test", "server": bind.server, "key_name": bind.key_name,
            "key_secret": bind.key_secret, "audit": str(tmp / "audit.jsonl"), "export": str(tmp / "export.csv"),
            "garbage": str(garbage), "store": str(tmp / "store.sqlite"), "quarantine": str(tmp / "quarantine.jsonl"),
            "symlink": str(tmp / "link"), "victim": str(victim), "passwd": str(passwd), "tmp": str(tmp),
            "ro_store": str(ro_store), "dns": counting_dns.server, "year9999": str(year9999)}
    if mounted:
        subprocess.run(["umount", "-l", str(ro_dir)], check=False)


def _read_only_mount(directory):
    """A read-only tmpfs at ``directory`` holding an empty store.sqlite (root only); True when mounted."""
    if os.geteuid() != 0:
        return False
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(directory)],
                      capture_output=True).returncode:
        return False
    (directory / "store.sqlite").write_bytes(b"")
    if subprocess.run(["mount", "-o", "remount,ro", str(directory)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(directory)], check=False)
        return False
    return True


def _to_counter(value, ctx):
    """The case's args with the real BIND replaced by the counting server (for cases that must be refused)."""
    if isinstance(value, dict):
        return {k: _to_counter(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_counter(v, ctx) for v in value]
    return ctx["dns"] if value == ctx["server"] else value


MODULES = ["email_identity", "mail_from", "identity_notifications", "email_identity_info", "dns_records", "spf",
           "dmarc", "email_auth_check", "wait_for_dns", "account_suppression", "suppressed_destination",
           "suppressed_destinations", "suppression_sync", "suppressed_destination_info", "feedback_pipeline",
           "reputation_info", "reputation_alarms", "configuration_set", "configuration_set_event_destination",
           "domain_policy", "bounce_processor", "dmarc_reports", "dmarc_evidence", "posture_info", "tenant",
           "tenant_resources", "tenant_info", "multi_region_endpoint", "multi_region_endpoint_info"]


@pytest.mark.bind
@pytest.mark.parametrize("module", MODULES)
def test_bad_inputs(module, ctx, sandbox, module_main, counting_dns, figures):
    # the identity the mail_from / notification cases point at
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="mf.test")
    rows = [row for row in cases(ctx) if row[0] == module]
    assert rows, module
    tally = {"tried": 0, "handled": 0, "errors": 0, "accepted": 0, "by_category": {}, "unhandled": [],
             "tracebacks": 0, "calls_after_refusal": 0}
    for _, label, category, args, (kind, check) in rows:
        if kind != "ok":
            args = _to_counter(args, ctx)
        mark, packets = sandbox.mark(), counting_dns.count
        res = module_main(module, args)
        result = res.result
        msg = str(result.get("msg", ""))
        escaped = bool(result.get("traceback_escaped")) or TRACEBACK in str(result) or "MODULE FAILURE" in msg
        tally["tracebacks"] += int(escaped)
        calls = [r["operation"] for r in sandbox.requests(since=mark)] if kind != "ok" else []
        dns_packets = counting_dns.count - packets
        if kind == "core":
            good = result.get("failed") and check in msg and not escaped
            tally["core_message_without_option"] = tally.get("core_message_without_option", 0) + 1
        elif kind == "error":
            good = bool(result.get("failed")) and check in msg and not escaped and not calls and not dns_packets
        else:
            good = not result.get("failed") and not escaped and (check is None or bool(check(result)))
        if kind != "ok" and (calls or dns_packets):
            tally["calls_after_refusal"] += 1
        tally["tried"] += 1
        tally["handled"] += int(bool(good))
        tally["accepted" if kind == "ok" else "errors"] += 1
        cat = tally["by_category"].setdefault(category, [0, 0])
        cat[0] += 1
        cat[1] += int(bool(good))
        if not good:
            tally["unhandled"].append({"case": label, "failed": bool(result.get("failed")), "msg": msg[:300],
                                       "api_calls": calls[:5], "dns_packets": dns_packets,
                                       "exception": str(result.get("exception", ""))[-400:]})
    figures.setdefault("bad_inputs_modules", {})[module] = tally
    assert not tally["unhandled"], "\n".join(repr(u) for u in tally["unhandled"])


def test_src_lines_are_not_echoed(ctx, module_main):
    """A src that is not addresses (here a passwd file) is refused by line number, never by its content."""
    res = module_main("suppressed_destinations", {"src": ctx["passwd"], "reason": "BOUNCE", "audit_log": ctx["audit"]})
    assert res.result["failed"] and "src" in res.result["msg"]
    assert "root" not in res.result["msg"] and "/bin/bash" not in res.result["msg"]


@pytest.mark.bind
def test_controller_path(ctx, sandbox):
    """The same refusals through ansible-playbook: one play, a few cases, failed with the option named."""
    from tests.fixtures.ansible_runner import run_playbook

    picked = [("configuration_set", {"name": "cs2\n"}, "name"),
              ("suppressed_destination", {"email": "jörg@corpus-mx.test", "reason": "BOUNCE"}, "email"),
              ("domain_policy", {"provider": "none", "zone": "fleet-bad.test", "domains": ["a.fleet-bad.test"],
                                 "dns_ttl": -1}, "dns_ttl")]
    tasks = [tolerant("%s | %s" % (m, o), m, a) for m, a, o in picked]
    mark = sandbox.mark()
    res = run_playbook(play(*tasks), env=dict(sandbox.env(), ANSIBLE_PIPELINING="1"), timeout=600)
    assert TRACEBACK not in res.output
    for module, _, option in picked:
        entry = [r for r in res.results if r["task"] == "%s | %s" % (module, option)]
        assert len(entry) == 1 and entry[0]["status"] == "failed", entry
        assert option in entry[0]["result"]["msg"], entry[0]["result"]["msg"]
    assert sandbox.requests(since=mark) == []
