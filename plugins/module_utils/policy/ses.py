# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What SES asks of DNS and of names, spelled once: every module, planner and check reads it from here.

Pure constants and tiny functions; imports nothing but the SPF constants.
"""

from __future__ import annotations

import re

from ansible_collections.deliverability.ses.plugins.module_utils.policy.spf import SES_INCLUDE, SES_INCLUDE_DOMAIN

# the SPF include that authorises SES's sending addresses (defined in policy.spf, re-exported here)
SPF_INCLUDE = SES_INCLUDE
# Easy DKIM: <token>._domainkey.<domain> CNAME <token>.dkim.amazonses.com
DKIM_CNAME_DOMAIN = "dkim." + SES_INCLUDE_DOMAIN
# the MX of a custom MAIL FROM domain: SES's feedback endpoint of the region, the only MX of that name
MAIL_FROM_MX_PREFERENCE = 10
MAIL_FROM_MX_HOST = "feedback-smtp.%s." + SES_INCLUDE_DOMAIN
# SES configuration set names (CreateConfigurationSet: letters, digits, '_' and '-', at most 64)
# (match it in full: fullmatch, never match with ^...$, which lets "cs\n" through)
CONFIG_SET_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def dkim_target(token):
    return "%s.%s" % (token, DKIM_CNAME_DOMAIN)


def mail_from_mx(region):
    """The MX value (``10 feedback-smtp.<region>.amazonses.com``) of a MAIL FROM domain."""
    return "%d %s" % (MAIL_FROM_MX_PREFERENCE, MAIL_FROM_MX_HOST % region)
