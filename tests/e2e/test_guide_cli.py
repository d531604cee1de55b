"""The founding guide's AWS CLI procedure, run verbatim with the AWS CLI
(plus --endpoint-url), and the state it leaves asserted field by field."""

import json
import os
import re
import shlex
import subprocess

from conftest import guide_blocks

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


def aws(server, command: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    args = shlex.split(command) + ["--endpoint-url", server.endpoint]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_guide_cli_procedure(server, tmp_path):
    server.reset()
    blocks = guide_blocks()
    # Step 1: the trust policy file, byte for byte from the guide.
    trust_text = next(b for b in blocks if '"Statement": {' in b)
    (tmp_path / "ssm-trust-policy.json").write_text(trust_text + "\n")
    # Step 2: create the role, verbatim.
    create = next(b for b in blocks if b.startswith("aws iam create-role"))
    out = aws(server, create, tmp_path)
    assert out.returncode == 0, out.stderr
    role = json.loads(out.stdout)["Role"]
    assert role["RoleName"] == "ecsAnywhereRole"
    assert role["Path"] == "/"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role["RoleId"])
    assert role["Arn"] == "arn:aws:iam::123456789012:role/ecsAnywhereRole"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", role["CreateDate"])
    # The CLI decodes the URL-encoded document into JSON; it must be exactly ours.
    assert role["AssumeRolePolicyDocument"] == json.loads(trust_text)

    # Step 3: attach the managed policies. The guide's last line is cut off
    # before the ARN: run it verbatim to show the CLI rejects it, then with
    # the ARN the guide's text names.
    attach_lines = next(b for b in blocks if b.startswith("aws iam attach-role-policy")).splitlines()
    assert len(attach_lines) == 2
    out = aws(server, attach_lines[0], tmp_path)
    assert out.returncode == 0, out.stderr
    cut = aws(server, attach_lines[1], tmp_path)
    assert cut.returncode != 0 and "--policy-arn" in cut.stderr
    out = aws(server, attach_lines[1] + " " + ECS_EC2, tmp_path)
    assert out.returncode == 0, out.stderr

    # Then: look at the role, its policies and its trust, as the guide's check does.
    got = json.loads(aws(server, "aws iam get-role --role-name ecsAnywhereRole", tmp_path).stdout)["Role"]
    assert got["RoleId"] == role["RoleId"]
    assert got["MaxSessionDuration"] == 3600
    assert got["AssumeRolePolicyDocument"] == json.loads(trust_text)
    attached = json.loads(aws(server, "aws iam list-attached-role-policies --role-name ecsAnywhereRole", tmp_path).stdout)
    assert attached == {
        "AttachedPolicies": [
            {"PolicyName": "AmazonSSMManagedInstanceCore", "PolicyArn": SSM_CORE},
            {"PolicyName": "AmazonEC2ContainerServiceforEC2Role", "PolicyArn": ECS_EC2},
        ]
    }
    policy = json.loads(aws(server, f"aws iam get-policy --policy-arn {ECS_EC2}", tmp_path).stdout)["Policy"]
    assert policy["Path"] == "/service-role/"
    assert policy["AttachmentCount"] == 1
    assert policy["IsAttachable"] is True
    version = json.loads(
        aws(server, f"aws iam get-policy-version --policy-arn {ECS_EC2} --version-id {policy['DefaultVersionId']}", tmp_path).stdout
    )["PolicyVersion"]
    actions = json.dumps(version["Document"])
    assert "ecs:RegisterContainerInstance" in actions

    # Repair path: replace the trust relationship with the console check's form.
    list_form = next(b for b in blocks if '"Statement": [' in b)
    (tmp_path / "list-form.json").write_text(list_form)
    out = aws(server, "aws iam update-assume-role-policy --role-name ecsAnywhereRole --policy-document file://list-form.json", tmp_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(aws(server, "aws iam get-role --role-name ecsAnywhereRole", tmp_path).stdout)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(list_form)


def test_cli_errors_a_person_meets(server, tmp_path):
    server.reset()
    missing = aws(server, "aws iam get-role --role-name ecsAnywhereRole", tmp_path)
    assert missing.returncode != 0
    assert "An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name ecsAnywhereRole cannot be found." in missing.stderr

    (tmp_path / "bad.json").write_text("{ this is not json")
    bad = aws(server, "aws iam create-role --role-name ecsAnywhereRole --assume-role-policy-document file://bad.json", tmp_path)
    assert "(MalformedPolicyDocument) when calling the CreateRole operation: This policy contains invalid Json" in bad.stderr

    trust = next(b for b in guide_blocks() if '"Statement": {' in b)
    (tmp_path / "t.json").write_text(trust)
    assert aws(server, "aws iam create-role --role-name ecsAnywhereRole --assume-role-policy-document file://t.json", tmp_path).returncode == 0
    dup = aws(server, "aws iam create-role --role-name ECSANYWHEREROLE --assume-role-policy-document file://t.json", tmp_path)
    assert "(EntityAlreadyExists) when calling the CreateRole operation: Role with name ECSANYWHEREROLE already exists." in dup.stderr

    # Leaving out the service-role/ path is the classic mistake.
    wrong = aws(server, "aws iam attach-role-policy --role-name ecsAnywhereRole --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerServiceforEC2Role", tmp_path)
    assert (
        "(NoSuchEntity) when calling the AttachRolePolicy operation: Policy arn:aws:iam::aws:policy/AmazonEC2ContainerServiceforEC2Role does not exist or is not attachable."
        in wrong.stderr
    )
