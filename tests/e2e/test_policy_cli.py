"""`ironiam policy validate | diff | simulate`, run as a program: the founding
guide's trust policies and role, human and JSON output, exit statuses."""

import json
import subprocess

import pytest

from conftest import binary, guide_blocks

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
GUIDE_ROLE = ["--managed-policy", "AmazonSSMManagedInstanceCore", "--managed-policy", "service-role/AmazonEC2ContainerServiceforEC2Role"]


def policy(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([binary(), "policy", *args], input=stdin, capture_output=True, text=True, timeout=60)


def as_json(out: subprocess.CompletedProcess) -> dict:
    return json.loads(out.stdout)


@pytest.fixture
def trust_forms(tmp_path):
    """The guide's trust policy in its two forms, byte for byte: `Statement`
    as a list with `Service` a string, and as an object with `Service` a list."""
    blocks = guide_blocks()
    listed = next(b for b in blocks if '"Statement": [' in b and "ssm.amazonaws.com" in b)
    single = next(b for b in blocks if '"Statement": {' in b)
    paths = tmp_path / "list-form.json", tmp_path / "object-form.json"
    paths[0].write_text(listed)
    paths[1].write_text(single)
    return [str(p) for p in paths]


def write(tmp_path, name: str, document) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


# ----- validate -----


def test_validate_the_guides_trust_forms_as_trust_and_as_identity(trust_forms):
    for path in trust_forms:
        out = policy("validate", path, "--kind", "trust")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "valid trust policy" in out.stdout
        # Access Analyzer-style advice, not an error: exit 0 all the same.
        assert "confused deputy" in out.stdout

        out = policy("validate", path, "--kind", "identity")
        assert out.returncode == 1
        assert "Statement[0]: Policy document should not specify a principal." in out.stdout
        assert "AWS rejects it with MalformedPolicyDocument: Policy document should not specify a principal." in out.stdout

        report = as_json(policy("validate", path, "--output", "json"))  # identity by default
        assert report["valid"] is False and report["kind"] == "identity"
        assert report["aws_error"] == {"code": "MalformedPolicyDocument", "message": "Policy document should not specify a principal."}
        assert report["findings"][0]["statement"] == 0
        assert report["findings"][0]["severity"] == "error"

        report = as_json(policy("validate", path, "--kind", "trust", "--output", "json"))
        assert report["valid"] is True and report["errors"] == 0 and report["aws_error"] is None
        assert [f["severity"] for f in report["findings"]] == ["warning"] * report["warnings"]


def test_validate_invalid_json_with_each_apis_wording(tmp_path):
    path = write(tmp_path, "broken.json", '{"Version": "2012-10-17", "Statement": [')
    out = policy("validate", path, "--kind", "trust")
    assert out.returncode == 1
    assert "This policy contains invalid Json" in out.stdout
    assert "not valid JSON" in out.stdout  # the parser's detail under AWS's message

    report = as_json(policy("validate", path, "--kind", "managed", "--output", "json"))
    assert report["aws_error"]["message"] == "Syntax errors in policy."
    assert report["findings"][0]["statement"] is None


def test_validate_a_warning_is_not_an_error(tmp_path):
    path = write(tmp_path, "warn.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "Reads", "Effect": "Allow", "Action": ["s3:GetObject", "ecs:NoSuchThing"], "Resource": "*"}]})
    out = policy("validate", path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "valid identity policy, 1 warning" in out.stdout
    assert "warning Statement[0]: action `ecs:NoSuchThing` does not exist" in out.stdout

    report = as_json(policy("validate", path, "--output", "json"))
    assert report["valid"] is True and report["warnings"] == 1
    assert report["findings"] == [{"severity": "warning", "code": None, "message": "action `ecs:NoSuchThing` does not exist", "statement": 0, "detail": None}]


def test_validate_kinds_and_size_quota(tmp_path):
    no_version = write(tmp_path, "old.json", {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    assert policy("validate", no_version, "--kind", "identity").returncode == 0
    out = policy("validate", no_version, "--kind", "managed")
    assert out.returncode == 1 and "Policy document must be version 2012-10-17 or greater." in out.stdout

    big = write(tmp_path, "big.json", {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                                               "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": [f"{i:012d}" for i in range(200)]}}}})
    report = as_json(policy("validate", big, "--kind", "trust", "--output", "json"))
    assert report["aws_error"] == {"code": "LimitExceeded", "message": "Cannot exceed quota for ACLSizePerRole: 2048"}


def test_validate_reads_stdin(trust_forms):
    with open(trust_forms[1]) as f:
        out = policy("validate", "-", "--kind", "trust", stdin=f.read())
    assert out.returncode == 0 and out.stdout.startswith("-: valid trust policy")


def test_validate_cannot_read_or_bad_usage_is_2(tmp_path):
    missing = str(tmp_path / "missing.json")
    out = policy("validate", missing)
    assert out.returncode == 2 and "cannot read" in out.stderr and out.stdout == ""
    out = policy("validate", missing, "--output", "json")
    assert out.returncode == 2 and "cannot read" in as_json(out)["error"]["message"]
    assert policy("validate", missing, "--kind", "nonsense").returncode == 2
    assert policy("validate").returncode == 2


# ----- diff -----


def test_diff_the_guides_two_forms_are_equivalent(trust_forms):
    out = policy("diff", *trust_forms)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("equivalent:")
    report = as_json(policy("diff", *trust_forms, "--output", "json"))
    assert report["equivalent"] is True
    assert report["a_grants_at_least_b"] is True and report["b_grants_at_least_a"] is True
    assert all(line["op"] == "same" for line in report["diff"])


def test_diff_of_two_different_trusts_is_readable(trust_forms, tmp_path):
    ec2 = write(tmp_path, "ec2.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "ssm.amazonaws.com"]}, "Action": "sts:AssumeRole"}]})
    out = policy("diff", trust_forms[0], ec2)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0].startswith("different:")
    assert any(l.startswith("+") and "ec2.amazonaws.com" in l for l in lines), out.stdout
    assert any(l.startswith(" ") and "ssm.amazonaws.com" in l for l in lines), out.stdout
    # The wider trust contains the guide's; the guide's does not contain it.
    assert f"`{ec2}` grants everything `{trust_forms[0]}` grants" in out.stdout
    assert f"`{trust_forms[0]}` does not grant everything `{ec2}` grants:" in out.stdout

    report = as_json(policy("diff", trust_forms[0], ec2, "--output", "json"))
    assert report["equivalent"] is False
    assert report["b_grants_at_least_a"] is True and report["a_grants_at_least_b"] is False
    assert [l["line"].strip() for l in report["diff"] if l["op"] == "added"] == ['"ec2.amazonaws.com",']
    assert any("ec2.amazonaws.com" in g for g in report["only_in_b"])


def test_diff_errors_are_2(trust_forms, tmp_path):
    broken = write(tmp_path, "broken.json", "{")
    out = policy("diff", trust_forms[0], broken)
    assert out.returncode == 2 and "is not a policy document" in out.stderr
    assert policy("diff", trust_forms[0], str(tmp_path / "missing.json")).returncode == 2
    assert policy("diff", trust_forms[0]).returncode == 2


# ----- simulate -----


def test_simulate_the_guides_role_offline():
    allowed = ["ecs:RegisterContainerInstance", "ecs:SubmitTaskStateChange", "ssm:UpdateInstanceInformation"]
    args = [a for action in allowed for a in ("--action", action)]
    out = policy("simulate", *GUIDE_ROLE, *args)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "allowed       ssm:UpdateInstanceInformation on *" in out.stdout
    assert "allowed by AmazonSSMManagedInstanceCore Statement[0]" in out.stdout
    assert "3 requests allowed, 0 requests denied" in out.stdout

    report = as_json(policy("simulate", *GUIDE_ROLE, *args, "--output", "json"))
    assert report["all_allowed"] is True
    by_action = {r["action"]: r for r in report["results"]}
    assert set(by_action) == set(allowed)
    matched = by_action["ecs:RegisterContainerInstance"]["matched_statements"]
    assert matched == [{"policy": "AmazonEC2ContainerServiceforEC2Role", "policy_type": "identity", "source": "aws-managed",
                        "file": None, "arn": ECS_EC2, "statement_index": 0, "sid": None, "effect": "Allow"}]
    assert by_action["ssm:UpdateInstanceInformation"]["matched_statements"][0]["arn"] == SSM_CORE

    for action in ("iam:CreateRole", "ecs:DeleteCluster"):
        out = policy("simulate", *GUIDE_ROLE, "--action", action)
        assert out.returncode == 1, out.stdout
        assert f"implicitDeny  {action} on *" in out.stdout
        assert f"because no identity-based policy allows the {action} action" in out.stdout

    # One denial among allowed requests decides the exit status.
    assert policy("simulate", *GUIDE_ROLE, "--action", "ecs:Poll", "--action", "iam:CreateRole").returncode == 1


def test_simulate_tag_resource_needs_the_right_create_action():
    out = policy("simulate", *GUIDE_ROLE, "--action", "ecs:TagResource")
    assert out.returncode == 1
    assert "missing context keys: ecs:CreateAction" in out.stdout
    report = as_json(policy("simulate", *GUIDE_ROLE, "--action", "ecs:TagResource", "--output", "json"))
    assert report["results"][0]["decision"] == "implicitDeny"
    assert report["results"][0]["missing_context_keys"] == ["ecs:CreateAction"]

    out = policy("simulate", *GUIDE_ROLE, "--action", "ecs:TagResource", "--context", "ecs:CreateAction=CreateCluster")
    assert out.returncode == 0, out.stdout
    assert "allowed by AmazonEC2ContainerServiceforEC2Role Statement[1]" in out.stdout

    assert policy("simulate", *GUIDE_ROLE, "--action", "ecs:TagResource", "--context", "ecs:CreateAction=DeleteCluster").returncode == 1
    # A repeated key is one key with several values: allowed when any matches.
    assert policy("simulate", *GUIDE_ROLE, "--action", "ecs:TagResource",
                  "--context", "ecs:CreateAction=RunTask", "--context", "ecs:CreateAction=CreateCluster").returncode == 0


def test_simulate_files_deny_sid_boundary_and_session(tmp_path):
    identity = write(tmp_path, "identity.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadAll", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]})
    boundary = write(tmp_path, "boundary.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::reports/*"}]})
    out = policy("simulate", "--policy", identity, "--action", "s3:DeleteObject", "--resource", "arn:aws:s3:::reports/q1.csv")
    assert out.returncode == 1
    assert "explicitDeny  s3:DeleteObject on arn:aws:s3:::reports/q1.csv" in out.stdout
    assert f"denied by {identity} Statement[1] Sid `NoDeletes` (Deny, identity-based policy)" in out.stdout

    report = as_json(policy("simulate", "--policy", identity, "--boundary", boundary, "--action", "s3:GetObject",
                            "--resource", "arn:aws:s3:::reports/q1.csv", "--resource", "arn:aws:s3:::other/x", "--output", "json"))
    decisions = {r["resource"]: r["decision"] for r in report["results"]}
    assert decisions == {"arn:aws:s3:::reports/q1.csv": "allowed", "arn:aws:s3:::other/x": "implicitDeny"}
    denied = report["results"][1]
    assert denied["denied_by"] == "boundary"
    assert denied["matched_statements"][0]["sid"] == "ReadAll" and denied["matched_statements"][0]["file"] == identity

    session = write(tmp_path, "session.json", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
    role_session = "arn:aws:sts::123456789012:assumed-role/reader/alice"
    out = policy("simulate", "--policy", identity, "--session-policy", session, "--principal", role_session, "--action", "s3:GetObject")
    assert out.returncode == 1 and "because no session policy allows the s3:GetObject action" in out.stdout


def test_simulate_a_trust_policy_for_a_service(trust_forms):
    ssm = policy("simulate", "--trust-policy", trust_forms[1], "--principal", "ssm.amazonaws.com", "--action", "sts:AssumeRole")
    assert ssm.returncode == 0, ssm.stdout + ssm.stderr
    ec2 = policy("simulate", "--trust-policy", trust_forms[1], "--principal", "ec2.amazonaws.com", "--action", "sts:AssumeRole")
    assert ec2.returncode == 1


def test_simulate_errors_are_2(tmp_path, trust_forms):
    out = policy("simulate", "--managed-policy", "amazonssmmanagedinstancecore", "--action", "ssm:UpdateInstanceInformation")
    assert out.returncode == 2
    assert f"did you mean `{SSM_CORE}`?" in out.stderr
    out = policy("simulate", "--managed-policy", "NoSuchPolicy", "--action", "s3:GetObject", "--output", "json")
    assert out.returncode == 2 and "NoSuchPolicy" in as_json(out)["error"]["message"]
    # A trust policy is not an identity policy: AWS would not attach it.
    out = policy("simulate", "--policy", trust_forms[0], "--action", "sts:AssumeRole")
    assert out.returncode == 2 and "Policy document should not specify a principal." in out.stderr
    assert policy("simulate", *GUIDE_ROLE, "--action", "s3:GetObject", "--context", "novalue").returncode == 2
    assert policy("simulate", *GUIDE_ROLE, "--action", "s3:GetObject", "--principal", "alice").returncode == 2
    assert policy("simulate", *GUIDE_ROLE).returncode == 2  # --action is required
