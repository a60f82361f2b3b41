# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # The SES verification wait and the TTL of the records an identity module returns (email_identity, mail_from).
    DOCUMENTATION = r"""
options:
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 300
  dns_ttl:
    description:
      - TTL given with the records in RV(dns_records).
    type: int
    default: 1800
"""
