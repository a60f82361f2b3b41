"""The in-process harness runs the same main() as ansible-playbook and reports the same results."""

from __future__ import annotations


def test_in_process_matches_playbook_for_a_read(sandbox, module_main, ansible_module):
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="harness.example.com")
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
