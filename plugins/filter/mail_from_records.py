# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: mail_from_records
short_description: The MX and SPF records a custom MAIL FROM domain needs
version_added: 0.1.0
description:
  - Returns the records C(<mail from domain>) MX C(10 feedback-smtp.<region>.amazonses.com) (exclusive) and TXT
    C(v=spf1 include:amazonses.com ~all), in the shape M(deliverability.ses.dns_records) takes - the same function
    M(deliverability.ses.mail_from) renders them with, without any SES or DNS access (for example to show in check
    mode what a MAIL FROM domain of an identity not created yet will need).
options:
  _input:
    description: The MAIL FROM domain (C(mail.example.com)).
    type: str
    required: true
  region:
    description: The SES region whose feedback endpoint the MX names.
    type: str
    required: true
  ttl:
    description: TTL put in each record.
    type: int
    default: 1800
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: The MAIL FROM records of mail.example.com in eu-west-1
  ansible.builtin.debug:
    msg: "{{ 'mail.example.com' | deliverability.ses.mail_from_records('eu-west-1') }}"
"""

RETURN = r"""
_value:
  description: The MX record (exclusive) and the SPF TXT record.
  type: list
  elements: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import DEFAULT_TTL
from ansible_collections.deliverability.ses.plugins.module_utils.policy.identity import mail_from_records as render
from ansible_collections.deliverability.ses.plugins.plugin_utils.filter_errors import filter_errors, refuse


def mail_from_records(domain, region=None, ttl=DEFAULT_TTL):
    if not region:
        refuse("mail_from_records", "region is required (the MX names the region's feedback host)")
    with filter_errors("mail_from_records"):
        return render(domain, region, ttl)


class FilterModule:
    def filters(self):
        return {"mail_from_records": mail_from_records}
