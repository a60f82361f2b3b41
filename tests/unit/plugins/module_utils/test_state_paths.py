"""State that must outlive a run: a loud warning when it sits under a container's home directory."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.state_paths import (
    ephemeral_state_warning, in_container, under_home)


def test_container_detection():
    assert in_container({"container": "podman"}, exists=lambda p: False)
    assert in_container({"AWX_HOST": "https://awx"}, exists=lambda p: False)
    assert in_container({}, exists=lambda p: p == "/run/.containerenv")
    assert not in_container({}, exists=lambda p: False)


def no(path):
    return False


def test_warning_only_for_home_paths_in_a_container():
    env = {"container": "podman"}
    text = ephemeral_state_warning("~/.ansible/x.sqlite", "store_path", "the bounce history", env, home="/runner")
    assert text and "store_path=~/.ansible/x.sqlite" in text and "persistent volume" in text
    assert ephemeral_state_warning("/runner/.ansible/a.jsonl", "audit_log", "x", env, home="/runner")
    assert ephemeral_state_warning("/var/lib/ses/x.sqlite", "store_path", "x", env, home="/runner") is None
    assert ephemeral_state_warning("~/.ansible/x.sqlite", "store_path", "x", {}, exists=no, home="/runner") is None
    assert not under_home("/runnerx/a", home="/runner")
