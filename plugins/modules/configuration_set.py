#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: configuration_set
short_description: Create, update or delete an SES v2 configuration set
version_added: 0.1.0
description:
  - Manages a configuration set's suppression options, reputation metrics, sending switch, TLS policy and tags.
  - Options left unset are not managed; the module changes only what differs, one API call per attribute.
  - Event destinations are managed with M(deliverability.ses.configuration_set_event_destination).
options:
  name:
    description:
      - Name of the configuration set (1 to 64 letters, digits, V(_) or V(-)).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the set; V(absent) deletes it with its event destinations.
    type: str
    choices: [present, absent]
    default: present
  suppressed_reasons:
    description:
      - Reasons for which mail sent through this set is not sent to addresses on the account's suppression list.
      - V([]) disables suppression for this set, overriding the account. This differs from leaving the option
        unset, which leaves the set's setting as it is (a new set then follows the account setting, see
        M(deliverability.ses.account_suppression)).
    type: list
    elements: str
    choices: [BOUNCE, COMPLAINT]
  reputation_metrics_enabled:
    description:
      - Publish bounce and complaint metrics for this set to CloudWatch.
    type: bool
  sending_enabled:
    description:
      - V(false) pauses sending through this set.
    type: bool
  tls_policy:
    description:
      - V(REQUIRE) delivers only over TLS; V(OPTIONAL) falls back to plain text. The set's sending pool and
        maximum delivery time are kept.
    type: str
    choices: [REQUIRE, OPTIONAL]
  tags:
    description:
      - Tags as a dictionary. Not set, tags are not managed.
    type: dict
  purge_tags:
    description:
      - With O(tags), remove tags that are not listed.
    type: bool
    default: true
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Transactional mail - TLS required, bounces and complaints suppressed, reputation tracked
  deliverability.ses.configuration_set:
    name: transactional
    suppressed_reasons: [BOUNCE, COMPLAINT]
    reputation_metrics_enabled: true
    tls_policy: REQUIRE
    tags:
      team: mail

- name: Password resets must reach even addresses that once complained
  deliverability.ses.configuration_set:
    name: password-reset
    suppressed_reasons: [BOUNCE]

- name: Remove an old set
  deliverability.ses.configuration_set:
    name: legacy
    state: absent
"""

RETURN = r"""
configuration_set:
  description: The set after the run (null once deleted).
  returned: always
  type: dict
  contains:
    name:
      description: The name.
      type: str
    suppressed_reasons:
      description: The set's own reasons, or null when the account's setting applies.
      type: list
      elements: str
    reputation_metrics_enabled:
      description: Whether reputation metrics are published.
      type: bool
    sending_enabled:
      description: Whether sending is enabled.
      type: bool
    tls_policy:
      description: REQUIRE or OPTIONAL.
      type: str
    sending_pool_name:
      description: The dedicated IP pool, if any.
      type: str
    max_delivery_seconds:
      description: Maximum time SES tries to deliver, if set.
      type: int
    tags:
      description: Tags as a dictionary.
      type: dict
changes:
  description: The attributes that were (or in check mode would be) changed.
  returned: always
  type: list
  elements: str
  sample: [suppressed_reasons, tls_policy]
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, call, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.ses import configuration_sets as cs


def main():
    module = SesModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            suppressed_reasons=dict(type="list", elements="str", choices=["BOUNCE", "COMPLAINT"]),
            reputation_metrics_enabled=dict(type="bool"),
            sending_enabled=dict(type="bool"),
            tls_policy=dict(type="str", choices=["REQUIRE", "OPTIONAL"]),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        name = cs.check_name(p["name"], "name")
        want = cs.desired_config_set(p)  # every option checked before the first call
        client = module.client("sesv2")
        current = cs.get_config_set(client, name)
        if p["state"] == "absent":
            result = dict(changed=current is not None, configuration_set=None,
                          changes=["deleted"] if current else [], diff=dict(before=current or {}, after={}))
            if current and not module.check_mode:
                call(client, "DeleteConfigurationSet", ConfigurationSetName=name)
            return result
        if current is None:
            after = cs.after_state({"name": name, "tls_policy": "OPTIONAL", "reputation_metrics_enabled": False,
                                    "sending_enabled": True, "suppressed_reasons": None, "tags": {},
                                    "sending_pool_name": None, "max_delivery_seconds": None}, want)
            result = dict(changed=True, configuration_set=after, changes=["created"],
                          diff=dict(before={}, after=after))
            if module.check_mode:
                return result
            call(client, "CreateConfigurationSet", **cs.create_request(name, want))
            partial.update(changed=True, changes=["created"])
            return dict(result, configuration_set=cs.get_config_set(client, name) or after)
        changes = cs.config_set_changes(current, want, p["purge_tags"])
        after = cs.after_state(current, want, p["purge_tags"])
        result = dict(changed=bool(changes), configuration_set=after if changes else current,
                      changes=sorted(changes), diff=dict(before=current, after=after))
        if not changes or module.check_mode:
            return result
        done = []
        partial.update(changes=done)

        def arn():
            account = call(module.client("sts"), "GetCallerIdentity")["Account"]
            return "arn:aws:ses:%s:%s:configuration-set/%s" % (client.meta.region_name, account, name)

        try:
            cs.apply_changes(client, name, current, changes, arn, done)
        finally:
            partial["changed"] = bool(done)
        return dict(result, configuration_set=cs.get_config_set(client, name))

    run_module(module, body)


if __name__ == "__main__":
    main()
