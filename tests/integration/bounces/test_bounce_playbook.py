"""The bounce_processing role and process_bounces.yml through real ansible-playbook runs: ten check runs that leave
every receive count and the dead-letter queue untouched, and kill -9 of the playbook, its worker and the module in
the middle of a batch, then a rerun that loses nothing, counts nothing twice and reports everything.

Receive counts and queue depths are read back from SQS with the AWS CLI, suppression with the AWS CLI too."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.fixtures.ansible_runner import BIN, base_env

from .test_bounce_processor import aws_cli

ROOT = Path(__file__).resolve().parents[3]
HARD = ["k%d@bad.test" % i for i in range(6)]
SOFT = ["s%d@full.test" % i for i in range(2)]


def _outcome(res):
    """bounce_processing_result of the (last) role run in a playbook's results."""
    found = [r for r in res.results if r["task"].endswith("bounce_processing : Record the outcome")]
    assert found, res
    return found[-1]["result"]["ansible_facts"]["bounce_processing_result"]


def _with_redrive(feedback, max_receive_count):
    dlq_arn = feedback.sqs.get_queue_attributes(QueueUrl=feedback.dlq_url,
                                                AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    feedback.sqs.set_queue_attributes(QueueUrl=feedback.queue_url, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)})})


def _depth(sandbox, url):
    rc, out, err = aws_cli(sandbox, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
                           "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert rc == 0, err
    return int(out["Attributes"]["ApproximateNumberOfMessages"]) + int(
        out["Attributes"]["ApproximateNumberOfMessagesNotVisible"])


def test_ten_check_runs_leave_receive_counts_and_the_dlq_untouched(sandbox, feedback, ansible_playbook, tmp_path):
    _with_redrive(feedback, 2)  # two receives would already move a message to the dead-letter queue
    feedback.identity_topics(kinds=("Bounce", "Complaint"))
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                                          {"match": "*@angry.test", "behaviour": "complaint"}]})
    feedback.send("c1@bad.test")
    feedback.send("c2@angry.test")
    feedback.send("c3@bad.test")
    assert _depth(sandbox, feedback.queue_url) == 3
    mark = sandbox.mark()
    role_vars = {"bounce_processing_queue_url": feedback.queue_url,
                 "bounce_processing_dead_letter_queue_url": feedback.dlq_url,
                 "bounce_processing_store_path": str(tmp_path / "bounces.sqlite"),
                 "bounce_processing_report_dir": str(tmp_path / "reports"),
                 "bounce_processing_wait_time_seconds": 0}
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Ten check runs of the role in a row", "ansible.builtin.include_role": {
            "name": "deliverability.ses.bounce_processing"}, "loop": "{{ range(10) | list }}", "vars": role_vars}]}
    res = ansible_playbook([play], check=True)
    assert res.rc == 0, res
    runs = [r for r in res.results if r["task"].endswith("Record the outcome")]
    assert len(runs) == 10, sorted(set(r["task"] for r in res.results))
    for run in runs:
        outcome = run["result"]["ansible_facts"]["bounce_processing_result"]
        assert outcome["queue"]["visible"] == 3 and outcome["queue"]["dead_letter_queue"] == 0, outcome
        assert outcome["messages"]["received"] == 0
    calls = [r["operation"] for r in sandbox.requests(mark) if r["service"] == "sqs"]
    assert "ReceiveMessage" not in calls and calls.count("GetQueueAttributes") == 20
    assert sandbox.mutating_calls(since=mark) == []
    assert not (tmp_path / "bounces.sqlite").exists() and not (tmp_path / "reports").exists()
    # read back from SQS: the dead-letter queue is empty, and the first real receive is each message's first
    assert _depth(sandbox, feedback.dlq_url) == 0
    rc, out, err = aws_cli(sandbox, "sqs", "receive-message", "--queue-url", feedback.queue_url,
                           "--attribute-names", "ApproximateReceiveCount", "--max-number-of-messages", "10",
                           "--visibility-timeout", "0")
    assert rc == 0, err
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in out["Messages"]] == ["1", "1", "1"]
    # and the real run then gets every one of them
    real = ansible_playbook(str(ROOT / "playbooks" / "process_bounces.yml"),
                            extra_vars={"queue_url": feedback.queue_url, "store_path": str(tmp_path / "bounces.sqlite"),
                                        "report_dir": str(tmp_path / "reports"), "wait_time_seconds": 0})
    assert real.rc == 0, real
    outcome = _outcome(real)
    assert outcome["messages"]["deleted"] == 3 and outcome["new_events"] == 3
    md = (tmp_path / "reports" / "list-hygiene.md").read_text()
    assert all(e in md for e in ("c1@bad.test", "c2@angry.test", "c3@bad.test"))


def _descendants(pid):
    """Every process whose parent chain leads to ``pid`` (the worker runs in its own session, still a child)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def test_kill_9_mid_batch_then_rerun_loses_nothing_counts_nothing_twice_reports_all(sandbox, feedback, tmp_path,
                                                                                   ansible_playbook):
    feedback.ses.put_account_suppression_attributes(SuppressedReasons=[])  # every hard bounce needs our PUT
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                                          {"match": "*@full.test", "behaviour": "soft_bounce"}]})
    for to in HARD + SOFT:
        feedback.send(to)
    assert _depth(sandbox, feedback.queue_url) == 8
    # each PutSuppressedDestination takes 1.5 s: the batch of 8 is in the module's hands for about 9 s
    sandbox.post("faults", {"rules": [{"service": "sesv2", "operation": "PutSuppressedDestination",
                                       "kind": "latency", "latency_ms": 1500}]})
    extra = {"queue_url": feedback.queue_url, "store_path": "bounces.sqlite", "report_dir": "reports",
             "visibility_timeout": 2, "wait_time_seconds": 0}
    env = base_env(dict(sandbox.env(), PWD=str(tmp_path)))
    mark = sandbox.mark()
    proc = subprocess.Popen([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             str(ROOT / "playbooks" / "process_bounces.yml"), "-e", json.dumps(extra)],
                            cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = [r for r in sandbox.requests(mark) if r["operation"] == "PutSuppressedDestination"]
            if len(done) >= 2:
                break
            assert proc.poll() is None, "the playbook ended before the kill"
            time.sleep(0.1)
        else:
            raise AssertionError("no PutSuppressedDestination within 120 s")
        tree = _descendants(proc.pid)
        names = [_cmdline(p) for p in tree]
        assert any("AnsiballZ_bounce_processor" in n or "bounce_processor" in n for n in names), names
        for pid in [proc.pid] + tree:  # the playbook, its worker, the module: by id, each one
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    time.sleep(0.5)
    assert all(not os.path.exists("/proc/%d" % p) or "zombie" in open("/proc/%d/status" % p).read().lower()
               for p in tree)
    sandbox.delete("faults")
    with sqlite3.connect(tmp_path / "bounces.sqlite") as db:
        handled_before = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert 2 <= handled_before < 8, handled_before  # killed in the middle of the batch
    print("kill -9 of %d processes (playbook, worker, module) after %d of 8 events were recorded"
          % (1 + len(tree), handled_before))
    assert not (tmp_path / "reports" / "list-hygiene.md").exists()  # the killed run wrote no report
    assert _depth(sandbox, feedback.queue_url) == 8  # nothing deleted: the batch is in flight
    time.sleep(2.5)  # the role's visibility timeout (2 s here) brings the batch back
    rerun = ansible_playbook(str(ROOT / "playbooks" / "process_bounces.yml"), env={"PWD": str(tmp_path)},
                             extra_vars=extra)
    assert rerun.rc == 0, rerun
    outcome = _outcome(rerun)
    assert outcome["messages"]["received"] == 8 and outcome["messages"]["deleted"] == 8
    assert outcome["new_events"] == 8 - handled_before and outcome["redelivered"] == handled_before
    # nothing lost: the queue and the dead-letter queue are empty, every hard bounce is on the list (AWS CLI)
    assert _depth(sandbox, feedback.queue_url) == 0 and _depth(sandbox, feedback.dlq_url) == 0
    rc, out, err = aws_cli(sandbox, "sesv2", "list-suppressed-destinations")
    assert rc == 0, err
    assert {x["EmailAddress"]: x["Reason"] for x in out["SuppressedDestinationSummaries"]} == {
        e: "BOUNCE" for e in HARD}
    # nothing counted twice: one event per recipient, one soft bounce each, at most one PUT per address
    with sqlite3.connect(tmp_path / "bounces.sqlite") as db:
        assert dict(db.execute("SELECT class, COUNT(*) FROM events GROUP BY class").fetchall()) == {"hard": 6,
                                                                                                   "soft": 2}
        assert db.execute("SELECT COUNT(*) FROM soft").fetchone()[0] == 2
    puts = {}
    for req in sandbox.requests(mark):
        if req["operation"] == "PutSuppressedDestination" and req["status"] == 200:
            puts[req["params"]["EmailAddress"]] = puts.get(req["params"]["EmailAddress"], 0) + 1
    assert set(puts) <= set(HARD) and all(n == 1 for n in puts.values()), puts
    # every handled event is in the next report, the killed run's included; relative paths from the launch dir
    md = (tmp_path / "reports" / "list-hygiene.md").read_text()
    assert "| events (one per SES message, recipient and kind) | 8 |" in md
    assert "| addresses suppressed | 6 |" in md and "| redelivered copies (counted once) | %d |" % handled_before in md
    assert all(e in md for e in HARD + SOFT)


def test_a_failed_drain_fails_the_run_and_says_why(sandbox, feedback, ansible_playbook, tmp_path):
    """A scheduled job must not stay green while no bounce is handled (issue 27): the module's failure reaches
    ansible-playbook's exit code with its message; the DynamoDB store the EE docs show works from a fresh HOME."""
    feedback.identity_topics(kinds=("Bounce",))
    sandbox.post("recipients", {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"}]})
    feedback.send("f1@bad.test")
    playbook = str(ROOT / "playbooks" / "process_bounces.yml")
    base = {"queue_url": feedback.queue_url, "report_dir": str(tmp_path / "reports"), "wait_time_seconds": 0,
            "store_path": str(tmp_path / "bounces.sqlite")}

    sandbox.post("faults", {"rules": [{"operation": "ReceiveMessage", "kind": "error"}]})
    faulted = ansible_playbook(playbook, extra_vars=base)
    sandbox.delete("faults")
    assert faulted.rc == 2, faulted
    assert "ReceiveMessage" in faulted.output and "InternalFailure" in faulted.output

    home = tmp_path / "home"
    home.mkdir()
    dynamo = dict(base, bounce_processing_store="dynamodb", bounce_processing_store_table="ses-bounces")
    missing = ansible_playbook(playbook, extra_vars=dynamo, env={"HOME": str(home)})
    assert missing.rc == 2, missing
    assert "store_create_table" in missing.output
    ddb = sandbox.boto3_client("dynamodb")
    assert ddb.list_tables()["TableNames"] == []

    created = ansible_playbook(playbook, extra_vars=dict(dynamo, bounce_processing_store_create_table=True),
                               env={"HOME": str(home)})
    assert created.rc == 0, created
    assert ddb.list_tables()["TableNames"] == ["ses-bounces"]
    assert _outcome(created)["suppressed"] == ["f1@bad.test"]
    rc, out, err = aws_cli(sandbox, "sesv2", "get-suppressed-destination", "--email-address", "f1@bad.test")
    assert rc == 0 and out["SuppressedDestination"]["Reason"] == "BOUNCE", err
