"""scripts/iam_policies.py: API calls -> IAM actions, and the documented policies cover every playbook."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

from iam_policies import SES_ONLY_ON_ALL, allowed, iam_action, policy_for  # noqa: E402


def test_calls_map_to_iam_actions():
    assert iam_action("sesv2:GetEmailIdentity") == "ses:GetEmailIdentity"
    assert iam_action("ses:GetSendStatistics") == "ses:GetSendStatistics"
    assert iam_action("monitoring:PutMetricAlarm") == "cloudwatch:PutMetricAlarm"
    assert iam_action("sqs:DeleteMessageBatch") == "sqs:DeleteMessage"
    assert iam_action("s3:ListObjects") == "s3:ListBucket"


def test_allowed_matches_like_iam():
    policy = policy_for("onboard_domain", ["sesv2:GetEmailIdentity", "route53:ChangeResourceRecordSets"])
    assert allowed(policy, "ses:GetEmailIdentity") and allowed(policy, "route53:changeresourcerecordsets")
    assert not allowed(policy, "ses:DeleteEmailIdentity")
    assert allowed({"Statement": [{"Effect": "Allow", "Action": "ses:Get*"}]}, "ses:GetAccount")
    assert not allowed({"Statement": [{"Effect": "Deny", "Action": "*"}]}, "ses:GetAccount")


def test_every_playbook_has_a_least_privilege_policy():
    for playbook in sorted((ROOT / "playbooks").glob("*.yml")):
        path = ROOT / "docs" / "iam" / (playbook.stem + ".json")
        assert path.exists(), "no %s: run scripts/iam_policies.py" % path.relative_to(ROOT)
        policy = json.loads(path.read_text())
        actions = [a for st in policy["Statement"] for a in st["Action"]]
        assert actions and all("*" not in a for a in actions), (path.name, actions)  # least privilege: no wildcards


def test_path_dependent_calls_are_in_the_policy():
    """process_bounces writes to the suppression list and the dead-letter queue only on some paths the documents do
    not walk; the generated policy still allows them."""
    policy = policy_for("process_bounces", ["sqs:ReceiveMessage"])
    assert allowed(policy, "ses:PutSuppressedDestination") and allowed(policy, "sqs:SendMessage")
    documented = json.loads((ROOT / "docs" / "iam" / "process_bounces.json").read_text())
    assert allowed(documented, "ses:PutSuppressedDestination") and allowed(documented, "sqs:SendMessage")


def _store_operations(source):
    """The DynamoDB operations a store module calls: call(self.client, "Operation", ...)."""
    import re
    text = (ROOT / source).read_text()
    return sorted(set(re.findall(r'call\((?:[\w.]+,\s*)?"([A-Z][A-Za-z]+)"', text)))


def test_the_dynamodb_stores_are_in_the_policies_on_their_table():
    """Every operation the DynamoDB bounce store and evidence store call is allowed by the documented policy of the
    playbook that uses it, on that table's ARN only - read from the store's code, so a new call fails here."""
    from iam_policies import STORES
    for playbook, store in STORES.items():
        operations = _store_operations(store["source"])
        assert "Scan" in operations and "DescribeTable" in operations, (store["source"], operations)
        documented = json.loads((ROOT / "docs" / "iam" / (playbook + ".json")).read_text())
        statement = [st for st in documented["Statement"] if st["Sid"] == store["Sid"]]
        assert len(statement) == 1, (playbook, documented)
        missing = [op for op in operations if not allowed({"Statement": statement}, "dynamodb:" + op)]
        assert missing == [], "%s: the store calls %s, not in docs/iam/%s.json" % (playbook, missing, playbook)
        assert statement[0]["Resource"].startswith("arn:aws:dynamodb:*:*:table/"), statement


def test_a_policy_without_one_store_action_fails_the_check():
    """The check above fails when one action is taken out (here: Scan, which the bounce store calls twice a run)."""
    from iam_policies import STORES
    store = STORES["process_bounces"]
    full = policy_for("process_bounces", ["sqs:ReceiveMessage"])
    cut = json.loads(json.dumps(full))
    for st in cut["Statement"]:
        st["Action"] = [a for a in st["Action"] if a != "dynamodb:Scan"]
    operations = _store_operations(store["source"])
    assert [op for op in operations if not allowed(full, "dynamodb:" + op)] == []
    assert [op for op in operations if not allowed(cut, "dynamodb:" + op)] == ["Scan"]


def test_an_action_that_needs_no_permission_is_allowed_and_never_listed():
    from iam_policies import NEEDS_NO_PERMISSION
    assert "sts:GetCallerIdentity" in NEEDS_NO_PERMISSION
    assert allowed({"Statement": []}, "sts:GetCallerIdentity")
    assert not allowed({"Statement": []}, "sts:AssumeRole")
    policy = policy_for("suppression_report", ["sts:GetCallerIdentity", "sesv2:GetEmailIdentity"])
    assert [a for st in policy["Statement"] for a in st["Action"]] == ["ses:GetEmailIdentity"]
    onboard = policy_for("onboard_domain", ["sts:GetCallerIdentity", "sesv2:GetEmailIdentity"])
    assert "sts:GetCallerIdentity" not in [a for st in onboard["Statement"] for a in st["Action"]]


def test_resources_are_narrowed_where_the_variables_name_them_and_ses_only_on_all_says_so():
    policy = policy_for("onboard_domain", ["sesv2:GetEmailIdentity", "sesv2:CreateEmailIdentity",
                                           "route53:ChangeResourceRecordSets", "route53:ListHostedZones"])
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    assert by_sid["SesTheDomainIdentity"]["Resource"] == "arn:aws:ses:*:*:identity/example.com"
    assert by_sid["SesTheDomainIdentity"]["Action"] == ["ses:CreateEmailIdentity", "ses:GetEmailIdentity"]
    assert by_sid["Route53RecordsInHostedZones"]["Resource"].endswith(":hostedzone/*")
    from iam_policies import PATH_DEPENDENT, iam_action
    path_dependent = {iam_action(c) for c in PATH_DEPENDENT["onboard_domain"]}  # domain_tenant's tenant calls
    assert by_sid["OnboardDomain"]["Resource"] == "*"
    assert set(by_sid["OnboardDomain"]["Action"]) - path_dependent == {"route53:ListHostedZones"}
    account = policy_for("configure_account", ["sesv2:GetAccount", "sesv2:GetConfigurationSet", "sqs:CreateQueue"])
    by_sid = {st["Sid"]: st for st in account["Statement"]}
    assert by_sid["SesGrantsOnlyOnAllResources"]["Action"] == ["ses:GetAccount"]
    assert by_sid["SesTheConfigurationSet"]["Resource"].endswith(":configuration-set/default")
    assert by_sid["TheFeedbackQueues"]["Resource"] == "arn:aws:sqs:*:*:ses-feedback*"
    # every action of every documented policy is still allowed (narrowing moves actions, never drops one)
    for path in sorted((ROOT / "docs" / "iam").glob("*.json")):
        documented = json.loads(path.read_text())
        stars = [st for st in documented["Statement"] if st["Resource"] == "*"]
        narrowed = [st for st in documented["Statement"] if st["Resource"] != "*"]
        assert all(a not in SES_ONLY_ON_ALL for st in narrowed for a in st["Action"]), path.name
        assert stars or narrowed, path.name


def test_the_posture_policy_allows_what_a_fleet_with_tenants_needs():
    """The documents' account has no identity and no tenant, so the run alone would leave these reads out."""
    documented = json.loads((ROOT / "docs" / "iam" / "posture_report.json").read_text())
    for action in ("ses:GetEmailIdentity", "ses:GetConfigurationSet", "ses:ListTenants", "ses:ListTenantResources",
                   "ses:GetReputationEntity"):
        assert allowed(documented, action), action
