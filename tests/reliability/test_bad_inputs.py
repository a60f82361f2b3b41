"""Bad-input corpus for every module's options, table-driven, ONE ansible-playbook run for all of it.

Each case is (module, label, category, args, expectation). ``("error", option)``: the task fails with one
message that names the option and no traceback, and nothing is written. ``("ok", check)``: the input is
valid if unusual and must be handled correctly; ``check(result)`` says what correct is.
The tally per module goes to the ``bad_inputs_modules`` section of the reliability figures.
"""

from __future__ import annotations

import pytest

from .conftest import FAST, TRACEBACK, play, tolerant

LONG_LABEL = "a" * 64
LONG_DOMAIN = ".".join(["b" * 60] * 5) + ".test"  # 309 characters
INJECT_TXT = 'v=spf1 -all" "; rm -rf / ;\\" x'


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
        ("wait_for_dns", "records empty", "empty", {"records": [], "nameservers": [ctx["server"]], "timeout": 3},
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
        ("reputation_alarms", "action not an ARN", "wrong type", {"alarm_actions": ["topic"]}, err("alarm_actions")),
        ("reputation_alarms", "period 45", "out of range", {"period": 45}, err("period")),
        ("reputation_alarms", "warning above critical", "out of range",
         {"bounce_rate_warning": 10, "bounce_rate_critical": 5}, err("bounce_rate_warning")),
        ("reputation_alarms", "datapoints above periods", "out of range", {"datapoints_to_alarm": 5},
         err("datapoints_to_alarm")),
        # posture_info
        ("posture_info", "workers 0", "out of range", {"workers": 0}, err("workers")),
        ("posture_info", "dns_timeout 0", "out of range", {"dns_timeout": 0}, err("dns_timeout")),
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
        ("bounce_processor", "jitter 1.5", "out of range", {"paths": [ctx["garbage"]], "retry_jitter": 1.5},
         err("retry_jitter")),
        ("bounce_processor", "dynamodb without table", "empty", {"paths": [ctx["garbage"]], "store": "dynamodb"},
         err("store_table")),
        ("bounce_processor", "garbage notification file", "wrong type",
         {"paths": [ctx["garbage"]], "store_path": ctx["store"], "quarantine_path": ctx["quarantine"]},
         ok(lambda r: r.get("changed") is not None)),
    ]
    return out


@pytest.fixture(scope="module")
def corpus_run(sandbox_server, bind, tmp_path_factory):
    """Run the whole corpus once (one ansible-playbook), shared by the per-module tests."""
    from tests.sandbox.control import Sandbox  # noqa: F401 - the session's sandbox_server is one
    from tests.fixtures.ansible_runner import run_playbook

    sandbox_server.reset()
    tmp = tmp_path_factory.mktemp("corpus")
    zone = "corpus.test"
    if zone not in bind.zones:
        bind.add_zone(zone)
    mx = "corpus-mx.test"
    if mx not in bind.zones:
        bind.add_zone(mx)
    garbage = tmp / "garbage.json"
    garbage.write_text('{"notificationType": "Bounce", "bounce": 5}\nnot json\n[1,2]\n')
    ctx = {"zone": zone, "mx": mx, "server": bind.server, "key_name": bind.key_name, "key_secret": bind.key_secret,
           "audit": str(tmp / "audit.jsonl"), "export": str(tmp / "export.csv"), "garbage": str(garbage),
           "store": str(tmp / "store.sqlite"), "quarantine": str(tmp / "quarantine.jsonl")}
    # the identity the mail_from / notification cases point at
    sandbox_server.boto3_client("sesv2").create_email_identity(EmailIdentity="mf.test")
    table = cases(ctx)
    tasks = [tolerant("%s | %s" % (module, label), module, args) for module, label, _, args, _ in table]
    mark = sandbox_server.mark()
    res = run_playbook(play(*tasks), env=dict(sandbox_server.env(), **FAST), timeout=1800)
    writes = [r["operation"] for r in sandbox_server.mutating_calls(since=mark)]
    return table, res, writes


MODULES = ["email_identity", "mail_from", "identity_notifications", "email_identity_info", "dns_records", "spf",
           "dmarc", "domain_policy", "email_auth_check", "wait_for_dns", "account_suppression", "suppressed_destination",
           "suppressed_destination_info", "feedback_pipeline", "reputation_info", "reputation_alarms", "posture_info",
           "bounce_processor"]


@pytest.mark.bind
@pytest.mark.parametrize("module", MODULES)
def test_bad_inputs(module, corpus_run, figures):
    table, res, _ = corpus_run
    assert TRACEBACK not in res.output
    rows = [row for row in table if row[0] == module]
    assert rows, module
    tally = {"tried": 0, "handled": 0, "errors": 0, "accepted": 0, "by_category": {}, "unhandled": []}
    for _, label, category, _, (kind, check) in rows:
        name = "%s | %s" % (module, label)
        entries = [r for r in res.results if r["task"] == name]
        assert len(entries) == 1, name
        status, result = entries[0]["status"], entries[0]["result"]
        msg = result.get("msg", "")
        if kind == "core":
            good = status == "failed" and check in msg and TRACEBACK not in str(result)
            tally["core_message_without_option"] = tally.get("core_message_without_option", 0) + 1
        elif kind == "error":
            good = status == "failed" and check in msg and TRACEBACK not in str(result) and \
                "MODULE FAILURE" not in msg
        else:
            good = status == "ok" and (check is None or bool(check(result)))
        tally["tried"] += 1
        tally["handled"] += int(good)
        tally["accepted" if kind == "ok" else "errors"] += 1
        cat = tally["by_category"].setdefault(category, [0, 0])
        cat[0] += 1
        cat[1] += int(good)
        if not good:
            tally["unhandled"].append({"case": label, "status": status, "msg": msg[:300]})
    figures.setdefault("bad_inputs_modules", {})[module] = tally
    assert not tally["unhandled"], tally["unhandled"]
