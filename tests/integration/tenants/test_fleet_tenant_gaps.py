"""domain_policy's ``tenant``: bad input in one entry fails the whole task before any request (issue 25: "one clear
error naming the option, nothing written"), not just that domain while the others are enforced. In-process."""

from __future__ import annotations

import pytest

from tests.fixtures.names import unique

pytestmark = pytest.mark.bind


@pytest.mark.parametrize("tenant, field", [
    ({"name": "bad name!"}, "domains[1].tenant.name"),
    ({"name": "ok", "reputation_policy": "lenient"}, "domains[1].tenant.reputation_policy"),
])
def test_bad_tenant_in_one_entry_writes_nothing_for_any_domain(sandbox, module_main, bind, tenant, field):
    zone = unique("tn")
    sandbox.boto3_client("route53").create_hosted_zone(Name=zone, CallerReference=zone)
    args = {"provider": "route53", "zone": zone, "nameservers": [bind.server], "workers": 4,
            "domains": ["x." + zone, {"name": "y." + zone, "tenant": tenant}]}
    mark = sandbox.mark()
    res = module_main("domain_policy", args)
    assert res.rc == 1 and res.result["msg"].startswith(field + ": "), res.result
    assert "Traceback" not in res.output
    assert sandbox.requests(mark) == []  # not even a read: the good domain x was not enforced either
    assert sandbox.boto3_client("sesv2").list_email_identities()["EmailIdentities"] == [] or \
        "x." + zone not in str(sandbox.boto3_client("sesv2").list_email_identities())


def test_module_level_bad_tenant_is_refused_the_same_way(sandbox, module_main, bind):
    zone = unique("tn")
    mark = sandbox.mark()
    res = module_main("domain_policy", {"provider": "route53", "zone": zone, "nameservers": [bind.server],
                                        "domains": ["x." + zone, "y." + zone], "tenant": {"name": "no/slash"}})
    assert res.rc == 1 and res.result["msg"].startswith("tenant.name: "), res.result
    assert sandbox.requests(mark) == []
