# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS connection, retries and the one error path every module shares.

Helpers raise :class:`DeliverabilityError` subclasses; only :func:`run_module` turns them into
``fail_json``, so no helper ever exits the module behind its caller's back.
"""

from __future__ import annotations

import random
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

# the error classes live in errors.py (which imports nothing); re-exported here for existing imports
from ansible_collections.deliverability.ses.plugins.module_utils.errors import (  # noqa: F401 pylint: disable=unused-import
    AwsError, DeliverabilityError, DnsError, InputError)

try:
    # botocore alone: boto3's session only wraps botocore's, and importing boto3 also imports s3transfer and its
    # resource layer, which nothing here uses (about 0.1 s of every module run)
    import botocore
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the missing-library test
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()
    BotoCoreError = ClientError = NoCredentialsError = NoRegionError = Exception  # type: ignore

COLLECTION_VERSION = "0.1.0"
PIP_HINT = "pip install -r requirements.txt (boto3, botocore, dnspython) on the host that runs the module"

AWS_ARGUMENT_SPEC = dict(
    region=dict(type="str", aliases=["aws_region"], fallback=(env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"])),
    profile=dict(type="str", aliases=["aws_profile"], fallback=(env_fallback, ["AWS_PROFILE"])),
    access_key=dict(type="str", aliases=["aws_access_key_id", "aws_access_key"], no_log=False,
                    fallback=(env_fallback, ["AWS_ACCESS_KEY_ID"])),
    secret_key=dict(type="str", aliases=["aws_secret_access_key", "aws_secret_key"], no_log=True,
                    fallback=(env_fallback, ["AWS_SECRET_ACCESS_KEY"])),
    session_token=dict(type="str", aliases=["aws_session_token"], no_log=True,
                       fallback=(env_fallback, ["AWS_SESSION_TOKEN"])),
    endpoint_url=dict(type="str", aliases=["aws_endpoint_url"], fallback=(env_fallback, ["AWS_ENDPOINT_URL"])),
    aws_ca_bundle=dict(type="path", fallback=(env_fallback, ["AWS_CA_BUNDLE"])),
    validate_certs=dict(type="bool", default=True),
    retry_mode=dict(type="str", choices=["standard", "adaptive"], default="standard"),
    max_attempts=dict(type="int", default=8),
    aws_config=dict(type="dict"),
)

# Operation names that never change anything; everything else counts as a write for check-mode tests.
READ_PREFIXES = ("Get", "List", "Describe", "Test")


def new_session(access_key=None, secret_key=None, session_token=None, region=None, profile=None):
    """A botocore session set up as ``boto3.session.Session(...)`` sets one up (profile, static credentials,
    region); ``session.create_client(service, ...)`` takes the arguments of boto3's ``session.client``."""
    session = botocore.session.Session()
    if profile is not None:
        session.set_config_variable("profile", profile)
        session.get_scoped_config()  # an unknown profile fails here (ProfileNotFound), as in boto3's Session()
    if access_key or secret_key or session_token:
        session.set_credentials(access_key, secret_key, session_token)
    if region is not None:
        session.set_config_variable("region", region)
    return session


def error_code(exc):
    """The AWS error code of a ClientError, or None."""
    if isinstance(exc, AwsError):
        return exc.code
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code")


def translate(operation, exc):
    """Turn any botocore failure into an AwsError naming the operation."""
    if isinstance(exc, AwsError):
        return exc
    if HAS_BOTO3 and isinstance(exc, NoCredentialsError):
        return AwsError(operation, "NoCredentials",
                        "no AWS credentials found: set access_key/secret_key, profile, or AWS_* variables")
    if HAS_BOTO3 and isinstance(exc, NoRegionError):
        return AwsError(operation, "NoRegion", "no region given: set region or AWS_REGION")
    if HAS_BOTO3 and isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return AwsError(operation, err.get("Code", "Unknown"), err.get("Message", str(exc)), status)
    if HAS_BOTO3 and isinstance(exc, BotoCoreError):
        return AwsError(operation, type(exc).__name__, str(exc))
    return AwsError(operation, type(exc).__name__, str(exc))


def call(client, operation, **params):
    """Call ``operation`` (its API name, e.g. GetEmailIdentity) and translate errors.

    botocore's own retry handler already retries throttling and 5xx with jittered back-off.
    """
    method = getattr(client, botocore.xform_name(operation))
    try:
        return method(**params)
    except Exception as exc:  # noqa: BLE001 - every failure leaves here as an AwsError
        raise translate(operation, exc)


# Which error codes mean "there is no such thing", per service: the one table behind every "get, or None when
# missing" (a code missing here turns an absent resource into a failure; one too many hides a real error).
MISSING = {
    "sesv2": ("NotFoundException",),
    "sns": ("NotFound", "NotFoundException"),
    "dynamodb": ("ResourceNotFoundException",),
}


def is_missing(exc, service="sesv2"):
    """True when ``exc`` is the service's way of saying the resource does not exist."""
    return isinstance(exc, AwsError) and exc.code in MISSING[service]


def get_or_none(client, operation, service="sesv2", caller=None, **params):
    """``operation``'s answer, or None when the service says the resource does not exist; other errors raise.
    ``caller`` replaces :func:`call` (a processor that counts its calls passes its own)."""
    try:
        return (caller or call)(client, operation, **params)
    except AwsError as exc:
        if is_missing(exc, service):
            return None
        raise


def paginate(client, operation, result_key, token_key="NextToken", request_token_key="NextToken", **params):
    """Yield every item of a paginated listing, whatever the page count."""
    while True:
        page = call(client, operation, **params)
        yield from page.get(result_key, [])
        token = page.get(token_key)
        if not token:
            return
        params[request_token_key] = token


def retry_until(fn, retry_codes, timeout=60.0, base=0.2, cap=5.0, sleep=time.sleep):
    """Call fn() until it stops raising an AwsError whose code is in retry_codes.

    For eventual consistency (an identity SES has just created but does not return yet): full-jitter
    exponential back-off, bounded by ``timeout``; the last error propagates.
    """
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        try:
            return fn()
        except AwsError as exc:
            if exc.code not in retry_codes or time.monotonic() >= deadline:
                raise
        delay = random.uniform(0, min(cap, base * (2 ** attempt)))
        attempt += 1
        sleep(min(delay, max(0.0, deadline - time.monotonic())))


def _nul_option(params, prefix=""):
    """The first option whose value holds a NUL character, or None."""
    for key, value in (params or {}).items():
        name = "%s%s" % (prefix, key)
        found = _nul_in(value, name)
        if found:
            return found
    return None


def _nul_in(value, name):
    if isinstance(value, str):
        return name if "\x00" in value else None
    if isinstance(value, dict):
        if any(isinstance(k, str) and "\x00" in k for k in value):
            return name
        return _nul_option(value, name + ".")
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _nul_in(item, "%s[%d]" % (name, index))
            if found:
                return found
    return None


def _new_module(**kwargs):
    """An AnsibleModule that refuses a NUL in any option naming it: ansible-core logs the arguments to syslog,
    which fails on a NUL with a message that names no option. (AnsibleModule is looked up at call time, so
    tests that replace it still see every module's argument spec.)"""

    class _Module(AnsibleModule):
        def _log_invocation(self):
            bad = _nul_option(self.params)
            if bad:
                self.fail_json(msg="%s: contains a NUL character (U+0000), which no option accepts" % bad)
            super()._log_invocation()

    return _Module(**kwargs)


class SesModule:
    """An AnsibleModule with the common AWS options and a cache of clients."""

    def __init__(self, argument_spec, needs_boto3=True, **kwargs):
        spec = dict(AWS_ARGUMENT_SPEC)
        spec.update(argument_spec)
        self.module = _new_module(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._clients = {}
        self._session = None
        if needs_boto3 and not HAS_BOTO3:
            self.module.fail_json(msg=missing_required_lib("boto3 and botocore") + " (" + PIP_HINT + ")",
                                  exception=BOTO3_IMPORT_ERROR)

    def forget_clients(self):
        """In a forked child (concurrency.ForkedCall): clients of its own, never a connection the parent holds."""
        self._clients = {}

    def session(self):
        if self._session is None:
            p = self.params
            try:
                self._session = new_session(access_key=p.get("access_key"), secret_key=p.get("secret_key"),
                                            session_token=p.get("session_token"), region=p.get("region"),
                                            profile=p.get("profile"))
            except BotoCoreError as exc:
                raise AwsError("CreateSession", type(exc).__name__, str(exc))
        return self._session

    def client(self, service, max_pool_connections=10, max_attempts=None, region=None):
        """A cached client. ``max_attempts=1`` turns botocore's own retries off, for callers that retry through
        the adaptive limiter (``concurrency.py``), which must see every throttle to pace itself. ``region``: another
        region than the module's (SES keeps identities and endpoints per region)."""
        key = (service, max_pool_connections, max_attempts, region)
        if key not in self._clients:
            p = self.params
            verify = p.get("aws_ca_bundle") or True
            if not p.get("validate_certs"):
                verify = False
            attempts = max_attempts or p.get("max_attempts")
            if attempts is None:
                attempts = 8
            if attempts < 1:
                raise InputError("max_attempts", "must be at least 1 (the first attempt counts), got %d" % attempts)
            config = Config(
                # botocore's adaptive mode would pace the limiter's client a second time: standard when limited
                retries={"mode": "standard" if max_attempts else (p.get("retry_mode") or "standard"),
                         "total_max_attempts": attempts},
                user_agent_extra="deliverability.ses/%s" % COLLECTION_VERSION,
                max_pool_connections=max_pool_connections,
                connect_timeout=10,
                read_timeout=60,
            )
            if p.get("aws_config"):
                try:
                    # the user's settings win over the collection's (as in amazon.aws), except the user agent mark
                    config = config.merge(Config(**p["aws_config"]))
                except (TypeError, ValueError) as exc:
                    raise InputError("aws_config", "is not a valid botocore Config: %s" % exc)
            try:
                self._clients[key] = self.session().create_client(
                    service, endpoint_url=p.get("endpoint_url"), verify=verify, config=config,
                    **({"region_name": region} if region else {}))
            except Exception as exc:  # noqa: BLE001 - NoRegionError and friends
                raise translate("CreateClient(%s)" % service, exc)
        return self._clients[key]

    def known_regions(self, service="sesv2"):
        """The regions where botocore knows an endpoint of ``service``, in every partition (no request)."""
        session = botocore.session.Session()
        out = set()
        for partition in session.get_available_partitions():
            out.update(session.get_available_regions(service, partition_name=partition))
        return out

    def fail(self, exc, **result):
        details = {k: v for k, v in exc.details.items() if v is not None}
        result.update(details)
        self.module.fail_json(msg=exc.msg, **result)


def run_module(module, body):
    """Run body() -> result dict; every DeliverabilityError becomes one fail_json."""
    partial = {}
    try:
        result = body(partial)
    except DeliverabilityError as exc:
        # partial carries what was applied before the failure, so nothing half-done goes unreported
        module.fail(exc, **partial)
    module.module.exit_json(**result)
