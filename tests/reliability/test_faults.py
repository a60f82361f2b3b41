"""Fault suite: every module against the sandbox's fault injection and against DNS servers that time out
or refuse. A run converges (botocore's retries within max_attempts, the modules' own back-off) or fails with
one message naming the operation - never a traceback (an exception escaping main()), and a failure says what
it had already applied.

Retries, back-off and error reporting are the modules' own logic (botocore inside the module): each scenario
runs its table of modules in-process, one real main() after another (module_main), with the sandbox's request
sequence read between modules so faults are attributed to the module that met them. What the controller adds
(no_log masking at -vvv) is tested in test_secrets.py. Figures go to the ``faults`` section of the reliability
figures.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from .conftest import TRACEBACK, record

# botocore standard mode: max_attempts counts retries; 30% throttling leaves 0.3**7 ~ 2e-4 per call to fail.
RETRY = {"max_attempts": 6, "retry_mode": "standard"}


def aws_table(sfx, ctx):
    """(module, args) for every module that calls AWS, in an order where each finds what it needs."""
    domain = "f%s.example.com" % sfx
    r53 = dict(provider="route53", zone=ctx["r53_zone"])
    lookups = {"nameservers": [ctx["bind"].server]}
    return [
        ("feedback_pipeline", {"name": "faults-%s" % sfx}),
        ("email_identity", {"identity": domain, "tags": {"team": "mail"}, "feedback_forwarding": False}),
        ("mail_from", {"identity": domain, "mail_from_domain": "bounce." + domain}),
        ("identity_notifications", {"identity": domain, "bounce": {"topic": ctx["topic"], "include_headers": True},
                                    "complaint": {"topic": ctx["topic"]}}),
        ("email_identity_info", {"identities": [domain, "missing.example.com"]}),
        ("posture_info", dict(lookups, domains=[domain], evidence_store="none")),
        ("dns_records", dict(r53, records=[{"name": "f%s" % sfx, "type": "TXT", "values": ["fault suite"]}])),
        ("spf", dict(r53, **lookups, domain=ctx["r53_zone"], mechanisms=["ip4:192.0.2.%d" % (len(sfx) + 1)])),
        ("dmarc", dict(r53, **lookups, domain=ctx["r53_zone"], policy="quarantine", external_destinations="ignore")),
        ("domain_policy", dict(r53, **lookups, domains=["dp%s.%s" % (sfx, ctx["r53_zone"])], mail_from_subdomain="bounce")),
        ("account_suppression", {"suppressed_reasons": ["BOUNCE"], "audit_log": ctx["audit"]}),
        ("suppressed_destination", {"email": "u%s@bad.example.com" % sfx, "reason": "BOUNCE",
                                    "audit_log": ctx["audit"]}),
        ("suppression_sync", {"regions": ["us-east-1", "eu-west-1"], "audit_log": ctx["audit"]}),
        ("suppressed_destination_info", {}),
        ("reputation_info", {}),
        ("reputation_alarms", {"alarm_actions": [ctx["topic"]]}),
        ("tenant", {"name": "faults-%s" % sfx, "reputation_policy": "strict", "tags": {"team": "mail"}}),
        ("tenant_resources", {"tenant": "faults-%s" % sfx, "identities": [domain]}),
        ("tenant_info", {}),
    ]


def clean(run):
    """The run ended in exit_json / fail_json: no exception escaped main(), no traceback printed."""
    assert not run.result.get("traceback_escaped"), run
    assert TRACEBACK not in run.output and TRACEBACK not in json.dumps(run.result), run


def run_table(sandbox, module_main, table, extra=None):
    """Run the table in-process, module after module; per module: its status, result and requests."""
    out = {}
    started = time.monotonic()
    for module, args in table:
        mark = sandbox.mark()
        run = module_main(module, dict(args, **(extra or {})))
        clean(run)
        out[module] = {"status": "failed" if run.rc else "ok", "result": run.result,
                       "requests": sandbox.requests(since=mark)}
    print("table run: %.1fs" % (time.monotonic() - started))
    return out


def faults_of(reqs):
    counts = {}
    for r in reqs:
        if r["fault"]:
            counts[r["fault"]] = counts.get(r["fault"], 0) + 1
        if r.get("latency"):
            counts["latency"] = counts.get("latency", 0) + 1
    return counts


def injected(sandbox):
    return dict(sandbox.get("faults")["injected"])


def delta(before, after):
    out = {}
    for key, n in after.items():
        d = n - before.get(key, 0)
        if d:
            kind = key.split(":", 1)[0]
            out[kind] = out.get(kind, 0) + d
    return out


@pytest.fixture
def ctx(sandbox, bind, tmp_path):
    """What the table needs, made before any fault is armed: a Route 53 zone and an SNS topic."""
    r53 = sandbox.boto3_client("route53")
    r53.create_hosted_zone(Name="faults.example.com", CallerReference="faults")
    topic = sandbox.boto3_client("sns").create_topic(Name="fault-feedback")["TopicArn"]
    return {"r53_zone": "faults.example.com", "topic": topic, "bind": bind, "audit": str(tmp_path / "audit.jsonl")}


@pytest.mark.bind
def test_throttling_errors_and_latency_converge(sandbox, ctx, module_main, figures):
    """Run 1 creates everything under 30% throttling plus 10% HTTP 500s; run 2, under throttling, 500s and
    added latency, must find nothing left to do (so run 1 applied everything it reported)."""
    table = aws_table("1", ctx)
    before = injected(sandbox)
    sandbox.post("faults", {"rules": [{"kind": "throttle", "rate": 0.3}, {"kind": "error", "rate": 0.1}],
                            "seed": 9})
    first = run_table(sandbox, module_main, table, RETRY)
    mid = injected(sandbox)
    sandbox.post("faults", {"rules": [{"kind": "throttle", "rate": 0.3}, {"kind": "error", "rate": 0.2},
                                      {"kind": "latency", "rate": 0.5, "latency_ms": 150}], "seed": 10})
    second = run_table(sandbox, module_main, table, RETRY)
    after = injected(sandbox)
    sandbox.delete("faults")
    per_module = {}
    for module, _ in table:
        one, two = first[module], second[module]
        assert one["status"] == "ok", (module, one["result"])
        assert two["status"] == "ok", (module, two["result"])
        read_only = module.endswith("_info")
        assert one["result"]["changed"] is (not read_only), (module, one["result"])
        assert two["result"]["changed"] is False, (module, two["result"])
        per_module[module] = {"write_run": faults_of(one["requests"]), "rerun": faults_of(two["requests"]),
                              "calls": len(one["requests"]) + len(two["requests"])}
    # the state is what was asked for
    ses = sandbox.boto3_client("sesv2")
    ident = ses.get_email_identity(EmailIdentity="f1.example.com")
    assert ident["MailFromAttributes"]["MailFromDomain"] == "bounce.f1.example.com"
    assert {t["Key"]: t["Value"] for t in ident["Tags"]} == {"team": "mail"}
    assert ses.get_suppressed_destination(EmailAddress="u1@bad.example.com")
    total_1, total_2 = delta(before, mid), delta(mid, after)
    assert sum(total_1.values()) >= 10 and total_2.get("latency", 0) >= 10, (total_1, total_2)
    assert sum(sum(m["write_run"].values()) for m in per_module.values()) > 0
    record(figures, "faults", "aws_converge", {
        "modules": len(table), "runs": 2, "rules": ["throttle 30% + error 10% (writes)",
                                                   "throttle 30% + error 20% + latency 150 ms on 50% (rerun)"],
        "injected": {k: total_1.get(k, 0) + total_2.get(k, 0) for k in set(total_1) | set(total_2)},
        "survived": sum(total_1.values()) + sum(total_2.values()), "per_module": per_module})


def _persistent_table(ctx):
    """(module, args, failing operation, seed, what the failure must say was applied, rerun check)."""
    domain = "p.example.com"
    return [
        ("email_identity", {"identity": domain, "tags": {"team": "mail"}, "feedback_forwarding": False},
         "PutEmailIdentityFeedbackAttributes", 0,
         lambda r: r["changed"] is True and r["actions"] == ["CreateEmailIdentity"],
         lambda r: r["actions"] == ["PutEmailIdentityFeedbackAttributes"]),
        ("identity_notifications", {"identity": domain, "bounce": {"topic": ctx["topic"], "include_headers": True}},
         "SetIdentityHeadersInNotificationsEnabled", 0,
         lambda r: r["changed"] is True and r["actions"] == ["SetIdentityNotificationTopic"],
         lambda r: r["actions"] == ["SetIdentityHeadersInNotificationsEnabled"]),
        ("mail_from", {"identity": domain, "mail_from_domain": "bounce." + domain},
         "PutEmailIdentityMailFromAttributes", 0,
         lambda r: not r.get("changed") and not r.get("actions"), lambda r: r["changed"] is True),
        ("feedback_pipeline", {"name": "persist"}, "Subscribe", 0,
         lambda r: r.get("changed") is True and "CreateTopic" in r["actions"] and "Subscribe" not in r["actions"],
         lambda r: "Subscribe" in r["actions"] and "CreateTopic" not in r["actions"]),
        # seed 22: the first PutMetricAlarm passes, the second fails on both attempts
        ("reputation_alarms", {"alarm_actions": [ctx["topic"]], "levels": ["warning"]}, "PutMetricAlarm", 22,
         lambda r: r.get("changed") is True and len(r.get("changed_alarms", [])) == 1,
         lambda r: len(r["changed_alarms"]) == 1),
        ("dns_records", {"provider": "route53", "zone": ctx["r53_zone"],
                         "records": [{"name": "p", "type": "TXT", "values": ["persistent"]}]}, "GetChange", 0,
         lambda r: r.get("changed") is True and r.get("changes"),
         lambda r: r["changed"] is False),
        ("account_suppression", {"suppressed_reasons": ["COMPLAINT"], "audit_log": ctx["audit"]},
         "PutAccountSuppressionAttributes", 0, lambda r: not r.get("changed"), lambda r: r["changed"] is True),
        ("suppressed_destination", {"email": "p@bad.example.com", "reason": "BOUNCE", "audit_log": ctx["audit"]},
         "PutSuppressedDestination", 0, lambda r: not r.get("changed"), lambda r: r["changed"] is True),
        ("suppression_sync", {"regions": ["us-east-1", "eu-west-1"], "audit_log": ctx["audit"]},
         "PutSuppressedDestination", 0, lambda r: not r.get("changed") and r["writes"] == 0,
         lambda r: r["changed"] is True and r["writes"] == 1),
        ("tenant", {"name": "persist", "reputation_policy": "strict"}, "UpdateReputationEntityPolicy", 0,
         lambda r: r.get("changed") is True and r.get("changes") == ["created"],
         lambda r: r["changes"] == ["reputation_policy"]),
    ]


@pytest.mark.bind
def test_persistent_errors_fail_clearly_and_report_what_was_applied(sandbox, ctx, module_main, figures):
    """A write that keeps failing (HTTP 500 on every attempt, max_attempts=1) ends the run with one message
    naming the operation; the result says what had been applied; a rerun without the fault completes it."""
    table = _persistent_table(ctx)
    once = {"max_attempts": 1}
    before = injected(sandbox)
    rows = {}
    for module, args, operation, seed, applied, rerun in table:
        rate = 0.5 if seed else 1.0
        sandbox.post("faults", {"rules": [{"operation": operation, "kind": "error", "rate": rate}], "seed": seed})
        failed = module_main(module, dict(args, **once))
        sandbox.delete("faults")
        again = module_main(module, args)
        clean(failed)
        clean(again)
        assert failed.rc != 0 and failed.result.get("failed") is True, (module, failed)
        assert again.rc == 0, (module, again)
        assert operation in failed.result["msg"] and failed.result.get("operation") == operation, (module, failed)
        assert applied(failed.result), (module, "the failure misreports what was applied", failed)
        assert rerun(again.result), (module, again.result)
        rows[module] = {"operation": operation, "message": failed.result["msg"][:140],
                        "reported_applied": failed.result.get("actions") or failed.result.get("changed_alarms")
                        or bool(failed.result.get("changes")) or []}
    after = injected(sandbox)
    audit = [json.loads(line) for line in open(ctx["audit"], encoding="utf-8")]
    assert [a["action"] for a in audit] == ["account_suppression", "suppress", "sync_suppress"], audit  # reruns only
    total = delta(before, after)
    record(figures, "faults", "aws_persistent", {"modules": len(table), "injected": total,
                                                 "failed_clearly": len(table), "rerun_completed": len(table),
                                                 "rows": rows})


# -- DNS that times out (a blackhole) or refuses (a stopped BIND) ----------------------------------------

def _dns_table(server, bind, mail_zones):
    """(name, module, args) for every module that talks DNS, pointed at a server that does not answer."""
    zone = mail_zones["mx"]
    rfc = {"provider": "rfc2136", "zone": zone, "server": server, "key_name": bind.key_name,
           "key_secret": bind.key_secret, "dns_timeout": 1}
    return [
        ("dns_records", dict(rfc, records=[{"name": "x", "type": "TXT", "values": ["v=spf1 -all"]}])),
        ("spf", dict(rfc, domain=zone)),
        ("dmarc", dict(rfc, domain=zone, policy="none", external_destinations="ignore")),
        ("email_auth_check", {"domain": zone, "nameservers": [server], "dns_timeout": 1}),
        ("wait_for_dns", {"records": [{"name": "x." + zone, "type": "TXT", "values": ["v=spf1 -all"]}],
                          "nameservers": [server], "timeout": 3, "interval": 1}),
        ("suppressed_destination", {"email": "dns@" + zone, "state": "absent", "reason_for_removal": "T",
                                    "resolvers": [server], "dns_timeout": 1}),
        ("email_identity", {"identity": "dnsfault." + zone, "wait": True, "wait_timeout": 2,
                            "nameservers": [server]}),
        ("domain_policy", dict(rfc, domains=["dpfault." + zone])),
    ]


DNS_WORDS = ("timed out", "timeout", "refused", "could not", "no answer", "unreachable", "not visible")


@pytest.mark.bind
def test_dns_server_that_times_out_or_is_stopped(sandbox, bind, mail_zones, blackhole, stopped_bind,
                                                 module_main, figures):
    sandbox.post("suppressions", {"entries": [{"email": "dns@" + mail_zones["mx"], "reason": "BOUNCE"}]})
    tables = {"timeout": _dns_table(blackhole.server, bind, mail_zones),
              "stopped": _dns_table(stopped_bind.server, bind, mail_zones)[:4]}
    started = time.monotonic()
    runs = {"%s %s" % (kind, name): module_main(name, args) for kind, table in tables.items() for name, args in table}
    elapsed = time.monotonic() - started
    outcomes = {}
    for kind, table in tables.items():
        for name, _ in table:
            key = "%s %s" % (kind, name)
            run = runs[key]
            clean(run)
            result = run.result
            msg = result.get("msg", "")
            if name == "email_auth_check" and run.rc == 0:
                msg = json.dumps(result.get("checks"))
            assert run.rc != 0 or name == "email_auth_check", (key, result)
            assert any(w in msg.lower() for w in DNS_WORDS), (key, msg)
            if name == "email_identity":  # created, then the wait timed out: the failure says so
                assert result["changed"] is True and result["actions"] == ["CreateEmailIdentity"], result
            else:
                assert not result.get("changed"), (key, result)
            outcomes[key] = msg[:160]
    # nothing was delisted, nothing written
    assert sandbox.boto3_client("sesv2").get_suppressed_destination(EmailAddress="dns@" + mail_zones["mx"])
    assert bind.query("x." + mail_zones["mx"], "TXT") == []
    record(figures, "faults", "dns", {"servers": {"timeout": "blackhole (accepts, never answers)",
                                                  "stopped": "stopped BIND (port closed)"},
                                      "runs": len(runs), "failed_clearly": len(runs),
                                      "udp_queries_swallowed": blackhole.received,
                                      "seconds": round(elapsed, 1), "messages": outcomes})


# -- the bounce processor under throttling, a crash after handling, and SQS redelivery --------------------

@pytest.mark.bind
def test_bounce_processor_redelivery_loses_nothing_and_suppresses_once(sandbox, module_main, tmp_path,
                                                                       figures):
    from tests.fixtures.feedback import Feedback
    fb = Feedback(sandbox)
    fb.ses.put_account_suppression_attributes(SuppressedReasons=[])  # the processor must suppress itself
    fb.identity_topics(kinds=("Bounce", "Complaint"))
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                                          {"match": "*@angry.test", "behaviour": "complaint"},
                                          {"match": "*@full.test", "behaviour": "soft_bounce"}]})
    hard = ["h%02d@bad.test" % i for i in range(12)]
    complaints = ["c%d@angry.test" % i for i in range(2)]
    soft = ["s%d@full.test" % i for i in range(2)]
    for chunk in (hard[:6], hard[6:], complaints + soft):
        fb.send(*chunk)
    original = fb.depth()
    bodies = fb.peek_all(fb.queue_url)
    for body in bodies[:4]:  # SNS delivers at least once: four notifications arrive twice
        fb.raw(body)
    queued = fb.depth()
    assert queued == original + 4
    args = {"queue_url": fb.queue_url, "store_path": str(tmp_path / "history.sqlite"), "wait_time_seconds": 0,
            "max_seconds": 60, "dead_letter_queue_url": fb.dlq_url, "visibility_timeout": 1}
    before = injected(sandbox)
    # run 1: 30% throttling everywhere, and DeleteMessageBatch refused on every attempt -> it handles one
    # batch, cannot delete it, and fails; SQS redelivers those messages after the visibility timeout
    sandbox.post("faults", {"rules": [{"kind": "throttle", "rate": 0.3},
                                      {"operation": "DeleteMessageBatch", "kind": "error", "count": 3}], "seed": 3})
    crashed = module_main("bounce_processor", dict(args, max_attempts=2))
    assert crashed.rc != 0 and "DeleteMessageBatch" in crashed.result["msg"], crashed
    clean(crashed)
    handled_1 = crashed.result["messages"]["handled"]
    assert handled_1 > 0 and crashed.result["messages"]["deleted"] == 0
    # run 2: throttling, HTTP 500s and latency; max_attempts 6
    sandbox.post("faults", {"rules": [{"kind": "throttle", "rate": 0.3}, {"kind": "error", "rate": 0.1},
                                      {"kind": "latency", "rate": 0.3, "latency_ms": 100}], "seed": 4})
    time.sleep(1.2)
    rerun = module_main("bounce_processor", dict(args, max_attempts=6))
    clean(rerun)
    sandbox.delete("faults")
    after = injected(sandbox)
    assert rerun.rc == 0, rerun
    r = rerun.result
    assert fb.depth() == 0 and fb.depth(fb.dlq_url) == 0  # nothing left, nothing misrouted
    assert r["messages"]["received"] == queued and r["messages"]["deleted"] == queued  # redelivered ones too
    suppressed = fb.suppressed()
    assert set(hard) <= set(suppressed) and set(complaints) <= set(suppressed)
    assert not set(soft) & set(suppressed)
    puts = {}
    for req in sandbox.requests():
        if req["operation"] == "PutSuppressedDestination" and not req["fault"] and req["status"] == 200:
            puts[req["params"]["EmailAddress"]] = puts.get(req["params"]["EmailAddress"], 0) + 1
    assert puts == {e: 1 for e in hard + complaints}, puts  # each address suppressed exactly once
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        events = dict(db.execute("SELECT class, COUNT(*) FROM events GROUP BY class").fetchall())
    assert events == {"hard": len(hard), "complaint": len(complaints), "soft": len(soft)}, events
    total = delta(before, after)
    record(figures, "redelivery", "bounce_processor", {
        "notifications": original, "duplicates_injected": 4, "queued": queued,
        "handled_before_crash": handled_1, "redelivered": handled_1,
        "received_total": handled_1 + r["messages"]["received"], "deleted": r["messages"]["deleted"],
        "lost": queued - r["messages"]["deleted"], "addresses_suppressed": len(puts),
        "suppressed_twice": sum(1 for n in puts.values() if n > 1),
        "events": events, "faults_injected": total})
