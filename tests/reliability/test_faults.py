"""Fault suite: every module against the sandbox's fault injection and against DNS servers that time out
or refuse. A run converges (botocore's retries within max_attempts, the modules' own back-off) or fails with
one message naming the operation - never a traceback, and a failure says what it had already applied.

Each scenario is ONE ansible-playbook run over every module (a table), with a marker task between modules
(a controller-side lookup of the sandbox's request sequence) so faults are attributed to the module that
met them. Figures go to the ``faults`` section of the reliability figures.
"""

from __future__ import annotations

import json
import time

import pytest

from .conftest import FAST, TRACEBACK, play, record, task, tolerant

# botocore standard mode: max_attempts counts retries; 30% throttling leaves 0.3**7 ~ 2e-4 per call to fail.
RETRY = {"max_attempts": 6, "retry_mode": "standard"}


def marker(i):
    return {"name": "mark %d" % i, "ansible.builtin.set_fact": {
        "mark_%d" % i: "{{ lookup('ansible.builtin.url', endpoint + '/_sandbox/requests?since=999999999', "
                       "split_lines=false) }}"}}


def seq_of(result, i):
    value = result["ansible_facts"]["mark_%d" % i]
    return (json.loads(value) if isinstance(value, str) else value)["last"]


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
        ("dns_records", dict(r53, records=[{"name": "f%s" % sfx, "type": "TXT", "values": ["fault suite"]}])),
        ("spf", dict(r53, **lookups, domain=ctx["r53_zone"], mechanisms=["ip4:192.0.2.%d" % (len(sfx) + 1)])),
        ("dmarc", dict(r53, **lookups, domain=ctx["r53_zone"], policy="quarantine", external_destinations="ignore")),
        ("account_suppression", {"suppressed_reasons": ["BOUNCE"], "audit_log": ctx["audit"]}),
        ("suppressed_destination", {"email": "u%s@bad.example.com" % sfx, "reason": "BOUNCE",
                                    "audit_log": ctx["audit"]}),
        ("suppressed_destination_info", {}),
        ("reputation_info", {}),
        ("reputation_alarms", {"alarm_actions": [ctx["topic"]]}),
    ]


def run_table(sandbox, ansible_playbook, table, extra=None):
    """Run the table as one play (marker, module, marker, ...); per module: its result and its requests."""
    tasks = []
    for i, (module, args) in enumerate(table):
        tasks.append(marker(i))
        tasks.append(tolerant(module, module, dict(args, **(extra or {}))))
    tasks.append(marker(len(table)))
    started = time.monotonic()
    res = ansible_playbook(play(*tasks, vars={"endpoint": sandbox.endpoint}), env=FAST)
    print("table run: %.1fs" % (time.monotonic() - started))
    assert res.rc == 0, res
    assert TRACEBACK not in res.output
    marks = [seq_of(res.task("mark %d" % i), i) for i in range(len(table) + 1)]
    log = sandbox.requests()
    out = {}
    for i, (module, _) in enumerate(table):
        reqs = [r for r in log if marks[i] < r["seq"] <= marks[i + 1]]
        status = [r["status"] for r in res.results if r["task"] == module][0]
        out[module] = {"status": status, "result": res.task(module), "requests": reqs}
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
def test_throttling_errors_and_latency_converge(sandbox, ctx, ansible_playbook, figures):
    """Run 1 creates everything under 30% throttling plus 10% HTTP 500s; run 2, under throttling, 500s and
    added latency, must find nothing left to do (so run 1 applied everything it reported)."""
    table = aws_table("1", ctx)
    before = injected(sandbox)
    sandbox.post("faults", {"rules": [{"kind": "throttle", "rate": 0.3}, {"kind": "error", "rate": 0.1}],
                            "seed": 9})
    first = run_table(sandbox, ansible_playbook, table, RETRY)
    mid = injected(sandbox)
    sandbox.post("faults", {"rules": [{"kind": "throttle", "rate": 0.3}, {"kind": "error", "rate": 0.2},
                                      {"kind": "latency", "rate": 0.5, "latency_ms": 150}], "seed": 10})
    second = run_table(sandbox, ansible_playbook, table, RETRY)
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
