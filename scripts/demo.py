#!/usr/bin/env python3
"""`make demo`: start the sandbox, run the main job against it, print what a person needs to see, stop.

The main job is playbooks/onboard_domain.yml when it exists; before that, email_identity_info."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.ansible_runner import run_playbook  # noqa: E402
from tests.sandbox.control import Sandbox  # noqa: E402


def main() -> int:
    with Sandbox() as sandbox:
        print("Sandbox up at %s" % sandbox.endpoint)
        play = {"hosts": "localhost", "gather_facts": False,
                "tasks": [{"name": "Read every SES identity", "deliverability.ses.email_identity_info": {},
                           "register": "ids"},
                          {"name": "Show them", "ansible.builtin.debug": {"var": "ids.identities"}}]}
        sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="demo.example.com")
        res = run_playbook(play, env=sandbox.env())
        print(res.stdout)
        if res.rc:
            print(res.stderr, file=sys.stderr)
            return res.rc
        print(json.dumps(res.task("Read every SES identity")["identities"], indent=2))
    print("Sandbox stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
