#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mail_from
short_description: Set or remove the custom MAIL FROM domain of an SES v2 identity
version_added: 0.1.0
description:
  - Sets the MAIL FROM (Return-Path) subdomain of an existing identity so SPF aligns with the From domain,
    and returns the MX and SPF TXT records that subdomain needs as data (RV(dns_records)).
  - The identity must exist (create it with M(deliverability.ses.email_identity)); one just created in an
    earlier task is retried briefly, as SES may not show it at once.
options:
  identity:
    description:
      - The domain or email address identity. Normalised like M(deliverability.ses.email_identity) does.
    type: str
    required: true
  mail_from_domain:
    description:
      - The MAIL FROM domain, a subdomain of the identity's domain (for example C(bounce.example.com)).
        Required with O(state=present). Normalised (case, trailing dot, IDN to punycode).
    type: str
  behavior_on_mx_failure:
    description:
      - What SES does when the MX record is missing; V(USE_DEFAULT_VALUE) falls back to
        C(amazonses.com), V(REJECT_MESSAGE) refuses to send.
    type: str
    choices: [USE_DEFAULT_VALUE, REJECT_MESSAGE]
    default: USE_DEFAULT_VALUE
  state:
    description:
      - V(present) sets the MAIL FROM domain, V(absent) removes it (SES then uses its own domain).
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until SES reports the MAIL FROM status V(SUCCESS) (it found the MX). On timeout the task fails
        with the last status and whether the MX is visible in DNS.
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
    description: Shows the MAIL FROM domain and behaviour before and after.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Custom MAIL FROM for example.com
  deliverability.ses.mail_from:
    identity: example.com
    mail_from_domain: bounce.example.com
    behavior_on_mx_failure: REJECT_MESSAGE
  register: mf

- name: Show the MX and SPF the subdomain needs
  ansible.builtin.debug:
    var: mf.dns_records

- name: Back to SES's default MAIL FROM
  deliverability.ses.mail_from:
    identity: example.com
    state: absent
"""

RETURN = r"""
dns_records:
  description:
    - The records the MAIL FROM domain needs (empty with O(state=absent)), in exactly the shape
      O(deliverability.ses.dns_records#module:records) takes. The MX is C(exclusive) (SES's feedback host must
      be the only MX of the MAIL FROM domain). Publish the TXT through M(deliverability.ses.spf) when the name
      may already have an SPF record, so the two are merged instead of doubled.
  returned: always
  type: list
  elements: dict
  sample:
    - name: bounce.example.com
      type: MX
      values: ["10 feedback-smtp.us-east-1.amazonses.com"]
      ttl: 1800
      exclusive: true
    - name: bounce.example.com
      type: TXT
      values: ["v=spf1 include:amazonses.com ~all"]
      ttl: 1800
status:
  description: MAIL FROM status (PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE), null without a MAIL FROM domain.
  returned: always
  type: str
  sample: PENDING
mail_from:
  description: The MAIL FROM attributes (domain, status, behavior_on_mx_failure) after the change.
  returned: always
  type: dict
identity:
  description: The identity as SES reports it (before the change in check mode).
  returned: always
  type: dict
actions:
  description: The SES operations applied (in check mode, those that would be).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.identity import run_mail_from
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec


def main():
    module = SesModule(
        argument_spec=dict(
            identity=dict(type="str", required=True),
            mail_from_domain=dict(type="str"),
            behavior_on_mx_failure=dict(type="str", choices=["USE_DEFAULT_VALUE", "REJECT_MESSAGE"],
                                        default="USE_DEFAULT_VALUE"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=300),
            resolvers=resolvers_spec(),
            dns_ttl=dict(type="int", default=1800),
        ),
        required_if=[("state", "present", ("mail_from_domain",))],
        supports_check_mode=True,
    )
    run_module(module, lambda partial: run_mail_from(module, partial))


if __name__ == "__main__":
    main()
