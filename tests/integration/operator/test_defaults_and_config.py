"""aws_config (botocore Config, as amazon.aws has it) and the DNS action group for module_defaults."""

from __future__ import annotations


from tests.integration.operator.helpers import create_zone, rrsets
from tests.fixtures.names import unique



def test_aws_config_reaches_the_client_and_bad_keys_name_the_option(module_main, sandbox):
    # one attempt only, from aws_config, against a throttled SES: exactly one request reaches the sandbox
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "kind": "throttle", "rate": 1.0}]})
    mark = sandbox.mark()
    res = module_main("email_identity_info", {"identity": "example.com",
                                              "aws_config": {"retries": {"total_max_attempts": 1}}})
    sandbox.delete("faults")
    assert res.rc == 1 and "TooManyRequests" in str(res.result), res
    assert [r["operation"] for r in sandbox.requests(mark)] == ["GetEmailIdentity"]
    # without it the collection's own retries (max_attempts 8) try again
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "kind": "throttle", "count": 2}]})
    mark = sandbox.mark()
    res = module_main("email_identity_info", {"identity": "example.com"})
    sandbox.delete("faults")
    assert res.rc == 0, res
    assert len(sandbox.requests(mark)) >= 3
    res = module_main("email_identity_info", {"identity": "example.com", "aws_config": {"no_such_setting": 1}})
    assert res.rc == 1 and not res.result.get("traceback_escaped"), res
    assert res.result["msg"].startswith("aws_config") or "aws_config" in res.result["msg"], res.result


def test_dns_group_defaults_reach_dns_modules_and_not_ses_modules(ansible_playbook, sandbox, bind):
    zone = unique("grp")
    zone_id = create_zone(sandbox, zone)
    play = {"hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/deliverability.ses.ses": {"region": "us-east-1"},
                                "group/deliverability.ses.dns": {"provider": "route53", "zone": zone}},
            "tasks": [
                {"name": "ses only", "deliverability.ses.email_identity_info": {"identity": zone}},
                {"name": "dns", "deliverability.ses.dns_records": {"records": [
                    {"name": "_dmarc", "type": "TXT", "values": ["v=DMARC1; p=none"]}]}},
                # the SPF guard resolves include:amazonses.com: the test BIND serves SES's SPF record
                {"name": "spf", "deliverability.ses.spf": {"domain": zone, "mechanisms": ["include:amazonses.com"],
                                                          "resolvers": [bind.server]}},
            ]}
    res = ansible_playbook(play)
    assert res.rc == 0, res
    rr = rrsets(sandbox, zone_id)
    assert rr[("_dmarc." + zone, "TXT")] == ['"v=DMARC1; p=none"']
    assert "include:amazonses.com" in rr[(zone, "TXT")][0]
