#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: multi_region_endpoint_info
short_description: Read the SES multi-region (global) endpoints of a region
version_added: 0.3.0
description:
  - Every multi-region endpoint whose primary region is the module's O(region) (all pages), or the one named.
  - P(deliverability.ses.multi_region_endpoint#module) creates and deletes them.
options:
  name:
    description: One endpoint. One that does not exist gives an empty list.
    type: str
extends_documentation_fragment:
  - deliverability.ses.aws
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: The global endpoints of us-east-1
  deliverability.ses.multi_region_endpoint_info:
    region: us-east-1
  register: endpoints
"""

RETURN = r"""
endpoints:
  description: Each endpoint - C(name), C(id) (the C(EndpointId) to send with), C(status), C(regions) (primary
    first), C(created), C(updated).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners.endpoints import run_multi_region_endpoint_info


def main():
    module = SesModule(argument_spec=dict(name=dict(type="str")), supports_check_mode=True)
    run_module(module, lambda partial: run_multi_region_endpoint_info(module, partial))


if __name__ == "__main__":
    main()
