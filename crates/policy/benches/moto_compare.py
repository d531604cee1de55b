#!/usr/bin/env python3
"""Times the decisions of benches/evaluate.rs with moto's IAM access-control
evaluator and prints the ratio to ironiam's figures.

Run the Rust benchmark first, in the same session, so both sides are measured
on the same machine under the same load:

    cargo bench -p ironiam-policy --bench evaluate
    python3 crates/policy/benches/moto_compare.py

ironiam's figures are the medians criterion recorded in
target/criterion/<group>/<benchmark>/new/estimates.json (CARGO_TARGET_DIR is
honoured): `evaluate`, the decision with the statements that made it (the
simulation APIs' answer), and `decide`, the verdict alone (what enforcement
asks on every request, and what moto's evaluator answers), from the
`<group>_verdict` groups. moto's evaluator is moto.iam.access_control: IAMPolicy and
IAMPolicyStatement. Two moto figures are printed:

* "per request": what moto does for every request in
  IAMRequestBase.check_action_permitted, which builds IAMPolicy (json.loads of
  the document) for each attached policy and asks is_action_permitted;
* "pre-parsed": IAMPolicy objects built once, only is_action_permitted timed.
  The ratios are to this figure, the fairer one for moto. It is moto's best
  of five repeats, against criterion's median for ironiam: if anything, in
  moto's favour.

moto's answers are printed next to ironiam's expected ones: moto treats every
condition operator but StringEquals as true and does not substitute policy
variables, so it can disagree; the timing compares the work, not the answers.
"""

import json
import os
import sys
import timeit
from pathlib import Path

from moto.iam.access_control import IAMPolicy, PermissionResult

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ROOT = HERE.parent.parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def load(name):
    return (DATA / name).read_text()


SSM = load("AmazonSSMManagedInstanceCore.json")
ECS = load("AmazonEC2ContainerServiceforEC2Role.json")
HUNDRED = load("hundred_statements.json")

HUNDRED_CONTEXT = {
    "aws:username": "alice",
    "aws:userid": "AIDAEXAMPLE",
    "aws:PrincipalTag/team": "ops",
    "aws:SourceIp": "192.0.2.10",
    "aws:CurrentTime": "2023-11-14T22:13:20Z",
}

# (criterion group, criterion id, documents, action, resource, context, ironiam's decision)
CASES = [
    ("guide_role", "ecs_RegisterContainerInstance", [SSM, ECS], "ecs:RegisterContainerInstance", "*", {}, "allowed"),
    ("guide_role", "ssm_UpdateInstanceInformation", [SSM, ECS], "ssm:UpdateInstanceInformation", "*", {}, "allowed"),
    ("guide_role", "iam_CreateRole", [SSM, ECS], "iam:CreateRole", "*", {}, "implicitDeny"),
    ("guide_role", "ecs_TagResource", [SSM, ECS], "ecs:TagResource", "*", {"ecs:CreateAction": "CreateCluster"}, "allowed"),
    ("hundred_statements", "allowed", [HUNDRED], "ecs:Get99Thing",
     "arn:aws:ecs:us-east-1:111122223333:res99/alice/x", HUNDRED_CONTEXT, "allowed"),
    ("hundred_statements", "implicit_deny", [HUNDRED], "ecs:Get99Thing",
     "arn:aws:ecs:us-east-1:111122223333:res99/bob/x", HUNDRED_CONTEXT, "implicitDeny"),
]


def decide(policies, action, resource, context):
    """moto's combination, as in IAMRequestBase.check_action_permitted."""
    permitted = False
    for policy in policies:
        result = policy.is_action_permitted(action, resource, None, context)
        if result == PermissionResult.DENIED:
            return "explicitDeny"
        if result == PermissionResult.PERMITTED:
            permitted = True
    return "allowed" if permitted else "implicitDeny"


def per_request(documents, action, resource, context):
    return decide([IAMPolicy(document) for document in documents], action, resource, context)


def seconds_per_call(function):
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=number)) / number


def ironiam_ns(group, benchmark):
    estimates = TARGET / "criterion" / group / benchmark / "new" / "estimates.json"
    try:
        return json.loads(estimates.read_text())["median"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None


def main():
    print(
        f"{'decision':44} {'evaluate':>9} {'decide':>9} {'moto pre-parsed':>16} {'moto per request':>17}"
        f" {'ratio evaluate':>15} {'ratio decide':>13}  answers (ironiam/moto)"
    )
    missing = False
    for group, benchmark, documents, action, resource, context, expected in CASES:
        policies = [IAMPolicy(document) for document in documents]
        answer = decide(policies, action, resource, context)
        pre_parsed = seconds_per_call(lambda: decide(policies, action, resource, context)) * 1e9
        full = seconds_per_call(lambda: per_request(documents, action, resource, context)) * 1e9
        explained = ironiam_ns(group, benchmark)
        verdict = ironiam_ns(f"{group}_verdict", benchmark)
        missing = missing or explained is None or verdict is None

        def ns(figure):
            return "(no run)" if figure is None else f"{figure:.1f}ns"

        def ratio(figure):
            return "-" if figure is None else f"{pre_parsed / figure:,.0f}x"

        print(
            f"{group + '/' + benchmark:44} {ns(explained):>9} {ns(verdict):>9} {pre_parsed:14.0f}ns {full:15.0f}ns"
            f" {ratio(explained):>15} {ratio(verdict):>13}  {expected}/{answer}"
        )
    if missing:
        print("\nrun `cargo bench -p ironiam-policy --bench evaluate` first for ironiam's figures", file=sys.stderr)


if __name__ == "__main__":
    main()
