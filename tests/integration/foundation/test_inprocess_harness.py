"""The in-process harness runs the same main() as ansible-playbook and reports the same results."""

from __future__ import annotations


def test_in_process_matches_playbook_for_a_read(sandbox, module_main, ansible_module):
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="harness.example.com")
    # one DNS check for both reads: verification_info.last_checked would otherwise differ between them
    sandbox.post("config", {"dns_recheck_seconds": 3600.0})
    fast = module_main("email_identity_info", {"identity": "harness.example.com"})
    slow = ansible_module("email_identity_info", {"identity": "harness.example.com"})
    assert fast.rc == 0 and slow.rc == 0, (fast, slow)
    assert fast.result["identities"] == slow.result["identities"]
    assert fast.result["identities"][0]["exists"] is True


def test_in_process_bad_input_and_check_mode(sandbox, module_main):
    res = module_main("email_identity_info", {"identity": "not a domain"})
    assert res.rc == 1 and res.result["msg"].startswith("identity:")
    assert not res.result.get("traceback_escaped")
    mark = sandbox.mark()
    res = module_main("email_identity", {"identity": "check.example.com"}, check=True)
    assert res.rc == 0 and res.result["changed"] is True, res
    assert sandbox.mutating_calls(since=mark) == []


def test_in_process_play_matches_playbook_for_a_table(sandbox, module_play, ansible_playbook):
    """module_play runs the same table as ansible-playbook: loop over '{{ item }}', ignore_errors, check mode,
    and a failure without ignore_errors stops the play."""
    table = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "create", "deliverability.ses.email_identity": {"identity": "{{ item }}"},
         "loop": ["one.example.com", "two.example.com"]},
        {"name": "bad", "deliverability.ses.email_identity_info": {"identity": "not a domain"}, "ignore_errors": True},
        {"name": "read", "deliverability.ses.email_identity_info": {"identities": ["one.example.com", "x.example.com"]}},
        {"name": "stops here", "deliverability.ses.email_identity_info": {"identity": "still not a domain"}},
        {"name": "never", "deliverability.ses.email_identity_info": {}},
    ]}]
    fast = module_play(table, check=True)
    slow = ansible_playbook(table, check=True)
    assert fast.rc != 0 and slow.rc != 0, (fast, slow)
    assert [(r["task"], r["status"]) for r in fast.results] == [(r["task"], r["status"]) for r in slow.results]
    assert [r["changed"] for r in fast.task("create")["results"]] == \
        [r["changed"] for r in slow.task("create")["results"]] == [True, True]
    assert fast.task("bad")["msg"] == slow.task("bad")["msg"]
    assert fast.task("read")["identities"] == slow.task("read")["identities"]
    assert sandbox.boto3_client("sesv2").list_email_identities()["EmailIdentities"] == []  # check mode, both ways
