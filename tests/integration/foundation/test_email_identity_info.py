"""email_identity_info: options, pagination, errors, no writes.

The module's logic runs in-process (module_main: its real main(), arguments as ansible-core passes them);
module_defaults through the action group and no_log masking at -vvv need the controller: ansible-playbook."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def test_lists_every_identity_across_pages(sandbox, module_main):
    ses = sandbox.boto3_client("sesv2")
    names = ["d%04d.example.com" % i for i in range(1105)]
    # seeding is not what is tested: four client threads (the sandbox answers ~200/s that way, ~130/s in series)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: ses.create_email_identity(EmailIdentity=n), names))
    listed, token = [], None
    while True:  # the API's own order (creation order, here concurrent), read independently with boto3
        page = ses.list_email_identities(**({"NextToken": token} if token else {}))
        listed += [i["IdentityName"] for i in page["EmailIdentities"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(listed) == names
    mark = sandbox.mark()
    res = module_main("email_identity_info", {})
    assert res.rc == 0, res
    assert [i["identity"] for i in res.result["identities"]] == listed  # every page, in order, none lost
    listing = [r for r in sandbox.requests(since=mark) if r["operation"] == "ListEmailIdentities"]
    assert len(listing) == 2  # 1,000 per page: no 1,000 cap, no per-identity reads
    assert sandbox.mutating_calls(since=mark) == []


def test_one_identity_normalised_and_a_missing_one(sandbox, module_main):
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="example.com")
    res = module_main("email_identity_info", {"identities": ["EXAMPLE.com.", "missing.example.org"]})
    assert res.rc == 0, res
    first, second = res.result["identities"]
    assert first["identity"] == "example.com" and first["exists"] is True
    assert first["dkim"]["status"] == "PENDING" and len(first["dkim"]["tokens"]) == 3
    assert first["dkim"]["next_key_length"] == "RSA_2048_BIT"
    assert second == {"identity": "missing.example.org", "exists": False}


def test_module_defaults_group_sets_the_connection_once(sandbox, ansible_playbook):
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="grp.example.com")
    play = {"hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/deliverability.ses.ses": {"endpoint_url": sandbox.endpoint,
                                                                 "region": "us-east-1",
                                                                 "access_key": "AKIDEXAMPLE",
                                                                 "secret_key": "s3cr3t-never-printed"}},
            "tasks": [{"name": "read", "deliverability.ses.email_identity_info": {"identity": "grp.example.com"}}]}
    res = ansible_playbook(play, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, verbosity=3)
    assert res.rc == 0, res
    assert res.task("read")["identities"][0]["exists"] is True
    assert "s3cr3t-never-printed" not in res.output


def test_bad_input_is_one_clear_message(module_main):
    res = module_main("email_identity_info", {"identity": "not a domain"})
    assert res.rc != 0
    msg = res.result["msg"]
    assert msg.startswith("identity:") and "not a valid domain name" in msg
    assert "Traceback" not in res.output and not res.result.get("traceback_escaped")


def test_aws_errors_name_operation_and_code(sandbox, module_main):
    sandbox.post("faults", {"rules": [{"operation": "ListEmailIdentities", "kind": "throttle"}]})
    res = module_main("email_identity_info", {"max_attempts": 2})
    assert res.rc != 0
    assert res.result["operation"] == "ListEmailIdentities"
    assert res.result["error_code"] == "TooManyRequestsException"
    assert "ListEmailIdentities failed: TooManyRequestsException" in res.result["msg"]
    assert "Traceback" not in res.output and not res.result.get("traceback_escaped")


def test_throttling_is_survived_with_retries(sandbox, module_main):
    sandbox.boto3_client("sesv2").create_email_identity(EmailIdentity="t.example.com")
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "kind": "throttle", "count": 3}]})
    res = module_main("email_identity_info", {"identity": "t.example.com"})
    assert res.rc == 0, res
    assert res.result["identities"][0]["exists"] is True


def test_missing_credentials_are_reported(sandbox, module_main, tmp_path):
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"}
    res = module_main("email_identity_info", {}, env=env)
    assert res.rc != 0
    assert res.result["error_code"] == "NoCredentials"
    assert "Traceback" not in res.output and not res.result.get("traceback_escaped")
