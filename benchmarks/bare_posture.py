#!/usr/bin/env python3
"""The floor posture_report.yml is compared with: the same minimal reads in a bare boto3 + dnspython script.

    python benchmarks/bare_posture.py ARGS.json OUT.json

GetAccount, one paginated ListEmailIdentities, GetConfigurationSet once, GetEmailIdentity per domain, and per
domain the DNS reads a receiver-side check needs (SPF TXT, the DKIM CNAMEs, MAIL FROM MX and TXT, DMARC TXT,
include:amazonses.com once), on the same number of threads with one shared client. No rules, no report, no
Ansible: only the reads, so the difference to the playbook is what the collection adds.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import dns.resolver
from botocore.config import Config


def main(argv):
    args = json.loads(open(argv[0], encoding="utf-8").read())
    start = time.monotonic()
    client = boto3.client("sesv2", endpoint_url=args["endpoint"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(max_pool_connections=args["workers"] + 2,
                                        retries={"mode": "adaptive", "max_attempts": 8}))
    host, port = args["server"].rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    queries = [0]

    def q(name, rtype):
        queries[0] += 1
        try:
            ans = resolver.resolve(name + ".", rtype, raise_on_no_answer=False)
            return [r.to_text() for r in ans.rrset] if ans.rrset is not None else []
        except dns.resolver.NXDOMAIN:
            return []

    account = client.get_account()
    listed, params = [], {"PageSize": 1000}
    pages = 0
    while True:
        page = client.list_email_identities(**params)
        pages += 1
        listed.extend(i["IdentityName"] for i in page.get("EmailIdentities", []) if i["IdentityType"] == "DOMAIN")
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    q("amazonses.com", "TXT")
    config_sets = {}

    def one(domain):
        ident = client.get_email_identity(EmailIdentity=domain)
        cs = ident.get("ConfigurationSetName")
        if cs and cs not in config_sets:
            config_sets[cs] = client.get_configuration_set(ConfigurationSetName=cs)
        out = {"spf": q(domain, "TXT"), "dmarc": q("_dmarc." + domain, "TXT")}
        for tok in ident["DkimAttributes"].get("Tokens") or []:
            out[tok] = q("%s._domainkey.%s" % (tok, domain), "CNAME")
        mf = (ident.get("MailFromAttributes") or {}).get("MailFromDomain")
        if mf:
            out["mx"] = q(mf, "MX")
            out["mf_spf"] = q(mf, "TXT")
        return out

    with ThreadPoolExecutor(max_workers=args["workers"]) as pool:
        got = list(pool.map(one, listed))
    elapsed = time.monotonic() - start
    with open(argv[1], "w", encoding="utf-8") as fh:
        json.dump({"elapsed_s": round(elapsed, 3), "domains": len(got), "dns_queries": queries[0],
                   "list_pages": pages, "sandboxed": not account["ProductionAccessEnabled"]}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
