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
