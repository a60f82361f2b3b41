#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: email_auth_check
short_description: Check a domain's SPF, DKIM, MAIL FROM and DMARC records as receivers see them
version_added: 0.1.0
description:
  - Looks the records up with dnspython through O(resolvers) (or the system resolver) and returns one entry per
    check with status V(pass), V(warn) or V(fail) and a reason a person can act on.
  - A lookup that got no definite answer (timeout, SERVFAIL, REFUSED) makes its check V(unknown) with the error
    (could not look, never a failure) and RV(status) V(unknown); the task then fails (unless
    O(fail_on=never)) with RV(could_not_look) set, so a caller can tell "could not look" from "found a problem".
  - SPF of O(domain) is present, single, parses, needs at most 10 DNS lookups (counted recursively) and
    authorises SES (C(include:amazonses.com)).
  - Each Easy DKIM token of O(dkim_tokens) has its CNAME to C(<token>.dkim.amazonses.com); a BYODKIM
    O(dkim_selector) has its key TXT, matching O(dkim_public_key) when given.
  - O(mail_from) has the MX of SES's feedback endpoint and an SPF record that authorises SES.
  - DMARC is present, single and valid, its policy is at least O(required_policy), and external report
    destinations authorise the reports.
  - Read-only. The AWS options are accepted so that the module can be used with the collection's
    C(module_defaults) group; they are not used.
options:
  domain:
    description:
      - The sending domain.
    type: str
    required: true
  dkim_tokens:
    description:
      - The Easy DKIM tokens of the SES identity (RV(deliverability.ses.email_identity_info#module:identities[].dkim)).
    type: list
    elements: str
    default: []
  dkim_domain:
    description:
      - The domain the DKIM CNAMEs point into.
    type: str
    default: dkim.amazonses.com
  dkim_selector:
    description:
      - The selector of a BYODKIM key, checked as C(<selector>._domainkey.<domain>) TXT.
    type: str
  dkim_public_key:
    description:
      - The public key (base64 or PEM) the O(dkim_selector) record must carry.
    type: str
  mail_from:
    description:
      - The custom MAIL FROM domain to check (MX and SPF).
    type: str
  ses_region:
    description:
      - The SES region, so that the MAIL FROM MX must be C(feedback-smtp.<region>.amazonses.com) exactly.
        By default any SES feedback endpoint will do.
    type: str
  required_policy:
    description:
      - The weakest DMARC policy that passes.
    type: str
    choices: [none, quarantine, reject]
    default: none
  require_ses_spf:
    description:
      - Whether the SPF of O(domain) must authorise SES (without a custom MAIL FROM, SES's own MAIL FROM is
        checked by receivers instead).
    type: bool
    default: true
  fail_on:
    description:
      - Fail the task when any check is V(fail), when any is V(warn) or worse, or V(never). A check that could not
        look (V(unknown)) fails the task too, unless V(never).
    type: str
    choices: [fail, warn, never]
    default: fail
  dns_timeout:
    description:
      - Seconds to wait for each answer.
    type: float
    default: 5.0
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.resolvers
attributes:
  check_mode:
    support: full
    description: Only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Check a domain after onboarding
  deliverability.ses.email_auth_check:
    domain: example.com
    dkim_tokens: "{{ ident.identities[0].dkim.tokens }}"
    mail_from: mail.example.com
    ses_region: eu-west-1
    required_policy: quarantine
  register: auth

- name: Report without failing
  deliverability.ses.email_auth_check:
    domain: example.com
    resolvers: ["192.0.2.53:5353"]
    fail_on: never
"""

RETURN = r"""
checks:
  description: One entry per check.
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: >-
        spf_record, spf_lookups, spf_ses, dkim, mail_from, mail_from_mx, mail_from_spf_record,
        mail_from_spf_lookups, mail_from_spf_ses, dmarc_record, dmarc_policy or dmarc_reports.
      type: str
    name:
      description: The DNS name checked.
      type: str
    status:
      description: pass, warn, fail, or unknown (the lookup got no definite answer; the reason has the error).
      type: str
    reason:
      description: What was found and, unless it passed, what to do.
      type: str
    value:
      description: The record (or data) the check looked at.
      type: raw
summary:
  description: The number of checks per status.
  returned: always
  type: dict
  sample: {pass: 9, warn: 1, fail: 0, unknown: 0}
status:
  description: V(unknown) when any check could not look (the outcome is incomplete), else the worst status.
  returned: always
  type: str
could_not_look:
  description: The checks that could not look, each C(check), C(name) and C(error); empty when every lookup answered.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import DeliverabilityError, SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import Resolver
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils import validate
from ansible_collections.deliverability.ses.plugins.module_utils.policy import check
from ansible_collections.deliverability.ses.plugins.module_utils.policy.ses import DKIM_CNAME_DOMAIN
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec

RANK = {"pass": 0, "warn": 1, "fail": 2, "never": 3, "unknown": -1}


def main():
    module = SesModule(
        argument_spec=dict(
            domain=dict(type="str", required=True),
            resolvers=resolvers_spec(),
            dkim_tokens=dict(type="list", elements="str", default=[], no_log=False),
            dkim_domain=dict(type="str", default=DKIM_CNAME_DOMAIN),
            dkim_selector=dict(type="str"),
            dkim_public_key=dict(type="str", no_log=False),
            mail_from=dict(type="str"),
            ses_region=dict(type="str"),
            required_policy=dict(type="str", choices=["none", "quarantine", "reject"], default="none"),
            require_ses_spf=dict(type="bool", default=True),
            fail_on=dict(type="str", choices=["fail", "warn", "never"], default="fail"),
            dns_timeout=dict(type="float", default=5.0),
        ),
        needs_boto3=False,
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        domain = normalize_domain(p["domain"], "domain")
        mail_from = normalize_domain(p["mail_from"], "mail_from") if p["mail_from"] else None
        for server in p["resolvers"] or []:
            validate.server(server, "resolvers")
        validate.number(p["dns_timeout"], "dns_timeout", minimum=0, maximum=3600, min_exclusive=True)
        if p["dkim_selector"]:
            validate.selector(p["dkim_selector"], "dkim_selector")
        for token in p["dkim_tokens"] or []:
            validate.text(token, "dkim_tokens", max_len=63)
        validate.dns_name(p["dkim_domain"], "dkim_domain", relative=False)
        if p["dkim_public_key"]:
            validate.text(p["dkim_public_key"], "dkim_public_key", max_len=8192)
        if p["ses_region"]:
            validate.text(p["ses_region"], "ses_region", max_len=32)
        resolve = Resolver(p["resolvers"], timeout=p["dns_timeout"]).lookup
        checks = check.check_spf(resolve, domain, require_ses=p["require_ses_spf"])
        checks += check.check_dkim_tokens(resolve, domain, p["dkim_tokens"], p["dkim_domain"].lower().rstrip("."))
        if p["dkim_selector"]:
            checks += check.check_dkim_selector(resolve, domain, p["dkim_selector"], p["dkim_public_key"])
        if p["mail_from"]:
            checks += check.check_mail_from(resolve, domain, mail_from, p["ses_region"])
        checks += check.check_dmarc(resolve, domain, p["required_policy"])
        summary, overall = check.summarize(checks)
        unknown = check.unknown(checks)
        result = dict(changed=False, checks=checks, summary=summary, status=overall, could_not_look=unknown)
        bad = [c for c in checks if RANK[c["status"]] >= RANK[p["fail_on"]]]
        if p["fail_on"] != "never" and (unknown or bad):
            partial.update(result)
            found = "; ".join("%s %s: %s" % (c["check"], c["name"], c["reason"]) for c in bad)
            if unknown:
                raise DeliverabilityError("%s: could not look at %d check(s) - the DNS gave no answer, this is not a "
                                          "finding: %s%s" % (domain, len(unknown), "; ".join(
                                              "%s %s: %s" % (u["check"], u["name"], u["error"]) for u in unknown),
                                              " (besides, at %s or worse: %s)" % (p["fail_on"], found) if bad else ""))
            raise DeliverabilityError("%s: %d check(s) at %s or worse: %s" % (domain, len(bad), p["fail_on"], found))
        return result

    run_module(module, body)


if __name__ == "__main__":
    main()
