from __future__ import annotations

import json
from pathlib import Path

from ansible_collections.deliverability.ses.plugins.filter.classify_notification import FilterModule

CORPUS = Path(__file__).parents[1] / "module_utils" / "formats" / "notifications"


def test_filter_is_registered_and_classifies():
    flt = FilterModule().filters()["classify_notification"]
    got = flt(json.loads((CORPUS / "sns_bounce_with_dsn.json").read_text()))
    assert got["recipients"][0]["class"] == "hard"
    assert flt("garbage")["valid"] is False
