# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # Where the DMARC evidence (what aggregate reports said) lives.
    DOCUMENTATION = r"""
options:
  evidence_store:
    description:
      - Backend of the DMARC evidence store. V(sqlite) is one file on the machine that runs the module;
        V(dynamodb) is a table shared by every machine and job (use it from execution environments and CI,
        whose disk is thrown away after the job).
    type: str
    choices: [sqlite, dynamodb]
    default: sqlite
  evidence_path:
    description:
      - SQLite file of the evidence store. Relative paths resolve against the directory the module runs in.
      - The default is under the home directory. In an execution environment (a container) or a CI job that
        directory does not outlive the job, and every run would start with no evidence (the gate then stays
        shut). The module warns when the default is used; point this to a persistent volume, or use
        O(evidence_store=dynamodb).
    type: path
    default: ~/.ansible/deliverability_ses/dmarc_evidence.sqlite
  evidence_table:
    description:
      - DynamoDB table of the evidence store (hash key C(pk), range key C(sk), both strings). Required with
        O(evidence_store=dynamodb).
    type: str
  evidence_create_table:
    description: Create the DynamoDB table (on-demand billing) when it does not exist (never in check mode).
    type: bool
    default: false
"""

    # The thresholds of the evidence gate (policy/evidence.py owns the rule).
    GATE = r"""
options:
  evidence_pending:
    description:
      - Check mode only (ignored otherwise). The rows a check-mode M(deliverability.ses.dmarc_reports) run would
        have recorded (its RV(deliverability.ses.dmarc_reports#module:evidence_pending) result); the gate counts
        them as if they were in the store, so C(--check) predicts what the real run will do. Nothing is written.
    type: list
    elements: dict
    default: []
  gate:
    description:
      - Thresholds of the evidence gate. A stage moves only when, over the O(gate.window_days) days before
        today, all of them are met. No reports, too few, or a store that cannot be read keep the gate shut.
    type: dict
    default: {}
    suboptions:
      window_days:
        description: Days of evidence looked at, ending yesterday (UTC); at most 3660.
        type: int
        default: 30
      min_days:
        description: Distinct days with reports within the window.
        type: int
        default: 14
      min_messages:
        description: Messages reported within the window.
        type: int
        default: 1000
      min_reporters:
        description: Distinct reporters (the domain a report's mail proved, else the domain of its C(email)).
        type: int
        default: 2
      min_pass_rate:
        description:
          - Percentage of the volume that passed DMARC, overall and for each reporter on its own (another
            reporter's volume never dilutes one reporter's failures).
        type: float
        default: 99.0
      max_source_fail_share:
        description:
          - The largest percentage of the volume that one failing source (IP) may account for, overall and
            within each reporter's volume. One unaligned legitimate sender (a CRM, a helpdesk, a second ESP) is
            what a stricter policy breaks.
        type: float
        default: 0.5
      count_unauthenticated:
        description:
          - Also count reports whose mail did not pass DMARC for the reporter's own domain when SES received it,
            and rows recorded before provenance was kept. Anyone can mail a report to a public C(rua) address;
            leave this off unless you know where those reports came from (docs/runbooks/dmarc-rollout.md).
            Local files given to M(deliverability.ses.dmarc_reports) are operator-supplied and always count.
        type: bool
        default: false
      trusted_reporters:
        description:
          - Reporter domains whose reports count even when their mail proved nothing (a receiver that does not
            sign its report mail). A subdomain of a listed domain matches.
        type: list
        elements: str
        default: []
"""
