# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  region:
    description:
      - The AWS region, for example C(eu-west-1).
      - Falls back to the E(AWS_REGION) or E(AWS_DEFAULT_REGION) environment variable, then to the profile.
    type: str
    aliases: [aws_region]
  profile:
    description:
      - A named profile from the AWS shared configuration and credentials files.
      - Falls back to E(AWS_PROFILE).
      - Not to be combined with O(access_key) / O(secret_key).
    type: str
    aliases: [aws_profile]
  access_key:
    description:
      - AWS access key ID. Falls back to E(AWS_ACCESS_KEY_ID).
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - AWS secret access key. Falls back to E(AWS_SECRET_ACCESS_KEY). Never logged.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - AWS session token for temporary credentials. Falls back to E(AWS_SESSION_TOKEN). Never logged.
    type: str
    aliases: [aws_session_token]
  endpoint_url:
    description:
      - URL to send every API call of this module to instead of the public AWS endpoint, for example
        the project's SES sandbox. All services the module calls use it. Falls back to E(AWS_ENDPOINT_URL).
    type: str
    aliases: [aws_endpoint_url]
  aws_ca_bundle:
    description:
      - A CA bundle to verify the endpoint's certificate with. Falls back to E(AWS_CA_BUNDLE).
    type: path
  validate_certs:
    description:
      - When V(false), TLS certificates are not verified. Only for test endpoints.
    type: bool
    default: true
  retry_mode:
    description:
      - botocore retry mode. V(standard) retries throttling errors and HTTP 5xx with jittered
        exponential back-off; V(adaptive) adds client-side rate limiting when throttled.
    type: str
    choices: [standard, adaptive]
    default: standard
  max_attempts:
    description:
      - Total attempts per API call, the first included, before an error is reported.
    type: int
    default: 8
  aws_config:
    description:
      - Advanced botocore client settings, as a dictionary of
        L(botocore.config.Config,https://botocore.amazonaws.com/v1/documentation/api/latest/reference/config.html)
        parameters (for example C(connect_timeout) 5, C(read_timeout) 120, C(proxies) with an C(https) proxy URL),
        as amazon.aws's O(aws_config). Keys given here win over the collection's own settings (O(retry_mode),
        O(max_attempts), timeouts).
    type: dict
notes:
  - "Every option above can be set once per play through the action group:
    C(module_defaults) with C(group/deliverability.ses.ses)."
  - "C(module_defaults) for C(group/aws) (amazon.aws) do B(not) apply to this collection, which does not depend on
    amazon.aws: a play that sets the region only there runs these modules in the environment's region. Set them for
    C(group/deliverability.ses.ses) too, or through E(AWS_REGION) / E(AWS_PROFILE)."
  - Errors from AWS are reported with the API operation and the AWS error code.
requirements:
  - python >= 3.9
  - boto3
  - botocore
"""
