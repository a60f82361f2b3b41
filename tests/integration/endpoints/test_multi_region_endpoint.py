"""The SES global endpoint: multi_region_endpoint against the sandbox (per-region SES state, the endpoint API,
SendEmail with EndpointId signed with SigV4a), read back with the AWS CLI per region and with boto3."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.aws_cli import sesv2 as cli
from tests.fixtures.names import unique
from tests.fixtures.tenants import send

ROOT = Path(__file__).resolve().parents[3]
PRIMARY, SECONDARY = "us-east-1", "eu-west-1"


def sender(sandbox, regions):
    """An address that can send from each of ``regions`` (created and verified there)."""
    address = "news@%s" % unique("mre")
    for region in regions:
        sandbox.boto3_client("sesv2", region).create_email_identity(EmailIdentity=address)
        sandbox.post("verify-email", {"identity": address, "region": region})
    return address


def test_created_ready_idempotent_and_a_send_fails_over_to_the_secondary(module_main, sandbox):
    address = sender(sandbox, [PRIMARY, SECONDARY])
    name = unique("global", "")
    args = {"name": name, "secondary_region": SECONDARY, "identities": [address]}
    mark = sandbox.mark()
    check = module_main("multi_region_endpoint", args, check=True, diff=True)
    assert check.rc == 0 and check.result["changed"] is True, check.result
    assert check.result["diff"]["after"]["regions"] == [PRIMARY, SECONDARY]
    assert sandbox.mutating_calls(since=mark) == []  # check mode: no write in any region
    made = module_main("multi_region_endpoint", args)
    assert made.rc == 0 and made.result["changed"] is True, made.result
    endpoint_id = made.result["endpoint"]["id"]
    # read back per region with the AWS CLI: READY in the primary, routing primary then secondary
    rc, out, err = cli(sandbox, PRIMARY, "get-multi-region-endpoint", "--endpoint-name", name)
    assert rc == 0, err
    assert out["Status"] == "READY" and out["EndpointId"] == endpoint_id
    assert [r["Region"] for r in out["Routes"]] == [PRIMARY, SECONDARY]
    rc, out, err = cli(sandbox, SECONDARY, "get-multi-region-endpoint", "--endpoint-name", name)
    assert rc != 0 and "NotFoundException" in err  # it lives in its primary region
    again = module_main("multi_region_endpoint", args)
    assert again.rc == 0 and again.result["changed"] is False and again.result["endpoint"]["status"] == "READY"

    # a send through the endpoint (SigV4a, no region) goes through the primary; with the primary's SendEmail
    # failing, through the secondary; with both failing, it fails
    ses = sandbox.boto3_client("sesv2", PRIMARY)
    mark = sandbox.mark()
    params = dict(FromEmailAddress=address, Destination={"ToAddresses": ["reader@readers.test"]},
                  Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hi"}}}},
                  EndpointId=endpoint_id)
    assert ses.send_email(**params)["MessageId"]
    sandbox.post("faults", {"rules": [{"operation": "SendEmail", "region": PRIMARY, "kind": "error"}]})
    assert ses.send_email(**params)["MessageId"]
    sends = [r for r in sandbox.requests(since=mark) if r["operation"] == "SendEmail"]
    assert [(r["region"], r["status"]) for r in sends] == [(PRIMARY, 200), (SECONDARY, 200)], sends
    sandbox.post("faults", {"rules": [{"operation": "SendEmail", "region": r, "kind": "error"}
                                      for r in (PRIMARY, SECONDARY)]})
    with pytest.raises(ClientError):
        ses.send_email(**params)
    sandbox.post("faults", {"rules": []})
    # a send not through the endpoint still goes to the region it was signed for
    assert send(sandbox.boto3_client("sesv2", SECONDARY), address, "reader@readers.test")["MessageId"]

    info = module_main("multi_region_endpoint_info", {})
    assert [e["name"] for e in info.result["endpoints"]] == [name]
    gone = module_main("multi_region_endpoint", {"name": name, "state": "absent"}, diff=True)
    assert gone.rc == 0 and gone.result["changed"] is True and gone.result["diff"]["after"] is None
    rc, out, err = cli(sandbox, PRIMARY, "get-multi-region-endpoint", "--endpoint-name", name)
    assert rc != 0 and "NotFoundException" in err
    assert module_main("multi_region_endpoint", {"name": name, "state": "absent"}).result["changed"] is False


def test_refuses_when_an_identity_cannot_send_from_a_region(module_main, sandbox):
    address = sender(sandbox, [PRIMARY])
    mark = sandbox.mark()
    res = module_main("multi_region_endpoint", {"name": unique("global", ""), "secondary_region": SECONDARY,
                                                "identities": [address]})
    assert res.rc != 0 and "identities" in res.result["msg"], res.result
    assert "%s in %s (no such identity)" % (address, SECONDARY) in res.result["msg"]
    assert sandbox.mutating_calls(since=mark) == []
    assert sandbox.boto3_client("sesv2").list_multi_region_endpoints()["MultiRegionEndpoints"] == []


def test_an_endpoint_routing_elsewhere_is_refused_not_replaced(module_main, sandbox):
    name = unique("global", "")
    assert module_main("multi_region_endpoint", {"name": name, "secondary_region": SECONDARY}).rc == 0
    mark = sandbox.mark()
    res = module_main("multi_region_endpoint", {"name": name, "secondary_region": "ap-south-1"})
    assert res.rc != 0 and "secondary_region" in res.result["msg"] and "state=absent" in res.result["msg"]
    assert sandbox.mutating_calls(since=mark) == []
    got = sandbox.boto3_client("sesv2").get_multi_region_endpoint(EndpointName=name)
    assert [r["Region"] for r in got["Routes"]] == [PRIMARY, SECONDARY]


@pytest.mark.parametrize("args, option", [
    ({"name": "g1", "secondary_region": PRIMARY}, "secondary_region"),
    ({"name": "g1", "secondary_region": "eu-west"}, "secondary_region"),
    ({"name": "g1"}, "secondary_region"),
    ({"name": "not a name", "secondary_region": SECONDARY}, "name"),
    ({"state": "present", "secondary_region": SECONDARY, "name": ""}, "name"),
    ({"name": "g1", "secondary_region": SECONDARY, "wait_timeout": -1}, "wait_timeout"),
])
def test_bad_input_names_the_option_and_writes_nothing(module_main, sandbox, args, option):
    mark = sandbox.mark()
    res = module_main("multi_region_endpoint", args)
    assert res.rc != 0 and option in res.result["msg"] and "Traceback" not in res.output, res.result
    assert sandbox.mutating_calls(since=mark) == []
