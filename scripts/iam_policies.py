#!/usr/bin/env python3
"""Least-privilege IAM policies per playbook, generated from the calls the playbooks really make.

The docs tests (tests/integration/docs/) run the README tour and every runbook verbatim against the SES sandbox
and attribute each request in the sandbox's log to the playbook that made it. This script runs them with
DOCS_CALLS_OUT set, then writes docs/iam/<playbook>.json: one statement allowing exactly those actions.

    .venv/bin/python scripts/iam_policies.py            # regenerate docs/iam/*.json (runs the docs tests)
    .venv/bin/python scripts/iam_policies.py --from calls.json   # from a calls file collected earlier
    .venv/bin/python scripts/iam_policies.py --from docs/iam      # rewrite the documented ones (tables changed)

The same docs tests then check every call against these files, so a playbook that starts making a new call
fails CI until its policy is regenerated. Resources are narrowed where the playbook's variables name them (NARROW);
SES actions without a resource type are in a statement of their own on "*" (see docs/iam/README.md).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "iam"
# the sandbox logs the botocore service name; IAM's action prefix differs for a few
PREFIX = {"sesv2": "ses", "ses": "ses", "monitoring": "cloudwatch", "cloudwatch": "cloudwatch", "email": "ses"}


# API operations whose IAM action has another name (batch calls are authorised by the single action)
RENAMED = {"s3:ListObjects": "s3:ListBucket", "s3:ListObjectsV2": "s3:ListBucket",
           "sqs:DeleteMessageBatch": "sqs:DeleteMessage", "sqs:SendMessageBatch": "sqs:SendMessage",
           "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility"}


def iam_action(call):
    """'sesv2:GetEmailIdentity' -> 'ses:GetEmailIdentity' (SES v1 and v2 share the ses: prefix)."""
    service, _, operation = call.partition(":")
    action = "%s:%s" % (PREFIX.get(service, service), operation)
    return RENAMED.get(action, action)


# actions AWS authorises without any policy: a call to them is never missing from one, and none lists them
# (the domain role's STS GetCallerIdentity keys its journal by account)
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


def load_policy(path):
    if not Path(path).exists():
        return {"Statement": []}
    return json.loads(Path(path).read_text())


def allowed(policy, action):
    """Whether an Allow statement of the policy names the action (wildcards as IAM matches them, case-blind), or
    the action needs no permission."""
    if action in NEEDS_NO_PERMISSION:
        return True
    for st in policy.get("Statement", []):
        if st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        for pattern in [actions] if isinstance(actions, str) else actions:
            if fnmatch.fnmatchcase(action.lower(), pattern.lower()):
                return True
    return False


# calls a playbook makes only on some paths the documents do not walk (a run that never meets them would leave
# them out of the policy, and the first such event in production would fail with AccessDenied)
PATH_DEPENDENT = {
    # an address SES did not list itself (a configuration set overriding the account's suppression, a bounce the
    # SMTP status made hard, soft bounces escalated); a message that cannot be parsed goes to the dead-letter queue
    "process_bounces": ["sesv2:PutSuppressedDestination", "sqs:SendMessageBatch",
                        # tenants=auto: an event without its ses:tenant-name tag in an account with tenants (the
                        # identity's and set's tenants), and each tenant's suppression scope
                        "sesv2:ListTenants", "sesv2:ListResourceTenants", "sesv2:GetTenant"],
    # every domain identity is read (the documents' account has none), its configuration set, and each tenant's
    # resources and reputation entity when the account has tenants
    "posture_report": ["sesv2:GetEmailIdentity", "sesv2:GetConfigurationSet", "sesv2:ListTenants",
                       "sesv2:ListTenantResources", "sesv2:GetReputationEntity",
                       "sesv2:ListSuppressedDestinations"],  # regions: the suppression lists compared
    # domain_tenant (onboarding and offboarding with the client's tenant)
    "onboard_domain": ["sesv2:GetTenant", "sesv2:CreateTenant", "sesv2:GetReputationEntity",
                       "sesv2:UpdateReputationEntityPolicy", "sesv2:ListTenantResources",
                       "sesv2:CreateTenantResourceAssociation", "sesv2:DeleteTenantResourceAssociation",
                       "sesv2:DeleteTenant", "sesv2:GetConfigurationSet", "sts:GetCallerIdentity"],
    # domain_policy with tenant: every tenant's resources read once, the fleet's tenants created and associated
    "enforce_policy": ["sesv2:ListTenants", "sesv2:ListTenantResources", "sesv2:GetReputationEntity",
                       "sesv2:CreateTenant", "sesv2:UpdateReputationEntityPolicy",
                       "sesv2:CreateTenantResourceAssociation", "sesv2:DeleteTenantResourceAssociation",
                       "sts:GetCallerIdentity"],
    # -e tenants=true: each tenant's VDM metrics and reputation entity
    "reputation_report": ["sesv2:ListTenants", "sesv2:BatchGetMetricData", "sesv2:GetReputationEntity"],
}


# the DynamoDB stores a user can choose instead of the local SQLite file: every operation the store's code calls
# (tests/unit/scripts/test_iam_policies.py reads them from plugins/module_utils/store/ and fails on a missing one),
# on the one table, named as docs/ee names it (replace the name in your copy when you choose another)
STORES = {
    "process_bounces": {
        "Sid": "BounceHistoryStoreOnDynamoDB",  # -e bounce_processing_store=dynamodb (store/dynamodb.py)
        "source": "plugins/module_utils/store/dynamodb.py",
        "calls": ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                  "dynamodb:Scan", "dynamodb:UpdateItem"],
        "Resource": "arn:aws:dynamodb:*:*:table/ses-bounces",
    },
    "dmarc_rollout": {
        "Sid": "DmarcEvidenceStoreOnDynamoDB",  # -e evidence_store=dynamodb (store/evidence.py)
        "source": "plugins/module_utils/store/evidence.py",
        "calls": ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
                  "dynamodb:Query", "dynamodb:Scan"],
        "Resource": "arn:aws:dynamodb:*:*:table/dmarc-evidence",
    },
}


# SES actions that have no resource type: SES grants them only on "*" (account-wide reads and the suppression list)
SES_ONLY_ON_ALL = {"ses:GetAccount", "ses:ListEmailIdentities", "ses:GetSuppressedDestination",
                   "ses:PutSuppressedDestination", "ses:DeleteSuppressedDestination", "ses:ListSuppressedDestinations",
                   "ses:PutAccountSuppressionAttributes", "ses:GetSendStatistics"}

# the resources an action is narrowed to where the playbook's variables name it, as the docs run them (the domain
# example.com, the account role's configuration set "default" and pipeline "ses-feedback", alarms "ses-reputation*",
# the reports bucket example-dmarc-reports): replace the names (and the * region and account) with yours.
# Hosted zones are found at run time (their IDs are not variables): hostedzone/* still keeps the actions off
# everything else. Actions named nowhere here stay on "*".
_IDENTITY = "arn:aws:ses:*:*:identity/example.com"
_ZONES = [("Route53RecordsInHostedZones", "arn:aws:route53:::hostedzone/*",
           ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"]),
          ("Route53Changes", "arn:aws:route53:::change/*", ["route53:GetChange"])]
NARROW = {
    "onboard_domain": [("SesTheDomainIdentity", _IDENTITY,
                        ["ses:CreateEmailIdentity", "ses:DeleteEmailIdentity", "ses:GetEmailIdentity",
                         "ses:PutEmailIdentityMailFromAttributes", "ses:PutEmailIdentityDkimSigningAttributes",
                         "ses:PutEmailIdentityDkimAttributes", "ses:PutEmailIdentityConfigurationSetAttributes",
                         "ses:TagResource"])] + _ZONES,
    "enforce_policy": [("SesIdentities", "arn:aws:ses:*:*:identity/*", ["ses:GetEmailIdentity"])] + _ZONES,
    "posture_report": [("SesIdentities", "arn:aws:ses:*:*:identity/*", ["ses:GetEmailIdentity"]),
                       ("SesConfigurationSets", "arn:aws:ses:*:*:configuration-set/*", ["ses:GetConfigurationSet"])],
    "dmarc_rollout": [("ReportsBucket", "arn:aws:s3:::example-dmarc-reports", ["s3:ListBucket"]),
                      ("ReportsObjects", "arn:aws:s3:::example-dmarc-reports/*", ["s3:GetObject"])] + _ZONES,
    "configure_account": [
        ("SesTheConfigurationSet", "arn:aws:ses:*:*:configuration-set/default",
         ["ses:CreateConfigurationSet", "ses:CreateConfigurationSetEventDestination", "ses:GetConfigurationSet",
          "ses:GetConfigurationSetEventDestinations"]),
        ("TheFeedbackTopic", "arn:aws:sns:*:*:ses-feedback", ["sns:CreateTopic", "sns:GetTopicAttributes",
                                                              "sns:Subscribe"]),
        ("TheFeedbackQueues", "arn:aws:sqs:*:*:ses-feedback*", ["sqs:CreateQueue", "sqs:GetQueueAttributes",
                                                                "sqs:GetQueueUrl", "sqs:SetQueueAttributes"]),
        ("TheReputationAlarms", "arn:aws:cloudwatch:*:*:alarm:ses-reputation*", ["cloudwatch:PutMetricAlarm"])],
    "process_bounces": [
        ("TheFeedbackQueues", "arn:aws:sqs:*:*:ses-feedback*",
         ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"]),
        ("TheFeedbackTopic", "arn:aws:sns:*:*:ses-feedback", ["sns:ListSubscriptionsByTopic"])],
}


def _sid(name):
    return "".join(part.capitalize() for part in name.split("_"))


def policy_for(name, calls):
    store = STORES.get(name)
    store_actions = set(store["calls"]) if store else set()
    actions = sorted({iam_action(c) for c in list(calls) + PATH_DEPENDENT.get(name, [])} - store_actions
                     - NEEDS_NO_PERMISSION)
    statements = []
    for sid, resource, narrowed in NARROW.get(name, []):
        mine = [a for a in actions if a in narrowed]
        if mine:
            statements.append({"Sid": sid, "Effect": "Allow", "Action": mine, "Resource": resource})
            actions = [a for a in actions if a not in mine]
    only_on_all = [a for a in actions if a in SES_ONLY_ON_ALL]
    rest = [a for a in actions if a not in SES_ONLY_ON_ALL]
    if rest:
        statements.append({"Sid": _sid(name), "Effect": "Allow", "Action": rest, "Resource": "*"})
    if only_on_all:  # the Sid says it: these cannot be narrowed
        statements.append({"Sid": "SesGrantsOnlyOnAllResources", "Effect": "Allow", "Action": only_on_all,
                           "Resource": "*"})
    if store:
        statements.append({"Sid": store["Sid"], "Effect": "Allow", "Action": sorted(store_actions),
                           "Resource": store["Resource"]})
    return {"Version": "2012-10-17", "Statement": statements}


def calls_of(policy):
    """The actions a documented policy allows, as a calls file entry (to regenerate without the docs run)."""
    return [a for st in policy.get("Statement", []) for a in st.get("Action", [])]


def collect():
    fd, calls = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    os.unlink(calls)
    env = dict(os.environ, DOCS_CALLS_OUT=calls)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "integration" / "docs" / "test_docs_run.py")], cwd=str(ROOT), env=env)
    if proc.returncode:
        sys.exit("the docs tests failed; policies not written")
    return json.loads(Path(calls).read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", help="a calls file ({playbook: [service:Operation]})")
    args = parser.parse_args(argv)
    if args.source == "docs/iam":  # the policies as documented now (after a change to this script's tables)
        calls = {p.stem: calls_of(load_policy(p)) for p in sorted(OUT.glob("*.json"))}
    else:
        calls = json.loads(Path(args.source).read_text()) if args.source else collect()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, ops in sorted(calls.items()):
        (OUT / (name + ".json")).write_text(json.dumps(policy_for(name, ops), indent=2) + "\n")
        print("docs/iam/%s.json: %d actions" % (name, len({iam_action(c) for c in ops})))
    return 0


if __name__ == "__main__":
    sys.exit(main())
