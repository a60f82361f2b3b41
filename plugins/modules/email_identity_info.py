#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: email_identity_info
short_description: Read SES v2 email identities (domains and addresses)
version_added: 0.1.0
description:
  - Returns one identity, a list of identities, or every identity of the account (all pages).
  - With O(identities) or O(identity), each identity is read in full (DKIM, MAIL FROM, configuration set, tags).
    Without them, the account's listing is returned; set O(details=true) to read each in full too.
options:
  identity:
    description:
      - One domain or email address. Domains are normalised (case, trailing dot, IDN to punycode).
    type: str
  identities:
    description:
      - Several identities read in one call, for fleet audits. Unknown identities are returned with C(exists=false).
    type: list
    elements: str
  details:
    description:
      - When listing every identity, also read each one in full.
    type: bool
    default: false
  notifications:
    description:
      - Also read the SES v1 per-identity notification topics (bounce, complaint, delivery) of the identities
        read in full, 100 identities per call.
    type: bool
    default: false
  dns_ttl:
    description:
      - TTL given with the records in each identity's C(dns_records).
    type: int
    default: 1800
  account:
    description:
      - Also return RV(account) - the AWS account the credentials belong to (one STS C(GetCallerIdentity), which
        needs no IAM permission) and the region asked - so a caller can key what it keeps by account and region.
    type: bool
    default: false
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Read one domain identity
  deliverability.ses.email_identity_info:
    identity: example.com
  register: ident

- name: List every identity of the account
  deliverability.ses.email_identity_info:
  register: all_identities

- name: Audit several domains in one call
  deliverability.ses.email_identity_info:
    identities: [example.com, example.org]
"""

RETURN = r"""
account:
  description: The account and region the identities were read in (with O(account=true)).
  returned: when O(account=true)
  type: dict
  contains:
    id:
      description: The AWS account ID.
      type: str
      sample: "123456789012"
    region:
      description: The SES region.
      type: str
      sample: eu-west-1
identities:
  description: The identities, in the order asked for (or as SES lists them).
  returned: always
  type: list
  elements: dict
  contains:
    identity:
      description: The normalised identity name.
      type: str
      sample: example.com
    exists:
      description: Whether SES knows the identity.
      type: bool
    identity_type:
      description: DOMAIN, EMAIL_ADDRESS or MANAGED_DOMAIN.
      type: str
    verified_for_sending:
      description: Whether SES lets the identity send.
      type: bool
    verification_status:
      description: PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED.
      type: str
    dkim:
      description: DKIM settings and status, as SES reports them.
      type: dict
      contains:
        status:
          description: PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED.
          type: str
        signing_enabled:
          description: Whether SES signs with DKIM.
          type: bool
        mode:
          description: C(easy) (origin AWS_SES) or C(byodkim) (origin EXTERNAL).
          type: str
        origin:
          description: SigningAttributesOrigin as SES reports it.
          type: str
        tokens:
          description: Easy DKIM tokens, or the BYODKIM selector.
          type: list
          elements: str
        current_key_length:
          description: Length of the Easy DKIM key in use.
          type: str
        next_key_length:
          description: Length of the key SES generates at its next rotation.
          type: str
        key_length_change_pending:
          description: Whether the next rotation changes the key length.
          type: bool
        last_key_generation:
          description: When SES last generated (rotated) the Easy DKIM key, ISO 8601.
          type: str
        signing_host_zone:
          description: The SES signing hosted zone, when reported.
          type: str
    mail_from:
      description: Custom MAIL FROM domain, its status and the behaviour on MX failure.
      type: dict
      contains:
        domain:
          description: The MAIL FROM domain, or null.
          type: str
        status:
          description: PENDING, SUCCESS, FAILED or TEMPORARY_FAILURE; null without a MAIL FROM domain.
          type: str
        behavior_on_mx_failure:
          description: USE_DEFAULT_VALUE or REJECT_MESSAGE.
          type: str
    verification_info:
      description: Why SES has not verified a domain (SES's VerificationInfo); null when SES sent none.
      type: dict
      contains:
        error_type:
          description: HOST_NOT_FOUND, TYPE_NOT_FOUND, INVALID_VALUE, DNS_SERVER_ERROR, SERVICE_ERROR or a
            REPLICATION_ error; null once verified.
          type: str
        last_checked:
          description: When SES last looked at the domain's DNS, ISO 8601.
          type: str
        last_success:
          description: When SES last found the records, ISO 8601.
          type: str
        soa:
          description: The SOA SES saw - C(primary_name_server), C(admin_email), C(serial_number).
          type: dict
    dns_records:
      description:
        - The records the identity needs (Easy DKIM CNAMEs, MAIL FROM MX and SPF TXT) in the shape
          M(deliverability.ses.email_identity) returns, which is what O(deliverability.ses.dns_records#module:records)
          takes. A BYODKIM TXT is not included (SES does not return the key).
      type: list
      elements: dict
    notifications:
      description: With O(notifications=true), topic and include_headers per notification type.
      type: dict
    configuration_set:
      description: The default configuration set of the identity.
      type: str
    feedback_forwarding:
      description: Whether bounces and complaints are forwarded by email.
      type: bool
    tags:
      description: Tags as a dictionary.
      type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.identity import run_identity_info


def main():
    module = SesModule(
        argument_spec=dict(
            identity=dict(type="str"),
            identities=dict(type="list", elements="str"),
            details=dict(type="bool", default=False),
            notifications=dict(type="bool", default=False),
            dns_ttl=dict(type="int", default=1800),
            account=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("identity", "identities")],
        supports_check_mode=True,
    )

    run_module(module, lambda partial: run_identity_info(module, partial))


if __name__ == "__main__":
    main()
