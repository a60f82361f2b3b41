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
      description: DKIM status, tokens, origin (AWS_SES or EXTERNAL), key lengths and last key generation.
      type: dict
    mail_from:
      description: Custom MAIL FROM domain, its status and the behaviour on MX failure.
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
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_identity
from ansible_collections.deliverability.ses.plugins.module_utils import sesv2


def main():
    module = SesModule(
        argument_spec=dict(
            identity=dict(type="str"),
            identities=dict(type="list", elements="str"),
            details=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("identity", "identities")],
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        client = module.client("sesv2")
        if p["identity"] is not None or p["identities"] is not None:
            names = [p["identity"]] if p["identity"] is not None else p["identities"]
            names = [normalize_identity(n, "identity" if p["identity"] is not None else "identities") for n in names]
        else:
            listed = sesv2.list_identities(client)
            if not p["details"]:
                return dict(changed=False, identities=[dict(item, exists=True) for item in listed])
            names = [item["identity"] for item in listed]
        result = []
        for name in names:
            ident = sesv2.get_identity(client, name)
            result.append(dict(ident, exists=True) if ident else {"identity": name, "exists": False})
        return dict(changed=False, identities=result)

    run_module(module, body)


if __name__ == "__main__":
    main()
