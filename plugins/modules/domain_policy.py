#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: domain_policy
short_description: Audit or enforce the whole sending policy of many SES domains in one invocation
version_added: 0.1.0
description:
  - For every domain of O(domains), concurrently, makes sure that the SES identity exists with Easy DKIM
    (key length, signing), the MAIL FROM domain and the configuration set, and that DNS holds the DKIM
    CNAMEs, the MAIL FROM MX and SPF, the domain's SPF (merged, never replaced) and its DMARC record (with
    the ratchet that never weakens a policy unless allowed).
  - Reads the current state with as few calls as the APIs allow - one paginated C(ListEmailIdentities),
    then C(GetEmailIdentity) only for the listed domains that exist; one read per DNS zone (one AXFR for
    V(rfc2136), one paginated C(ListResourceRecordSets) for V(route53)) - and writes only what differs.
    DNS changes of a zone are written in batches; a batch that fails is retried domain by domain.
  - One failing domain never stops the others; each domain has its own result with C(changed), C(diff) and,
    on failure, C(msg).
  - In check mode this is an audit that makes no write call, and reports the drift of every domain.
  - The single-resource modules (M(deliverability.ses.email_identity), M(deliverability.ses.mail_from),
    M(deliverability.ses.dns_records), M(deliverability.ses.spf), M(deliverability.ses.dmarc)) share the same
    logic and stay the tools for one resource at a time.
author:
  - Deliverability maintainers (@deliverability)
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.dns_provider
  - deliverability.ses.resolvers
  - deliverability.ses.dmarc_evidence
  - deliverability.ses.dmarc_evidence.gate
options:
  audit_log:
    description:
      - JSON Lines file that every DMARC evidence gate decision is appended to (C(action=dmarc_gate)). Nothing is
        written in check mode.
    type: path
    default: ~/.ansible/deliverability-ses-audit.jsonl
  domains:
    description:
      - The domains. Each is a domain name, or a dictionary with C(name) and any of C(zone),
        C(configuration_set), C(mail_from_subdomain), C(behavior_on_mx_failure), C(dkim), C(spf), C(dmarc),
        C(tenant), C(regions) to override the module's options for that domain (C(dkim), C(spf), C(dmarc) and
        C(tenant) are merged key by key).
      - Required unless O(domains_file) is given; the file's domains are added after these.
    type: list
    elements: raw
  domains_file:
    description:
      - A file of domains, read on the host the module runs on (with a local connection, a relative path is
        relative to the directory C(ansible-playbook) was run from) - a fleet of thousands passed without templating
        a huge extra-var. One domain name per line (blank lines and lines starting with C(#) skipped), or a JSON
        list of entries as in O(domains). At most 16 MiB and 100,000 entries.
    type: path
  return_domains:
    description:
      - Which domains' full results the task returns in RV(domains). V(all) returns every domain; V(attention) only
        the domains that changed (or would, in check mode), failed, warned or are not fully verified by SES, and
        lists the names of the others in RV(unchanged_domains); V(auto) is V(all) up to 100 domains and
        V(attention) above. A smaller task result is faster to hand back and print; every domain's full result can
        go to O(results_path).
    type: str
    choices: [auto, all, attention]
    default: auto
  results_path:
    description:
      - Write every domain's full result (and C(summary), C(failed_domains), C(api_calls), C(stats)) as JSON to this
        file, whatever O(return_domains) says, through a temporary file renamed over the old one, readable by its
        owner only. Not in check mode (check mode writes nothing anywhere); the audit's per-domain results are then
        in RV(domains) with O(return_domains=all).
    type: path
  zone:
    description:
      - The DNS zone that holds the records of every domain, for example C(example.com) for
        C(a.example.com) and C(b.example.com). By default each domain is its own zone.
    type: str
  dkim:
    description:
      - Easy DKIM settings. BYODKIM identities are left as they are (manage them with
        M(deliverability.ses.email_identity)).
    type: dict
    default: {}
    suboptions:
      key_length:
        description:
          - The key length. A new identity gets C(RSA_2048_BIT) when not given; an existing one keeps its own.
        type: str
        choices: [RSA_1024_BIT, RSA_2048_BIT]
      signing_enabled:
        description:
          - Whether SES signs with DKIM.
        type: bool
        default: true
  configuration_set:
    description:
      - The default configuration set of each identity. It must exist. Not given leaves it as it is.
    type: str
  tenant:
    description:
      - One client, one SES tenant - its own reputation, pause and suppression scope. With O(tenant.name), each
        domain's identity and its configuration set join that tenant (per domain in O(domains) for a fleet of
        clients); a tenant that does not exist is created, and O(tenant.reputation_policy) applied.
      - The tenants are read once each (every tenant's resources, the named tenants' reputation entities), never
        once per domain. In check mode the result reports the drift - identity in no tenant, in another one,
        configuration set missing, policy differing - and nothing is written.
      - Deleting tenants and pausing them is M(deliverability.ses.tenant)'s.
    type: dict
    suboptions:
      name:
        description: The tenant (1-64 letters, digits, C(-) and C(_)). Not given - no tenant is managed.
        type: str
      reputation_policy:
        description: The tenant's reputation policy. Not given leaves an existing tenant's policy as it is.
        type: str
        choices: [standard, strict, none]
      exclusive:
        description: Detach the identity from every other tenant it is in (else that is reported as drift).
        type: bool
        default: false
  regions:
    description:
      - The regions each domain sends from, the primary first - it must be the module's O(region) - then the
        replicas. Not given - the module's region only, as before. A bad list (a region SES does not have, a
        replica equal to the primary, a region twice), here or in any entry of O(domains), fails the task naming
        the option before any request.
      - In each replica region the identity is a deterministic Easy DKIM (DEED) replica of the primary
        (C(DomainSigningAttributesOrigin) C(AWS_SES_<PRIMARY>)) - it signs with the primary's keys and has its
        tokens, so no DNS record is written for it. A missing replica is created once the primary can be its
        parent (verified, Easy DKIM, not itself a replica; until then the domain's C(regions.<region>.waiting)
        says why); its default configuration set is the primary's when that set exists in the region (else the
        finding C(region_configuration_set_missing)); with O(tenant.name) it joins the tenant of that name in the
        region. An existing replica's DKIM is left as it is - its findings say what to do.
      - With O(mail_from_subdomain), each replica gets its own MAIL FROM domain, the first label with C(-<region>)
        appended (C(bounce-eu-west-1.example.com); the C(deliverability.ses.replica_mail_from_domain) filter and the
        C(deliverability.ses.domain) role use the same rule), set in its region with the same
        O(behavior_on_mx_failure), and its MX (that region's feedback endpoint, the only MX of the name) and SPF
        written with the primary's MAIL FROM records. A replica whose MAIL FROM is missing or another name has the
        finding C(region_mail_from_missing) or C(region_mail_from_different) (check mode writes nothing).
      - Reads - one paginated C(ListEmailIdentities) per replica region, then C(GetEmailIdentity) only for the
        domains listed there, the domains side by side. Each domain's result has per region its findings
        (C(region_identity_missing), C(region_identity_pending), C(region_dkim_wrong_parent),
        C(region_dkim_own_keys), C(region_configuration_set_missing), C(region_mail_from_missing),
        C(region_mail_from_different) - the posture's rule); RV(regions) the counts.
        Check mode writes nothing in any region. In check mode each replica region is read by a reader process
        of its own, forked before the run starts any thread, so that its reads run on another core than the
        primary's (the module is CPU-bound in botocore); a reader that gives no answer leaves its region to the
        module's own reads - RV(regions) C(read_by) says which ran.
    type: list
    elements: str
  mail_from_subdomain:
    description:
      - The custom MAIL FROM subdomain, for example V(bounce) for C(bounce.<domain>). Not given leaves
        MAIL FROM as it is and publishes no MAIL FROM records.
    type: str
  behavior_on_mx_failure:
    description:
      - What SES does when the MAIL FROM MX is missing.
    type: str
    choices: [USE_DEFAULT_VALUE, REJECT_MESSAGE]
    default: USE_DEFAULT_VALUE
  spf:
    description:
      - The SPF record of each domain. Mechanisms are merged into an existing record; nothing else of it is
        touched. The same rules as M(deliverability.ses.spf) apply (one planner). More than 10 DNS lookups or 2
        void lookups, an include of a name without SPF or with two, an include loop, or an include whose lookup
        fails (REFUSED, SERVFAIL, timeout) makes the domain fail with nothing written, unless O(spf.force).
    type: dict
    default: {}
    suboptions:
      enabled:
        description:
          - Whether to manage the domain's SPF record.
        type: bool
        default: true
      mechanisms:
        description:
          - Mechanisms the record must contain.
        type: list
        elements: str
        default: [include:amazonses.com]
      all_qualifier:
        description:
          - Set the qualifier of C(all). By default an existing record keeps its own and a new one ends in C(~all).
        type: str
        choices: ['-', '~', '?', '+']
      force:
        description:
          - Publish an SPF record that breaks the lookup limits or would be a permerror (with a warning).
        type: bool
        default: false
  dmarc:
    description:
      - The DMARC record of each domain, with the ratchet of M(deliverability.ses.dmarc).
    type: dict
    default: {}
    suboptions:
      enabled:
        description:
          - Whether to manage the domain's DMARC record.
        type: bool
        default: true
      policy:
        description:
          - The policy (C(p)). Not given, an existing record keeps its policy and a domain without DMARC
            starts at V(none) (the first stage).
        type: str
        choices: [none, quarantine, reject]
      subdomain_policy:
        description:
          - The subdomain policy (C(sp)).
        type: str
        choices: [none, quarantine, reject]
      nonexistent_policy:
        description:
          - The policy for non-existent subdomains (C(np), RFC 9989).
        type: str
        choices: [none, quarantine, reject]
      psd:
        description:
          - The C(psd) tag (RFC 9989), V(y), V(n) or V(u).
        type: str
        choices: ['y', 'n', 'u']
      test_mode:
        description:
          - Test mode (C(t=y), RFC 9989); V(false) removes the tag. Switching it on at the same policy is a
            downgrade.
        type: bool
      pct:
        description:
          - Legacy RFC 7489 C(pct), removed by RFC 9989; refused unless O(dmarc.legacy_tags=true).
        type: int
      legacy_tags:
        description:
          - Allow writing the legacy C(pct) tag.
        type: bool
        default: false
      migrate_legacy:
        description:
          - Migrate published C(pct) / C(rf) / C(ri) tags to RFC 9989 (C(pct) below 100 becomes C(t=y)), as in
            M(deliverability.ses.dmarc).
        type: bool
        default: false
      rua:
        description:
          - Aggregate report URIs (a bare address becomes a C(mailto:) URI).
        type: list
        elements: str
      ruf:
        description:
          - Failure report URIs.
        type: list
        elements: str
      adkim:
        description:
          - DKIM alignment, relaxed or strict.
        type: str
        choices: [r, s]
      aspf:
        description:
          - SPF alignment, relaxed or strict.
        type: str
        choices: [r, s]
      fo:
        description:
          - Failure reporting options.
        type: str
      allow_downgrade:
        description:
          - Allow a weaker policy than the published one. Without it a weakening is refused (the published
            policy stays) and reported in C(dmarc.downgrades) of the domain's result.
        type: bool
        default: false
      advance:
        description:
          - Move each domain one stage further along O(dmarc.stages), when the evidence gate opens for it (the
            same gate and thresholds, O(gate), as M(deliverability.ses.dmarc)). The decision is in the domain's
            C(dmarc.gate) result, a warning when shut, and the audit log.
        type: bool
        default: false
      require_evidence:
        description:
          - With V(false), O(dmarc.advance) moves one stage per run without asking the evidence gate.
        type: bool
        default: true
      stages:
        description:
          - The stages for O(dmarc.advance). Default C(none), C(quarantine; t=y), C(quarantine), C(reject; t=y),
            C(reject).
        type: list
        elements: dict
        suboptions:
          policy:
            description:
              - The policy of the stage.
            type: str
            required: true
            choices: [none, quarantine, reject]
          test_mode:
            description:
              - Whether the stage publishes C(t=y).
            type: bool
            default: false
          pct:
            description:
              - Legacy C(pct) of the stage (needs O(dmarc.legacy_tags=true)).
            type: int
      external_destinations:
        description:
          - V(check) looks up the C(<domain>._report._dmarc.<destination>) authorisation of every O(dmarc.rua) /
            O(dmarc.ruf) destination outside the domain (through O(resolvers)) and warns about missing ones;
            V(ignore) does not.
        type: str
        choices: [check, ignore]
        default: check
  dns_ttl:
    description:
      - The TTL of records this module creates. Existing records keep their TTL.
    type: int
    default: 1800
  workers:
    description:
      - How many domains are handled at the same time (threads sharing one client per service).
    type: int
    default: 8
  fail_on_error:
    description:
      - Whether the task fails when at least one domain failed. The other domains are handled either way
        and every result is returned.
    type: bool
    default: true
  retry_mode:
    description:
      - botocore retry mode of the DNS provider's clients (Route 53). SES calls do not use it; they go through
        the collection's adaptive limiter, which paces each SES operation AIMD-style when SES throttles and
        retries throttled calls until they succeed (up to 15 minutes each), so a large fleet finishes at the
        rate AWS allows with no failed domain.
    type: str
    choices: [standard, adaptive]
    default: adaptive
notes:
  - Supports check mode (an audit with no write call) and diff mode (one diff per changed domain).
  - Identities that do not exist are created; this module never deletes an identity or a record other than
    replacing the values of the rrsets it manages (CNAME, MAIL FROM MX, SPF and DMARC TXT).
  - SES verifies DKIM and MAIL FROM asynchronously; the result reports each domain's status as read
    (C(identity.dkim_status)); run again (or use M(deliverability.ses.email_auth_check)) to see it change.
"""

EXAMPLES = r"""
- name: Enforce the policy on every domain of the fleet, records through RFC 2136
  deliverability.ses.domain_policy:
    domains: "{{ fleet_domains }}"
    provider: rfc2136
    server: ns1.example.com
    key_name: ansible
    key_secret: "{{ vault_tsig_secret }}"
    mail_from_subdomain: bounce
    configuration_set: default
    dmarc:
      policy: quarantine
      rua: [dmarc-reports@example.com]

- name: Audit (no writes) - the drift of each domain is in the result
  deliverability.ses.domain_policy:
    domains:
      - shop.example.com
      - name: news.example.com
        dmarc: {policy: none}
    zone: example.com
    provider: route53
    dmarc: {policy: reject}
  check_mode: true
  register: audit

- name: Send from eu-west-1 too - DEED replicas of the us-east-1 identities, no new DNS record
  deliverability.ses.domain_policy:
    domains: "{{ fleet_domains }}"
    region: us-east-1
    regions: [us-east-1, eu-west-1]
    provider: route53

- name: Move every domain one DMARC stage further (never backwards)
  deliverability.ses.domain_policy:
    domains: "{{ fleet_domains }}"
    provider: route53
    dmarc: {advance: true}
"""

RETURN = r"""
domains:
  description:
    - One result per domain, in the order given; with O(return_domains=attention) (the default above 100
      domains) only the domains that changed, failed, warned or are not fully verified.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain (normalised).
      type: str
    zone:
      description: The DNS zone of its records.
      type: str
    changed:
      description: Whether this domain changed (or would change, in check mode).
      type: bool
    tenant:
      description: With O(tenant.name) - C(name), C(before) and C(after) (the tenants the identity is in),
        C(attach) and C(detach) (C(<tenant> <resource ARN>), done or, in check mode, planned) and C(drift) (in
        words).
      type: dict
    regions:
      description: With O(regions), per replica region - C(exists), C(origin) (the DKIM signing origin),
        C(dkim_status), C(verified_for_sending), C(configuration_set) as after the run (as read, in check mode),
        C(actions) (done or, in check mode, planned), C(findings) (of the replica as after the run), C(waiting)
        (why a missing replica is not created yet) and C(tenant).
      type: dict
    failed:
      description: Whether this domain failed; C(msg) says why.
      type: bool
    msg:
      description: The error of a failed domain, with the operation and error code or DNS rcode.
      type: str
    actions:
      description: The SES operations applied (or planned, in check mode); in a replica region of O(regions)
        C(<operation> in <region>).
      type: list
      elements: str
    dns_changes:
      description: The rrset changes, as in M(deliverability.ses.dns_records).
      type: list
      elements: dict
    identity:
      description: C(exists), C(verified_for_sending), C(dkim_status), C(mail_from_status) as read or set.
      type: dict
    spf:
      description: The SPF C(record) after the run, the C(previous) one and the C(lookups) counted.
      type: dict
    dmarc:
      description: The DMARC C(record), C(previous), C(downgrades), C(downgrade_refused), C(stage) and
        C(report_authorizations) (as in M(deliverability.ses.dmarc)).
      type: dict
    rule:
      description: For a domain the policy refused (nothing of it was written), the rule that refused it,
        for example C(spf_lookup_limit), C(spf_permerror), C(spf_unverified).
      type: str
    dkim_records_pending:
      description: True when the identity does not exist yet in check mode, so its DKIM tokens are unknown.
      type: bool
    diff:
      description: In diff mode, the domain's C(before) / C(after) (SES settings and DNS rrsets), when it changed.
      type: dict
    warnings:
      description: Warnings about this domain (a refused DMARC downgrade, ...).
      type: list
      elements: str
unchanged_domains:
  description: The domains left out of RV(domains) by O(return_domains=attention) (nothing to report for them).
  returned: when O(return_domains) resolves to V(attention)
  type: list
  elements: str
return_domains:
  description: What O(return_domains) resolved to for this run, V(all) or V(attention).
  returned: always
  type: str
results_path:
  description: The absolute path of the file every domain's full result was written to.
  returned: when O(results_path) is given
  type: str
summary:
  description: Counts of domains C(total), C(changed), C(failed), C(ok).
  returned: always
  type: dict
  sample: {total: 1000, changed: 3, failed: 0, ok: 1000}
failed_domains:
  description: The domains that failed.
  returned: always
  type: list
  elements: str
tenants:
  description: C(read) (tenants read), C(created) (tenants created, or to create in check mode), C(policy_set)
    (C(tenant), C(before), C(after)); with a tenant, C(read_by) - C(process) when check mode read the tenants in a
    reader process, C(threads) when the module read them itself, C(threads (the reader process gave no answer)).
  returned: always
  type: dict
regions:
  description: C(primary), C(replicas) (every replica region of the run) and per replica region in C(regions) the
    counts C(domains), C(listed) (identities listed there), C(created), C(configuration_set_set), C(mail_from_set),
    C(waiting_for_primary) and of the findings C(missing), C(pending), C(wrong_parent), C(own_keys),
    C(configuration_set_missing), C(mail_from_missing), C(mail_from_different) (with C(tenants) when a domain there
    has a tenant), and C(read_by) - C(process) when check mode read the region in a reader process, C(threads) when
    the module read it itself, C(threads (the reader process gave no answer)).
  returned: always
  type: dict
api_calls:
  description: The AWS API calls of this run by operation (retries not counted).
  returned: always
  type: dict
  sample: {GetEmailIdentity: 1000, ListEmailIdentities: 1}
writes:
  description:
    - Every write call that succeeded, in order, also when some domains failed - C({domain, operation}) for
      SES, C({tenant, operation}) or C({domain, tenant, operation}) for tenants, C({zone, operation, domains,
      changes}) for a DNS batch (C(ChangeResourceRecordSets) or an RFC 2136
      C(UPDATE)); a write in a replica region of O(regions) has C(region) too.
  returned: always
  type: list
  elements: dict
zone_lines:
  description: With O(provider=none), the rrsets to publish by hand, in zone-file syntax, every domain
    together (empty with the other providers, which write them).
  returned: always
  type: list
  elements: str
stats:
  description: C(workers), C(elapsed_seconds) of the run inside the module, the module process's
    C(peak_rss_kb), and C(throttling) - per SES operation the calls made, throttled answers, pace decreases,
    the lowest and final pace in calls per second (null while SES never throttled) and the peak of calls in flight.
  returned: always
  type: dict
"""

import copy

from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import EVIDENCE_SPEC, GATE_SPEC
from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import DNS_PROVIDER_ARGUMENT_SPEC
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet import run_domain_policy
from ansible_collections.deliverability.ses.plugins.module_utils.runners import fleet_output
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet_specs import ARGUMENT_SPEC
from ansible_collections.deliverability.ses.plugins.module_utils import validate

MAX_WORKERS = 64


def _checked(module, partial):
    """The fleet-wide options, checked before any call (per-domain entries are checked by the planner)."""
    p = module.params
    validate.ttl(p["dns_ttl"], "dns_ttl")
    validate.count(p["workers"], "workers", maximum=MAX_WORKERS)
    if p["configuration_set"]:
        validate.aws_name(p["configuration_set"], "configuration_set", "configuration_set")
    if p["mail_from_subdomain"]:
        validate.dns_name(p["mail_from_subdomain"], "mail_from_subdomain")
    fleet_output.prepare(p)
    try:
        return fleet_output.finish(p, run_domain_policy(module, partial), module.check_mode)
    except DeliverabilityError:
        if partial.get("domains") is not None:
            fleet_output.finish(p, partial, module.check_mode)
        raise


def main():
    spec = dict(DNS_PROVIDER_ARGUMENT_SPEC)
    spec.update(copy.deepcopy(ARGUMENT_SPEC))  # AnsibleModule fills suboptions into the default dicts in place
    spec.update(EVIDENCE_SPEC)
    spec.update(GATE_SPEC)
    spec.update(fleet_output.OUTPUT_SPEC)
    spec["domains"] = dict(spec["domains"], required=False)  # or domains_file
    module = SesModule(argument_spec=spec, supports_check_mode=True, required_one_of=[["domains", "domains_file"]])
    run_module(module, lambda partial: _checked(module, partial))


if __name__ == "__main__":
    main()
