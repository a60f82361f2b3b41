#!/usr/bin/env python3
"""The floor domain_policy is compared with: the same minimal reads in a bare boto3 + dnspython script.

    python benchmarks/bare_reads.py ARGS.json OUT.json

One paginated ListEmailIdentities, GetEmailIdentity for each listed domain of the fleet, one AXFR of the
zone; the same worker count and the same client settings (one shared client, max_pool_connections >=
workers, adaptive retries) as the module. No planning, no Ansible.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import dns.query
import dns.tsigkeyring
import dns.zone
from botocore.config import Config


def main(argv):
    args = json.loads(open(argv[0], encoding="utf-8").read())
    start = time.monotonic()
    client = boto3.client("sesv2", endpoint_url=args["endpoint"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(max_pool_connections=max(10, args["workers"] + 2),
                                        retries={"mode": "adaptive", "max_attempts": 8}))
    host, port = args["server"].rsplit(":", 1)
    keyring = dns.tsigkeyring.from_text({args["key_name"]: args["key_secret"]})

    def axfr():
        xfr = dns.query.xfr(host, args["zone"] + ".", port=int(port), keyring=keyring, keyname=args["key_name"],
                            keyalgorithm="hmac-sha256", relativize=False)
        return len(dns.zone.from_xfr(xfr, relativize=False, check_origin=False).nodes)

    calls = {"ListEmailIdentities": 0, "GetEmailIdentity": 0, "AXFR": 1}
    with ThreadPoolExecutor(max_workers=args["workers"]) as pool:
        zone_job = pool.submit(axfr)
        listed, params = set(), {"PageSize": 1000}
        while True:
            page = client.list_email_identities(**params)
            calls["ListEmailIdentities"] += 1
            listed.update(i["IdentityName"] for i in page.get("EmailIdentities", []))
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
        wanted = [d for d in args["domains"] if d in listed]
        got = list(pool.map(lambda d: client.get_email_identity(EmailIdentity=d)["DkimAttributes"], wanted))
        calls["GetEmailIdentity"] = len(got)
        nodes = zone_job.result()
    elapsed = time.monotonic() - start
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump({"elapsed_s": round(elapsed, 3), "calls": calls, "zone_nodes": nodes}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
