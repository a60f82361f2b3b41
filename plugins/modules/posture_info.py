#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: posture_info
short_description: Fleet posture - what SES and mailbox providers will do with each domain's mail (read-only)
version_added: 0.1.0
description:
  - One read-only pass over every domain identity of the account (or the given O(domains)) and any parked domains,
    that reports per domain the findings - each with a severity and the fix - and a verdict per mailbox provider.
  - SES side - verification status and, when stuck, C(VerificationInfo) (error type, SOA seen, last checked); DKIM
    signing, origin, current and next key length, key age; MAIL FROM status and C(BehaviorOnMxFailure); the default
    configuration set and its suppression override; the account's enforcement status, sending and production access.
  - DNS side, as receivers see it - SPF (one record, lookups and void lookups, the C(all) qualifier, SES authorised
    on the MAIL FROM domain), DKIM records resolving to SES's targets (or the BYODKIM key), DMARC per RFC 9989
    (C(p), C(t), legacy C(pct), report authorisation of outside destinations), MAIL FROM MX and SPF; for parked
    domains null MX, SPF C(-all) and DMARC C(p=reject) with C(np=reject).
  - Verdicts for Gmail, Yahoo (bulk-sender rules) and Microsoft (May 2025 high-volume rules) from what DNS and SES
    show, naming what cannot be checked from them (one-click unsubscribe, spam rate).
  - SES calls go through an adaptive limiter per operation, so the pass finishes at the rate SES allows when it
    throttles, with no failed domain. Writes nothing to AWS or DNS.
  - Optionally writes the report as JSON, CSV and a self-contained HTML page (summary, problems, a table sortable
    by severity, per-domain drill-down with fixes and a chart of the trend across runs) and appends the run to a
    trend store. Report files are outputs, not managed state - the module always returns C(changed=false); in check
    mode it writes no file and no trend row.
options:
  domains:
    description:
      - Sending domains to look at. Without it, every domain identity of the account and region.
    type: list
    elements: str
  parked_domains:
    description:
      - Domains that send no mail. They are checked for null MX, SPF C(v=spf1 -all) and DMARC C(p=reject) only.
    type: list
    elements: str
    default: []
  dns_timeout:
    description: Seconds per DNS query.
    type: float
    default: 5.0
  workers:
    description: Domains looked at concurrently (the SES limiter may pace below this when SES throttles).
    type: int
    default: 16
  max_key_age_days:
    description: An Easy DKIM key older than this is a finding (C(dkim_key_old)); 0 turns the check off.
    type: int
    default: 365
  fail_on:
    description:
      - The severity from which a finding makes C(status=findings) (the playbook then exits 2). V(never) keeps
        C(status=clean) whatever is found.
    type: str
    choices: [critical, high, medium, low, info, never]
    default: high
  return_domains:
    description: Return every domain's findings in C(domains). Turn off for very large fleets that only need the
      files and the summary (smaller task result, faster callback output).
    type: bool
    default: true
  json_path:
    description: Write the whole result as JSON to this file (not in check mode).
    type: path
  csv_path:
    description: Write one row per finding as CSV to this file (not in check mode). Cells starting with C(=), C(+),
      C(-), C(@) or a control character get a leading apostrophe so spreadsheets do not run them.
    type: path
  html_path:
    description: Write the HTML report to this file (not in check mode).
    type: path
  history_path:
    description:
      - The trend store, a JSON Lines file with one summary per run (last 1000 runs kept). The HTML chart is drawn
        from it. It lives where you put it - in a container, on a mounted volume, or the trend starts again on every
        run.
    type: path
  evidence_store:
    description:
      - Where the DMARC evidence (aggregate reports ingested by P(deliverability.ses.dmarc_reports#module)) lives.
        When it exists, each sending domain gets its evidence stage - the published policy, the next stage and
        whether the evidence gate (P(deliverability.ses.dmarc_evidence#module)'s rule) would let it advance.
        A store that does not exist is not an error - the stage is simply not reported. V(none) skips it.
      - Read-only - nothing is created, also with V(dynamodb).
    type: str
    choices: [sqlite, dynamodb, none]
    default: sqlite
  evidence_path:
    description: The SQLite evidence store (O(evidence_store=sqlite)).
    type: path
    default: ~/.ansible/deliverability_ses/dmarc_evidence.sqlite
  evidence_table:
    description: The DynamoDB table of the evidence (O(evidence_store=dynamodb)).
    type: str
  regions:
    description:
      - The regions the fleet sends from; the module's O(region) is the primary. For each other region, each sending
        domain's replica is read - C(region_identity_missing), C(region_identity_pending) (not verified there),
        C(region_dkim_own_keys) (signs with its own Easy DKIM keys instead of the primary's by deterministic Easy
        DKIM), C(region_dkim_wrong_parent) (DEED from another region), C(region_configuration_set_missing) (its
        default configuration set does not exist there).
      - A read that fails in a region makes that check unknown (could not look), never a finding.
    type: list
    elements: str
    default: []
  compare_suppression:
    description:
      - With O(regions), read every region's account suppression list (all pages, up to a million addresses each)
        and report C(suppression_lists_differ) with how many addresses each region misses. A list that cannot be
        read whole makes the run C(could_not_look).
    type: bool
    default: true
  check_tenants:
    description:
      - Read the account's SES tenants (one read of each tenant's resources and reputation entity, not one per
        domain) and add the tenant view - per tenant its domains, verdict and SES status - and the tenant findings
        of each sending domain. An account without tenants gets neither.
      - Findings - C(tenant_missing) (the account uses tenants and the domain is in none), C(tenant_paused) (SES
        paused its tenant), C(tenant_paused_by_you) (its operator did), C(tenant_policy_weaker) (the tenant's
        reputation policy is weaker than O(tenant_reputation_policy)).
      - When the tenants cannot be read, every sending domain's tenant check is unknown (could not look).
    type: bool
    default: true
  tenant_reputation_policy:
    description: The fleet's reputation policy - a tenant with a weaker one (C(none) < C(standard) < C(strict)) is a
      finding.
    type: str
    choices: [none, standard, strict]
    default: standard
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.resolvers
notes:
  - Supports check mode (nothing is written at all) and is otherwise read-only towards AWS and DNS.
  - The reads are one C(GetAccount), one paginated C(ListEmailIdentities) when O(domains) is not given, one
    C(GetEmailIdentity) per domain and one C(GetConfigurationSet) per distinct configuration set; with
    O(check_tenants), one paginated C(ListTenants) and per tenant one paginated C(ListTenantResources) and one
    C(GetReputationEntity); with O(regions), per other region one C(GetEmailIdentity) per sending domain, one
    C(GetConfigurationSet) per distinct set, and with O(compare_suppression) each region's
    C(ListSuppressedDestinations) pages.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Posture of every domain identity, with the HTML report and the trend
  deliverability.ses.posture_info:
    resolvers: [9.9.9.9]
    parked_domains: [example.net]
    html_path: /var/lib/ses-posture/posture.html
    csv_path: /var/lib/ses-posture/posture.csv
    history_path: /var/lib/ses-posture/history.jsonl
  register: posture

- name: Fail the job on high or critical findings
  ansible.builtin.assert:
    that: posture.status == 'clean'
"""

RETURN = r"""
status:
  description: C(clean) (nothing at or above O(fail_on)), C(findings), or C(could_not_look) (for at least one domain
    an SES read failed or a DNS read got no answer - timeout, SERVFAIL, REFUSED; it wins over C(findings)). The
    account or identity listing failing fails the task instead.
  returned: always
  type: str
  sample: findings
generated:
  description: When the pass ran (UTC, ISO 8601).
  returned: always
  type: str
region:
  description: The SES region looked at.
  returned: always
  type: str
evidence:
  description: C(available) - whether the DMARC evidence store was found - and C(note) (why not).
  returned: always
  type: dict
regions:
  description: C(primary), C(replicas), and with O(compare_suppression) C(suppression) - C(compared), C(missing) (per
    region, the addresses another region suppresses and it does not), C(sizes), or C(errors) per region.
  returned: always
  type: dict
tenants:
  description:
    - C(checked) (O(check_tenants)), C(used) (the account has tenants; null when they could not be read), C(error),
      C(fleet_policy), and C(tenants) - per tenant C(name), C(domains) (those looked at), C(verdict) (needs action,
      could not look, clean), C(sending), C(paused_by) (SES, you or null), C(cause), C(reputation_policy),
      C(reputation_impact).
  returned: always
  type: dict
account:
  description: C(enforcement_status), C(sending_enabled), C(production_access), quota and suppressed reasons, and
    the account's C(findings).
  returned: always
  type: dict
summary:
  description: C(domains), C(need_action) (domains with at least one finding), C(findings), C(per_severity),
    C(per_problem) (per finding id its severity, title, C(domains) count and C(names)), C(providers) (per mailbox
    provider the C(pass), C(fail) and C(unknown) counts, the C(failing) and C(not_known) domains),
    C(domains_by_worst), C(could_not_look) (domains not fully looked at) and C(could_not_look_domains).
  returned: always
  type: dict
fail_on:
  description: The severity threshold used.
  returned: always
  type: str
findings_at_or_above_fail_on:
  description: How many findings (account and domains) are at or above O(fail_on).
  returned: always
  type: int
domains:
  description: Per domain - C(domain), C(kind) (sending or parked), C(worst), C(evidence) (the DMARC evidence
    stage when the store exists - C(published), C(next), C(gate_open), C(summary), C(reasons)), C(findings) (each C(id),
    C(severity), C(area), C(title), C(detail), C(fix)), C(unknown) (the checks that could not look, each C(check),
    C(name), C(error); never a finding), C(could_not_look), and C(verdicts) (per provider C(verdict) - pass, fail or
    unknown - C(rules) (each C(rule), C(requirement), C(status), C(why), C(source)), C(reasons) (why it fails),
    C(unknown) (what could not be judged), C(spf_aligned), C(dkim_aligned), C(not_checked)); C(failed) and C(msg)
    when SES could not be read for it.
  returned: when O(return_domains=true)
  type: list
  elements: dict
files:
  description: The files written (keys C(json_path), C(csv_path), C(html_path), C(history_path)); empty in check mode.
  returned: always
  type: dict
stats:
  description: C(workers), C(elapsed_seconds), C(dns_queries), and C(throttling) per SES operation (calls, throttled
    answers, pace decreases, lowest and final pace).
  returned: always
  type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import DEFAULT_EVIDENCE_PATH
from ansible_collections.deliverability.ses.plugins.module_utils.runners.posture import run_posture
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec


def main():
    module = SesModule(
        argument_spec=dict(
            domains=dict(type="list", elements="str"),
            parked_domains=dict(type="list", elements="str", default=[]),
            resolvers=resolvers_spec(),
            dns_timeout=dict(type="float", default=5.0),
            workers=dict(type="int", default=16),
            max_key_age_days=dict(type="int", default=365, no_log=False),
            fail_on=dict(type="str", default="high", choices=["critical", "high", "medium", "low", "info", "never"]),
            return_domains=dict(type="bool", default=True),
            json_path=dict(type="path"),
            csv_path=dict(type="path"),
            html_path=dict(type="path"),
            history_path=dict(type="path"),
            evidence_store=dict(type="str", choices=["sqlite", "dynamodb", "none"], default="sqlite"),
            evidence_path=dict(type="path", default=DEFAULT_EVIDENCE_PATH),
            evidence_table=dict(type="str"),
            regions=dict(type="list", elements="str", default=[]),
            compare_suppression=dict(type="bool", default=True),
            check_tenants=dict(type="bool", default=True),
            tenant_reputation_policy=dict(type="str", choices=["none", "standard", "strict"], default="standard"),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda partial: run_posture(module, partial))


if __name__ == "__main__":
    main()
