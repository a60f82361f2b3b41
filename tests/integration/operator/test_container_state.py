"""bounce_processor warns loudly when its SQLite history would vanish with an AWX / EE job's container."""

from __future__ import annotations


def test_bounce_processor_warns_in_a_container(module_main, sandbox, tmp_path):
    queue = sandbox.boto3_client("sqs").create_queue(QueueName="q")["QueueUrl"]
    home = tmp_path / "home"
    home.mkdir()
    args = {"queue_url": queue, "wait_time_seconds": 0, "store_path": str(home / "b.sqlite"),
            "report_dir": str(tmp_path / "r")}
    res = module_main("bounce_processor", args, env={"container": "podman", "HOME": str(home)})
    assert res.rc == 0, res
    assert any("store_path=" in w and "lost when the job's container goes" in w for w in res.result["warnings"])
    res = module_main("bounce_processor", dict(args, store_path=str(tmp_path / "b.sqlite")),
                      env={"container": "podman", "HOME": str(home)})
    assert res.rc == 0 and not any("store_path=" in w for w in res.result.get("warnings", [])), res
