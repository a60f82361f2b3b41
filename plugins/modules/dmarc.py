#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dmarc
short_description: Publish a domain's DMARC record, never weakening a stricter one (the ratchet)
version_added: 0.1.0
description:
  - Ensures the TXT record at C(_dmarc.<domain>) holds one DMARC record built from the options, with the tags
    in a canonical order. Options that are not given keep the value of the existing record.
  - Records follow RFC 9989 (which obsoletes RFC 7489). The tags C(t) (test mode, O(test_mode)), C(np)
    (O(nonexistent_policy)) and C(psd) (O(psd)) are read and written. The removed tags C(pct), C(rf) and
    C(ri) are read and reported in RV(obsolete_tags) with a warning; a published one is kept as it is unless
    O(migrate_legacy=true), and this module writes C(pct) only with O(legacy_tags=true).
  - The ratchet. A run never weakens the existing policy, unless O(allow_downgrade=true). Weaker means a
    lower O(policy) (C(none) < C(quarantine) < C(reject)), test mode switched on at the same policy
    (C(p=quarantine; t=y) is weaker than C(p=quarantine)), the same policy with a lower legacy C(pct), a
    weaker O(subdomain_policy) or O(nonexistent_policy), or strict alignment relaxed. The attempted downgrade
    is reported in RV(downgrades) and as a warning, and the request is refused as a whole (the published
    record stays exactly as it is).
  - Staged rollout. Either set O(policy) and O(test_mode) per stage, or set O(advance=true) to move one step
    along O(stages) (by default C(none), C(quarantine; t=y), C(quarantine), C(reject; t=y), C(reject)) per run.
    C(sp) / C(np), when the record has them, follow the policy up (never down).
  - External report destinations. For every C(mailto:) address of O(rua) / O(ruf) outside the domain, the
    C(<domain>._report._dmarc.<destination>) authorisation record is checked; with
    O(external_destinations=publish) it is published when the destination is in one of O(report_zones)
    (same provider).
  - Other TXT values at C(_dmarc.<domain>) are left alone.
options:
  domain:
    description:
      - The domain the policy is for (the record goes to C(_dmarc.<domain>)).
    type: str
    required: true
  policy:
    description:
      - The C(p) tag. Required when the domain has no DMARC record yet (unless O(advance=true)).
    type: str
    choices: [none, quarantine, reject]
  subdomain_policy:
    description:
      - The C(sp) tag, the policy for subdomains (defaults to O(policy) for receivers).
    type: str
    choices: [none, quarantine, reject]
  nonexistent_policy:
    description:
      - The C(np) tag (RFC 9989), the policy for subdomains that do not exist (defaults to the C(sp) policy for
        receivers).
    type: str
    choices: [none, quarantine, reject]
  psd:
    description:
      - The C(psd) tag (RFC 9989). V(y) only for a public suffix operator's own record, V(n) to say the domain
        is an organisational domain (stops the DNS tree walk there), V(u) unknown (the default receivers
        assume).
    type: str
    choices: ['y', 'n', 'u']
  test_mode:
    description:
      - The C(t) tag (RFC 9989). V(true) writes C(t=y), test mode, where receivers apply C(quarantine) as
        C(none) and C(reject) as C(quarantine) while reports still say what the policy would do. V(false)
        removes the tag (C(t=n) is the default). Switching test mode on at the same policy is a downgrade.
      - Not given, the published C(t) is kept. When O(policy) is given and the published record has C(t=y), the
        module warns that test mode is kept and what receivers apply instead, and names O(test_mode=false) to
        enforce the policy.
    type: bool
  pct:
    description:
      - Legacy (RFC 7489) C(pct) tag, removed by RFC 9989; receivers honoured only 0 and 100. Refused unless
        O(legacy_tags=true). Use O(test_mode) for a trial stage.
    type: int
  legacy_tags:
    description:
      - Allow writing the RFC 7489 C(pct) tag (O(pct)) for receivers that do not know RFC 9989.
    type: bool
    default: false
  migrate_legacy:
    description:
      - Migrate a published record that uses C(pct), C(rf) or C(ri) to RFC 9989. C(pct) below 100 becomes
        C(t=y) (C(p=quarantine; pct=25) becomes C(p=quarantine; t=y)); C(pct=100), C(rf) and C(ri) are
        dropped. The migration is shown in RV(migrations) and in the diff; the ratchet judges the rest of the
        request against the migrated record. Without it such tags are kept as published, with a warning.
    type: bool
    default: false
  rua:
    description:
      - Aggregate report destinations. Addresses (C(dmarc@example.com)) or URIs (C(mailto:dmarc@example.com)).
        They are joined with commas in one TXT string, never split. An empty list removes the tag.
    type: list
    elements: str
  ruf:
    description:
      - Failure report destinations, as for O(rua).
    type: list
    elements: str
  adkim:
    description:
      - DKIM alignment, V(r) relaxed or V(s) strict.
    type: str
    choices: [r, s]
  aspf:
    description:
      - SPF alignment, V(r) relaxed or V(s) strict.
    type: str
    choices: [r, s]
  fo:
    description:
      - Failure reporting options, colon-separated C(0), C(1), C(d), C(s) (for example C(1:d)).
    type: str
  allow_downgrade:
    description:
      - Allow a run to weaken the existing policy (and replace an invalid existing record).
    type: bool
    default: false
  advance:
    description:
      - Move the policy one stage forward along O(stages) from the published one (a new record starts at the
        first stage, C(p=none), which needs no evidence). Overrides O(policy) and O(test_mode). Meant for a
        scheduled rollout job.
      - Every step beyond the first is decided by the evidence gate (see O(gate)) from the DMARC aggregate
        reports that M(deliverability.ses.dmarc_reports) recorded in the evidence store. A shut gate keeps the
        published record as it is (C(changed=false)); the decision and why are in RV(gate), in the diff and in
        O(audit_log).
    type: bool
    default: false
  require_evidence:
    description:
      - With V(false), O(advance) moves one stage per run without asking the evidence gate (the blind ladder
        of earlier versions). For a sandbox or a domain that sends no mail; it is what breaks legitimate mail
        otherwise.
    type: bool
    default: true
  audit_log:
    description:
      - JSON Lines file that every evidence gate decision is appended to (C(action=dmarc_gate), the domain,
        open or shut, the reasons and the figures). Nothing is written in check mode.
    type: path
    default: ~/.ansible/deliverability-ses-audit.jsonl
  stages:
    description:
      - The rollout stages for O(advance), weakest first.
    type: list
    elements: dict
    suboptions:
      policy:
        description: The policy of the stage.
        type: str
        required: true
        choices: [none, quarantine, reject]
      test_mode:
        description: Whether the stage publishes C(t=y).
        type: bool
        default: false
      pct:
        description: Legacy C(pct) of the stage (needs O(legacy_tags=true)); not written when absent.
        type: int
  external_destinations:
    description:
      - What to do about report destinations outside O(domain). V(check) looks up the authorisation records
        and warns about missing ones; V(publish) also publishes them into O(report_zones); V(ignore) does
        neither.
    type: str
    choices: [check, publish, ignore]
    default: check
  report_zones:
    description:
      - Zones managed with the same provider options where authorisation records of external destinations may be
        published (O(external_destinations=publish)).
    type: list
    elements: str
  ttl:
    description:
      - TTL of the TXT rrsets. By default the existing TTL, or 300 for a new rrset.
    type: int
extends_documentation_fragment:
  - deliverability.ses.dns_provider
  - deliverability.ses.dmarc_evidence
  - deliverability.ses.dmarc_evidence.gate
  - deliverability.ses.aws
  - deliverability.ses.resolvers
attributes:
  check_mode:
    support: full
    description: Predicts the change exactly and writes nothing.
  diff_mode:
    support: full
    description: Shows the TXT rrsets before and after.
notes:
  - External destinations are told apart by name (a destination that is neither O(domain), its parent nor its
    subdomain), without the public suffix list.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Start monitoring with reports to two mailboxes (one external, authorised in a zone we manage)
  deliverability.ses.dmarc:
    provider: route53
    domain: example.com
    policy: none
    rua: [dmarc@example.com, reports@dmarc.example.net]
    external_destinations: publish
    report_zones: [example.net]

- name: Quarantine in test mode (t=y); a later run asking for p=none is refused
  deliverability.ses.dmarc:
    provider: rfc2136
    server: ns1.example.com
    key_name: ansible
    key_secret: "{{ vault_tsig_secret }}"
    domain: example.com
    policy: quarantine
    test_mode: true
    nonexistent_policy: reject

- name: Migrate an RFC 7489 record (p=quarantine; pct=25 becomes p=quarantine; t=y)
  deliverability.ses.dmarc:
    provider: route53
    domain: example.com
    migrate_legacy: true

- name: Weekly job - one step further towards reject, only when the reports say it is safe
  deliverability.ses.dmarc:
    provider: route53
    domain: example.com
    advance: true
    evidence_store: dynamodb
    evidence_table: dmarc-evidence
    gate:
      min_pass_rate: 99.5
"""

RETURN = r"""
record:
  description: The DMARC record after the run (or as it would be, in check mode).
  returned: success
  type: str
  sample: v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@example.com,mailto:reports@dmarc.example.net
previous:
  description: The DMARC record before, or null.
  returned: success
  type: raw
tags:
  description: The tags of RV(record) as a dictionary (C(rua) / C(ruf) as lists).
  returned: success
  type: dict
downgrades:
  description: Each attempted weakening, with the tag, the current and the requested value.
  returned: success
  type: list
  elements: dict
downgrade_refused:
  description: Whether a downgrade was attempted and refused (O(allow_downgrade=false)).
  returned: success
  type: bool
stage:
  description: With O(advance=true), the stage now published (null when the gate kept the current one).
  returned: success
  type: dict
gate:
  description:
    - With O(advance=true), the evidence gate's decision, or null when no gate was asked (first stage, last
      stage reached, O(require_evidence=false)).
  returned: success
  type: dict
  contains:
    open:
      description: Whether the stage could move.
      type: bool
    summary:
      description: One sentence with the figures and every reason.
      type: str
    reasons:
      description: Each unmet threshold (empty when open).
      type: list
      elements: str
    figures:
      description: C(messages), C(dmarc_pass), C(pass_rate), C(dkim_aligned_rate), C(spf_aligned_rate), C(days), C(reporters), C(sources).
      type: dict
    failing_sources:
      description: Sources failing DMARC, largest first, with C(share) of the volume and C(fix), what to do.
      type: list
      elements: dict
    notes:
      description: Observations that do not shut the gate (for example SPF never aligning with SES's default MAIL FROM).
      type: list
      elements: str
    trend:
      description: Per day, C(messages) and C(pass_rate).
      type: list
      elements: dict
obsolete_tags:
  description: The RFC 7489 tags (C(pct), C(rf), C(ri)) that the published record carried.
  returned: success
  type: list
  elements: str
migrations:
  description: What O(migrate_legacy=true) changed, one sentence per tag (for example C(pct=25 became t=y)).
  returned: success
  type: list
  elements: str
report_authorizations:
  description: One entry per external report destination.
  returned: success
  type: list
  elements: dict
  contains:
    destination:
      description: The destination domain.
      type: str
    name:
      description: The authorisation record name, C(<domain>._report._dmarc.<destination>).
      type: str
    authorized:
      description: Whether the destination authorises the reports (after publishing, if it did).
      type: bool
    managed:
      description: Whether the destination is in one of O(report_zones).
      type: bool
    published:
      description: Whether this run published (or would publish) the authorisation record.
      type: bool
changes:
  description: The rrset changes, as in M(deliverability.ses.dns_records).
  returned: success
  type: list
  elements: dict
records:
  description: The TXT rrsets afterwards.
  returned: success
  type: list
  elements: dict
zone_lines:
  description: The TXT rrsets in zone-file syntax.
  returned: success
  type: list
  elements: str
"""


from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError, SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import DNS_PROVIDER_ARGUMENT_SPEC, resolvers_spec
from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import (
    EVIDENCE_SPEC, GATE_SPEC, evidence_gate, record_decision)
from ansible_collections.deliverability.ses.plugins.module_utils.runners.spf_dmarc import DMARC_RECORD_SPEC, ensure_dmarc


def main():
    spec = dict(DNS_PROVIDER_ARGUMENT_SPEC)
    spec.update(
        domain=dict(type="str", required=True),
        external_destinations=dict(type="str", choices=["check", "publish", "ignore"], default="check"),
        report_zones=dict(type="list", elements="str"),
        resolvers=resolvers_spec(env=True),
        ttl=dict(type="int"),
        require_evidence=dict(type="bool", default=True),
        audit_log=dict(type="path", default="~/.ansible/deliverability-ses-audit.jsonl"),
    )
    spec.update(DMARC_RECORD_SPEC)
    spec.update(EVIDENCE_SPEC)
    spec.update(GATE_SPEC)
    module = SesModule(argument_spec=spec, needs_boto3=False, supports_check_mode=True)

    def body(partial):
        p = module.params
        gate = None
        if p["advance"] and p["require_evidence"] and p.get("evidence_store") == "dynamodb" \
                and not p.get("evidence_table"):
            # checked before the first DNS query, as every option is
            raise InputError("evidence_table", "required with evidence_store=dynamodb")
        if p["advance"] and p["require_evidence"]:
            gate = evidence_gate(module, p["domain"])
        result = ensure_dmarc(p, module, module.check_mode, partial, module.module.warn, gate=gate)
        if result.get("gate"):
            record_decision(module, result, "dmarc")
        return result

    run_module(module, body)


if __name__ == "__main__":
    main()
