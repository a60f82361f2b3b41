#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: email_identity
short_description: Manage an SES v2 email identity (domain or address) with Easy DKIM or BYODKIM
version_added: 0.1.0
description:
  - Creates, updates or deletes one SES v2 identity and returns the DNS records it needs as data
    (RV(dns_records)), so a DNS task can publish them without building strings in YAML.
  - Domain identities sign with Easy DKIM (three CNAMEs to C(dkim.amazonses.com)) or with your own key
    (BYODKIM, one selector TXT). Switching between the two works both ways.
  - Every option is validated before the first API call, so bad input never leaves a half-created identity.
  - Options that are not given are left as they are on an existing identity.
options:
  identity:
    description:
      - The domain or email address. Domains are normalised (case, trailing dot, IDN to punycode);
        in an address only the domain part is.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the identity, V(absent) deletes it (only with O(confirm_delete=true)).
    type: str
    choices: [present, absent]
    default: present
  confirm_delete:
    description:
      - Confirm that O(state=absent) may delete an existing identity. Deleting an identity stops all
        sending from it at once and drops its DKIM keys, MAIL FROM setup and notification topics, so the
        module refuses (in check mode too) unless this is V(true). An identity that does not exist needs
        no confirmation.
    type: bool
    default: false
  dkim:
    description:
      - DKIM settings. For email address identities only O(dkim.signing_enabled) applies.
    type: dict
    suboptions:
      mode:
        description:
          - V(easy) lets SES generate and rotate the key (Easy DKIM); V(byodkim) signs with O(dkim.private_key).
          - When omitted, a new domain identity uses Easy DKIM and an existing one keeps its mode.
        type: str
        choices: [easy, byodkim]
      key_length:
        description:
          - Easy DKIM key length. New identities get V(RSA_2048_BIT) when omitted.
          - On an existing identity a change sets the length of the next key (SES rotates to it); SES allows
            one such change per identity per day and the module reports a refusal clearly.
        type: str
        choices: [RSA_1024_BIT, RSA_2048_BIT]
      signing_enabled:
        description:
          - Whether SES signs the identity's mail with DKIM.
        type: bool
      selector:
        description:
          - BYODKIM selector (one DNS label). Required with O(dkim.mode=byodkim).
          - SES does not return the key, so the module replaces the key only when the selector or the mode
            changes; rotate a key by publishing it under a new selector.
        type: str
      private_key:
        description:
          - BYODKIM RSA private key (1024 or 2048 bits), PEM or the bare base64 DER body. Required with
            O(dkim.mode=byodkim). Validated before any call (with python C(cryptography) when installed).
        type: str
      origin_region:
        description:
          - Make the identity a replica, with Deterministic Easy DKIM (DEED), of the identity of the same name in
            this region (the parent), for example V(us-east-1) while the task connects to V(eu-west-1).
          - SES creates it with C(DkimSigningAttributes.DomainSigningAttributesOrigin=AWS_SES_<REGION>)
            (V(AWS_SES_US_EAST_1)). The replica signs with the parent's keys, so it needs no DNS record of its own
            (RV(dns_records) is empty) and it is verified when the parent is.
          - Refused before any write when the region is not one SES has, when it is the region the task connects
            to (O(region)), and when the parent is missing, not verified, signs with BYODKIM or is itself a replica
            (the parent is read in its region).
          - An existing identity is not changed. When it signs with its own keys or is a replica of another
            region, RV(replica.drift) is true and the module warns; SES sets the DEED origin when it creates an
            identity, so delete the identity in this region (O(state=absent), O(confirm_delete=true)) and run
            again to make it a replica.
          - Not with O(dkim.mode), O(dkim.key_length), O(dkim.selector) or O(dkim.private_key); domains only.
        type: str
        version_added: 0.3.0
  configuration_set:
    description:
      - Default configuration set of the identity; it must exist. An empty string removes it.
    type: str
  feedback_forwarding:
    description:
      - Whether SES forwards bounces and complaints by email to the sender / Return-Path.
    type: bool
  tags:
    description:
      - Tags of the identity as a dictionary. Omit to leave tags alone.
    type: dict
  purge_tags:
    description:
      - With O(tags), remove tags that are not listed.
    type: bool
    default: true
  wait:
    description:
      - Wait until the identity is verified (DKIM status V(SUCCESS) for a domain; verification V(SUCCESS)
        for an address), polling with back-off. On timeout the task fails with the last status and the
        records DNS does not show yet.
    type: bool
    default: false
extends_documentation_fragment:
  - deliverability.ses.aws
  - deliverability.ses.resolvers
  - deliverability.ses.identity_wait
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly and makes no write call.
  diff_mode:
    support: full
    description: Shows the managed settings before and after; the private key is never shown.
notes:
  - In check mode a new Easy DKIM identity has no tokens yet, so RV(dns_records) is empty.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Domain identity with Easy DKIM (RSA 2048), records returned for the DNS task
  deliverability.ses.email_identity:
    identity: example.com
    configuration_set: default
    tags:
      team: mail
  register: ident

- name: Publish them as they are (any provider; V(none) only renders the zone-file lines)
  deliverability.ses.dns_records:
    provider: route53
    zone: example.com
    records: "{{ ident.dns_records }}"

- name: Switch to BYODKIM with a 2048-bit key and wait until SES sees the TXT
  deliverability.ses.email_identity:
    identity: example.com
    dkim:
      mode: byodkim
      selector: s2026
      private_key: "{{ lookup('ansible.builtin.file', 'dkim-s2026.key') }}"
    wait: true
    wait_timeout: 600

- name: A replica in eu-west-1 of the verified identity in us-east-1 (DEED, no new DNS record)
  deliverability.ses.email_identity:
    identity: example.com
    region: eu-west-1
    dkim:
      origin_region: us-east-1
    wait: true

- name: Delete the identity (offboarding; refused without confirm_delete)
  deliverability.ses.email_identity:
    identity: example.com
    state: absent
    confirm_delete: true
"""

RETURN = r"""
identity:
  description:
    - The identity as SES reports it after the change (before it, in check mode); null when absent.
  returned: always
  type: dict
  contains:
    identity:
      description: The normalised identity name.
      type: str
      sample: example.com
    identity_type:
      description: DOMAIN or EMAIL_ADDRESS.
      type: str
    verification_status:
      description: PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED.
      type: str
    verified_for_sending:
      description: Whether SES lets the identity send.
      type: bool
    dkim:
      description: DKIM status, tokens, origin (AWS_SES or EXTERNAL), key lengths and last key generation.
      type: dict
    mail_from:
      description: MAIL FROM domain, status and behaviour on MX failure.
      type: dict
    configuration_set:
      description: Default configuration set.
      type: str
    feedback_forwarding:
      description: Whether feedback is forwarded by email.
      type: bool
    tags:
      description: Tags as a dictionary.
      type: dict
replica:
  description:
    - With O(dkim.origin_region), the replica as this run found it, compared with the collection's one rule of a
      correct replica (the posture's region findings).
  returned: when O(dkim.origin_region) is given and O(state=present)
  type: dict
  contains:
    origin_region:
      description: The parent's region, as given.
      type: str
      sample: us-east-1
    origin:
      description: The DKIM signing origin a replica of that region has.
      type: str
      sample: AWS_SES_US_EAST_1
    current_origin:
      description: The signing origin of the identity before this run (null when it did not exist).
      type: str
    drift:
      description: Whether the existing identity signs with its own keys or is a replica of another region.
      type: bool
    findings:
      description: The region findings of the existing identity (missing, pending, own keys, wrong parent).
      type: list
      elements: dict
dns_records:
  description:
    - The DNS records the identity needs (Easy DKIM gives three CNAMEs; BYODKIM one TXT record), in exactly the
      shape O(deliverability.ses.dns_records#module:records) takes, so passing C(ident.dns_records) as
      O(deliverability.ses.dns_records#module:records) publishes them as they are.
    - Each has C(name), C(type), C(ttl) and C(values), one entry per record (CNAME targets, or the whole text of
      the TXT record, which every DNS module splits into strings of at most 255 bytes itself).
  returned: always
  type: list
  elements: dict
  sample:
    - name: abcdef0123._domainkey.example.com
      type: CNAME
      values: [abcdef0123.dkim.amazonses.com]
      ttl: 1800
  contains:
    name:
      description: Owner name, without trailing dot.
      type: str
      sample: abcdef0123._domainkey.example.com
    type:
      description: CNAME or TXT.
      type: str
    ttl:
      description: TTL from O(dns_ttl).
      type: int
actions:
  description: The SES operations applied (in check mode, those that would be).
  returned: always
  type: list
  elements: str
  sample: [CreateEmailIdentity]
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.identity import run_email_identity
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec

ARGUMENT_SPEC = dict(
    identity=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    confirm_delete=dict(type="bool", default=False),
    dkim=dict(type="dict", options=dict(
        mode=dict(type="str", choices=["easy", "byodkim"]),
        key_length=dict(type="str", choices=["RSA_1024_BIT", "RSA_2048_BIT"]),
        signing_enabled=dict(type="bool"),
        selector=dict(type="str"),
        private_key=dict(type="str", no_log=True),
        origin_region=dict(type="str"),
    )),
    configuration_set=dict(type="str"),
    feedback_forwarding=dict(type="bool"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=300),
    resolvers=resolvers_spec(),
    dns_ttl=dict(type="int", default=1800),
)


def main():
    module = SesModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, lambda partial: run_email_identity(module, partial))


if __name__ == "__main__":
    main()
