"""scripts/iam_policies.py: API calls -> IAM actions, and the documented policies cover every playbook."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))

from iam_policies import allowed, iam_action, policy_for  # noqa: E402


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
