"""Fixtures for the bounce tests: the feedback account of tests/fixtures/feedback.py."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.feedback import DOMAIN, SENDER, Feedback, wait_for


@pytest.fixture
def feedback(sandbox):
    return Feedback(sandbox)


__all__ = ["DOMAIN", "Feedback", "SENDER", "json", "wait_for"]
