# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: replica_mail_from_domain
short_description: The MAIL FROM domain of a replica identity in another region
version_added: 0.1.0
description:
  - Returns the MAIL FROM domain a DEED replica in O(region) uses - the first label of the primary's MAIL FROM
    domain with C(-<region>) appended, the rest unchanged (C(mail.example.com) in C(eu-west-1) gives
    C(mail-eu-west-1.example.com)).
  - SES asks that the MX of a MAIL FROM domain be the feedback endpoint of the region that sends, and that MX must be
    the only one of the name, so each region needs a name of its own. The same function names it for the
    C(deliverability.ses.domain) role and M(deliverability.ses.domain_policy), without any SES or DNS access.
options:
  _input:
    description: The primary's MAIL FROM domain (C(mail.example.com)).
    type: str
    required: true
  region:
    description: The replica's SES region (C(eu-west-1)).
    type: str
    required: true
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: The MAIL FROM domain of the eu-west-1 replica of example.com
  ansible.builtin.debug:
    msg: "{{ 'mail.example.com' | deliverability.ses.replica_mail_from_domain('eu-west-1') }}"

- name: Its records (MX to the eu-west-1 feedback endpoint, SPF)
  ansible.builtin.debug:
    msg: >-
      {{ 'mail.example.com' | deliverability.ses.replica_mail_from_domain('eu-west-1')
         | deliverability.ses.mail_from_records('eu-west-1') }}
"""

RETURN = r"""
_value:
  description: The replica's MAIL FROM domain, lower case, without a trailing dot.
  type: str
"""

from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import (
    replica_mail_from_domain as name_of,
)
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors, refuse


def replica_mail_from_domain(domain, region=None):
    if not region:
        refuse("replica_mail_from_domain", "region is required (each region's replica has its own MAIL FROM name)")
    with filter_errors("replica_mail_from_domain"):
        return name_of(domain, region)


class FilterModule:
    def filters(self):
        return {"replica_mail_from_domain": replica_mail_from_domain}
