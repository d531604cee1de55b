"""Issue 13 item 3, "no request can cost seconds": adversarial wildcard
patterns through the simulator and /_ironiam/authorize, against the real
binary.

A 60,000-character StringLike pattern used to cost seconds against a long
value (the matcher backtracked). Now the simulator answers it at once within
AWS's limits, and refuses with InvalidInput a context value beyond ironiam's
bound (4,096 characters: AWS documents none). The clients below give up after
a few seconds (read timeout, no retry), so a slow answer fails the test
without the test timing anything itself.
"""

import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def string_like(pattern: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringLike": {"aws:PrincipalTag/k": pattern}},
        },
    })


@pytest.fixture
def impatient_iam(server):
    server.reset()
    return server.client("iam", read_timeout=5, connect_timeout=5)


@pytest.mark.parametrize("pattern", [
    "*" + "a" * 59_998 + "b*",          # one long literal chunk
    "*a" * 29_999 + "*b",               # many stars
    "*" + "a?" * 2_047 + "b*",          # a `?` chunk as long as the value
])
def test_simulator_answers_adversarial_patterns_at_once(impatient_iam, pattern):
    out = impatient_iam.simulate_custom_policy(
        PolicyInputList=[string_like(pattern)],
        ActionNames=["s3:GetObject"] * 10,
        ContextEntries=[{"ContextKeyName": "aws:PrincipalTag/k", "ContextKeyValues": ["a" * 4_096],
                         "ContextKeyType": "string"}],
    )
    assert {r["EvalDecision"] for r in out["EvaluationResults"]} == {"implicitDeny"}


def test_simulator_refuses_a_context_value_beyond_the_bound(impatient_iam):
    with pytest.raises(ClientError) as caught:
        impatient_iam.simulate_custom_policy(
            PolicyInputList=[string_like("*" + "a" * 59_998 + "b*")],
            ActionNames=["s3:GetObject"],
            ContextEntries=[{"ContextKeyName": "aws:PrincipalTag/k", "ContextKeyValues": ["a" * 120_000],
                             "ContextKeyType": "string"}],
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidInput"
    assert "at most 4096" in error["Message"]


def test_simulator_refuses_too_many_evaluations(impatient_iam):
    with pytest.raises(ClientError) as caught:
        impatient_iam.simulate_custom_policy(
            PolicyInputList=[string_like("*")],
            ActionNames=[f"s3:Action{i}" for i in range(100)],
            ResourceArns=[f"arn:aws:s3:::b/{i}" for i in range(11)],
        )
    assert caught.value.response["Error"]["Code"] == "InvalidInput"


def test_authorize_refuses_a_huge_context_value(server, impatient_iam):
    impatient_iam.create_user(UserName="alice")
    body = {
        "principal": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k",
        "context": {"aws:PrincipalTag/k": "a" * 120_000},
    }
    status, out = server.test_endpoint("/_ironiam/authorize", json.dumps(body).encode())
    assert status == 400, out
    error = json.loads(out)["error"]
    assert error["code"] == "InvalidInput"
    assert "at most 4096" in error["message"]


# ---- A budget of evaluation work per request (issue 13 item 3) ----
#
# Each match is linear, but a request can bring many: 16,000 `*a?b*`
# patterns (one 131,072-character document) each read a 4,096-character
# value, 127 ms per evaluation, and a simulation may ask for 1,000. Every
# authorization or simulation now has a budget of matching work (about 5 ms
# on the project machine); a simulation beyond it is refused with
# InvalidInput, and enforcement denies.

def many_short_wild_patterns(count: int, effect: str = "Allow") -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": {
            "Effect": effect, "Action": "*", "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalTag/k": ["*a?b*"] * count}},
        },
    }, separators=(",", ":"))


def test_simulator_refuses_work_beyond_the_budget_and_health_answers_meanwhile(server):
    import threading
    import time
    import urllib.request

    server.reset()
    document = many_short_wild_patterns(16_000)
    assert len(document) <= 131_072
    outcomes: list = []

    def simulate():
        iam = server.client("iam", read_timeout=10, connect_timeout=5)
        started = time.monotonic()
        try:
            iam.simulate_custom_policy(
                PolicyInputList=[document],
                ActionNames=[f"s3:GetObject{i}" for i in range(1_000)],
                ContextEntries=[{"ContextKeyName": "aws:PrincipalTag/k", "ContextKeyValues": ["a" * 4_096],
                                 "ContextKeyType": "string"}],
            )
            outcomes.append(("answered", time.monotonic() - started))
        except ClientError as e:
            outcomes.append((e.response["Error"]["Code"], e.response["Error"]["Message"], time.monotonic() - started))
        except Exception as e:  # a read timeout: the request took too long
            outcomes.append(("failed", repr(e)))

    threads = [threading.Thread(target=simulate) for _ in range(3)]
    for thread in threads:
        thread.start()
    health = []
    while any(thread.is_alive() for thread in threads):
        started = time.monotonic()
        urllib.request.urlopen(server.endpoint + "/_ironiam/health", timeout=5).read()
        health.append(time.monotonic() - started)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert len(outcomes) == 3
    for outcome in outcomes:
        assert outcome[0] == "InvalidInput", outcome
        assert outcome[1].startswith("The simulation needs more evaluation work than ironiam allows per request"), outcome
        assert outcome[2] < 5, outcome
    # A debug build on a loaded 2-core machine answers health within a
    # second or so; without the budget it stalled for minutes.
    assert max(health, default=0) < 2, health


ROOT_ID, ROOT_SECRET = "AKIAROOTBUDGET000001", "root/Secret+Budget"


@pytest.fixture(scope="module")
def enforcing():
    from conftest import Server
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    yield s
    s.stop()


def test_enforcement_denies_promptly_when_policies_cost_more_than_the_budget(enforcing):
    """A user allowed everything, whose own policies also deny iam:GetPolicy
    on resources like any of ~2,000 `arn:aws:iam::*:policy/*a?b*` patterns (an inline policy
    of 2,048 characters and ten managed ones of 6,144, the most IAM allows):
    asked for a 2,048-character policy ARN, the evaluation runs out of
    budget, and the request is denied (AccessDenied), promptly, never
    allowed (it would have reached the handler: NoSuchEntity)."""
    import time

    import boto3
    from botocore.config import Config

    from helpers import client

    enforcing.reset()
    root = client(enforcing, "iam", ROOT_ID, ROOT_SECRET)
    root.create_user(UserName="mallory")

    def deny_get_policy(count: int) -> str:
        return json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:GetPolicy", "Resource": ["arn:aws:iam::*:policy/*a?b*"] * count},
            ],
        }, separators=(",", ":"))

    def largest(size: int) -> str:
        count = 1
        while len(deny_get_policy(count + 1)) <= size:
            count += 1
        return deny_get_policy(count)

    inline = largest(2_048)
    root.put_user_policy(UserName="mallory", PolicyName="inline", PolicyDocument=inline)
    managed = largest(6_144)
    for index in range(10):
        arn = root.create_policy(PolicyName=f"p{index}", PolicyDocument=managed)["Policy"]["Arn"]
        root.attach_user_policy(UserName="mallory", PolicyArn=arn)
    key = root.create_access_key(UserName="mallory")["AccessKey"]
    iam = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        region_name="us-east-1").client(
        "iam", endpoint_url=enforcing.endpoint,
        config=Config(retries={"max_attempts": 1}, read_timeout=5, connect_timeout=5))
    # A short ARN costs little: the policies decide as written (the Deny
    # does not apply, the handler answers).
    with pytest.raises(ClientError) as caught:
        iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/missing")
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
    long_arn = f"arn:aws:iam::{ACCOUNT}:policy/" + "a" * (2_048 - len(f"arn:aws:iam::{ACCOUNT}:policy/"))
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        iam.get_policy(PolicyArn=long_arn)
    elapsed = time.monotonic() - started
    assert caught.value.response["Error"]["Code"] == "AccessDenied", caught.value.response
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert elapsed < 2, elapsed
