# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: classify_notification
short_description: Parse and classify an Amazon SES bounce, complaint or delivery notification
version_added: 0.1.0
description:
  - Accepts an SES identity notification (C(notificationType)) or a configuration-set event (C(eventType)), raw or
    wrapped in the SNS envelope (C(Message) as a JSON string), as a dictionary or a JSON string.
  - Every recipient gets a C(class) (V(hard), V(suppressed), V(soft), V(undetermined), V(complaint), V(delivery),
    V(delivery_delay) or V(unknown)) and an C(action) (V(suppress), V(retry), V(review) or V(none)).
  - Where SES says only C(General) or C(Undetermined), the SMTP status (5.1.1, 5.1.2, 5.2.1 are hard; any 4.x.x
    is soft) or the diagnostic code refine the class.
  - Never fails; malformed or unknown input comes back with C(valid=false) and an C(error).
positional: _input
options:
  _input:
    description: The notification, as a dictionary or a JSON string.
    type: raw
    required: true
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Classify a notification received from SQS
  ansible.builtin.debug:
    msg: "{{ item.Body | deliverability.ses.classify_notification }}"
  loop: "{{ received.messages }}"

- name: Addresses to remove from a mailing list
  ansible.builtin.set_fact:
    to_remove: >-
      {{ (notification | deliverability.ses.classify_notification).recipients
         | selectattr('action', 'equalto', 'suppress') | map(attribute='email') | list }}
"""

RETURN = r"""
_value:
  description:
    - C(valid), C(error), C(kind) (bounce, complaint, delivery, delivery_delay, send, open, ...), C(form)
      (notification or event), C(wrapped), C(message_id), C(feedback_id), C(timestamp) and C(recipients), a list
      of dictionaries with C(email), C(class), C(action), C(sub_type), C(reason), C(status), C(smtp_status),
      C(diagnostic_code), C(refined) and C(key) (the idempotency key of that recipient's event).
  type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.formats.notifications import classify


def classify_notification(value):
    return classify(value)


class FilterModule:
    def filters(self):
        return {"classify_notification": classify_notification}
