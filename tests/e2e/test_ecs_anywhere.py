"""`ironiam ecs-anywhere check|ensure` against two independent IAM implementations.

Every test runs once against the real ironiam binary and once against
`moto_server` (with AWS's managed policies loaded): the command speaks AWS's
IAM/STS API through the AWS SDK for Rust, not something only ironiam answers.

For each starting state of the founding guide — no role; the console wizard's
EC2 role; one or both policies missing; a same-named customer policy instead
of `service-role/AmazonEC2ContainerServiceforEC2Role`; extra policies; the
trust in each of the guide's two forms — `check` reports it, `ensure --dry-run`
changes nothing, `ensure` repairs it, a second `ensure` changes nothing, and
`check` then passes.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

import boto3
import pytest
from botocore.config import Config

from conftest import ON_POSTGRES, binary

ROLE = "ecsAnywhereRole"
ACCOUNT = "123456789012"  # ironiam's and moto's default account
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
LOOK_ALIKE = f"arn:aws:iam::{ACCOUNT}:policy/AmazonEC2ContainerServiceforEC2Role"

# The guide's two forms of the trust policy, verbatim.
GUIDE_TRUST_CONSOLE = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "ssm.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}"""
GUIDE_TRUST_CLI = """{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Principal": {"Service": [
      "ssm.amazonaws.com"
    ]},
    "Action": "sts:AssumeRole"
  }
}"""
# What the console's "EC2 Role for Elastic Container Service" use case creates.
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
WIZARD_DESCRIPTION = "Allows EC2 instances to call AWS services on your behalf."


# --- backends ---------------------------------------------------------------


@dataclass
class Backend:
    """An IAM endpoint the command is pointed at, and how to empty it."""

    name: str
    endpoint: str
    reset_path: str

    def reset(self) -> None:
        if self.name == "moto":
            # moto's full reset reloads the ~1,000 managed policies on first use
            # (seconds); deleting what these tests create is enough and fast.
            self.delete_everything_created()
            return
        self.full_reset()

    def full_reset(self) -> None:
        req = urllib.request.Request(self.endpoint + self.reset_path, method="POST", data=b"")
        urllib.request.urlopen(req, timeout=10).read()

    def delete_everything_created(self) -> None:
        iam = self.client("iam")
        for role in iam.list_roles()["Roles"]:
            name = role["RoleName"]
            for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=p)
            iam.delete_role(RoleName=name)
        for policy in iam.list_policies(Scope="Local")["Policies"]:
            iam.delete_policy(PolicyArn=policy["Arn"])

    def client(self, service: str = "iam"):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            config=Config(retries={"max_attempts": 1}),
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto():
    exe = shutil.which("moto_server")
    if exe is None:
        pytest.fail("moto_server is not installed (pip install 'moto[server]'; scripts/test does)")
    port = free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    backend = Backend("moto", f"http://127.0.0.1:{port}", "/moto-api/reset")
    for _ in range(300):
        try:
            backend.full_reset()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("moto_server did not start")
    yield backend
    proc.kill()
    proc.wait(timeout=10)


@pytest.fixture(scope="module", params=["ironiam", "moto"] + (["ironiam-postgres"] if __name__ in ON_POSTGRES else []))
def backend(request):
    if request.param == "ironiam":
        server = request.getfixturevalue("server")
        return Backend("ironiam", server.endpoint, "/_ironiam/reset")
    if request.param == "ironiam-postgres":
        server = request.getfixturevalue("postgres_server")
        return Backend("ironiam", server.endpoint, "/_ironiam/reset")
    return request.getfixturevalue("moto")


@pytest.fixture
def target(backend):
    backend.reset()
    return backend


# --- running the command ----------------------------------------------------


@pytest.fixture(scope="module")
def empty_file():
    fd, path = tempfile.mkstemp(prefix="ironiam-empty-aws-config-")
    os.close(fd)
    yield path
    os.unlink(path)


def clean_env(empty_file: str, **extra: str) -> dict:
    """The environment without any AWS setting of the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=empty_file,
        AWS_SHARED_CREDENTIALS_FILE=empty_file,
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env


def credentials_env(empty_file: str, **extra: str) -> dict:
    return clean_env(
        empty_file,
        AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        AWS_REGION="us-east-1",
        **extra,
    )


@pytest.fixture
def cli(target, empty_file):
    """Runs `ironiam ecs-anywhere ARGS --endpoint-url TARGET`."""

    def run(*args: str, env: dict | None = None, endpoint: bool = True) -> subprocess.CompletedProcess:
        cmd = [binary(), "ecs-anywhere", *args]
        if endpoint:
            cmd += ["--endpoint-url", target.endpoint]
        return subprocess.run(
            cmd, env=env or credentials_env(empty_file), capture_output=True, text=True, timeout=60
        )

    return run


def run_json(cli, *args: str) -> tuple[int, dict]:
    proc = cli(*args, "--output", "json")
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# --- reading the role back with boto3 ---------------------------------------


def snapshot(iam) -> dict | None:
    """Everything ensure may touch, to prove --dry-run and a second ensure touch nothing."""
    try:
        role = iam.get_role(RoleName=ROLE)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return {
        "trust": role["AssumeRolePolicyDocument"],
        "description": role.get("Description"),
        "attached": sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]),
        "inline": sorted(iam.list_role_policies(RoleName=ROLE)["PolicyNames"]),
    }


def statements(trust: dict) -> list[dict]:
    s = trust["Statement"]
    return s if isinstance(s, list) else [s]


def services(statement: dict) -> list[str]:
    value = statement.get("Principal", {}).get("Service", [])
    return [value] if isinstance(value, str) else value


# --- starting states --------------------------------------------------------


def create_role(iam, trust: str, *attach: str, description: str | None = None) -> None:
    kwargs = {"Description": description} if description else {}
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust, **kwargs)
    for arn in attach:
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn)


def console_wizard(iam) -> None:
    create_role(iam, EC2_TRUST, ECS_EC2, description=WIZARD_DESCRIPTION)


def wrong_arn_path(iam, path: str = "/") -> None:
    # Someone looked for arn:aws:iam::aws:policy/AmazonEC2ContainerServiceforEC2Role
    # (no service-role/), did not find it, and made their own.
    arn = iam.create_policy(
        PolicyName="AmazonEC2ContainerServiceforEC2Role",
        Path=path,
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    create_role(iam, GUIDE_TRUST_CLI, SSM_CORE, arn)


def extra_policies(iam) -> None:
    create_role(iam, GUIDE_TRUST_CONSOLE, SSM_CORE, ECS_EC2, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="logs",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
        ),
    )


@dataclass
class State:
    name: str
    setup: Callable
    checks: dict  # check id -> expected status
    changes: list  # expected `ensure` actions, in order
    extras: list = field(default_factory=list)  # expected extra kinds, in order


PASS_ALL = {
    "role-exists": "pass",
    "policy:AmazonSSMManagedInstanceCore": "pass",
    "policy:AmazonEC2ContainerServiceforEC2Role": "pass",
    "trust-allows-ssm": "pass",
}

STATES = [
    State(
        "no-role",
        lambda iam: None,
        {
            "role-exists": "fail",
            "policy:AmazonSSMManagedInstanceCore": "skipped",
            "policy:AmazonEC2ContainerServiceforEC2Role": "skipped",
            "trust-allows-ssm": "skipped",
        },
        ["create-role", "attach-role-policy", "attach-role-policy"],
    ),
    State(
        "console-wizard-ec2-trust",
        console_wizard,
        {**PASS_ALL, "policy:AmazonSSMManagedInstanceCore": "fail", "trust-allows-ssm": "fail"},
        ["update-assume-role-policy", "attach-role-policy"],
        ["trust-principal"],
    ),
    State(
        "ssm-core-missing",
        lambda iam: create_role(iam, GUIDE_TRUST_CLI, ECS_EC2),
        {**PASS_ALL, "policy:AmazonSSMManagedInstanceCore": "fail"},
        ["attach-role-policy"],
    ),
    State(
        "ecs-policy-missing",
        lambda iam: create_role(iam, GUIDE_TRUST_CLI, SSM_CORE),
        {**PASS_ALL, "policy:AmazonEC2ContainerServiceforEC2Role": "fail"},
        ["attach-role-policy"],
    ),
    State(
        "both-policies-missing",
        lambda iam: create_role(iam, GUIDE_TRUST_CONSOLE),
        {
            **PASS_ALL,
            "policy:AmazonSSMManagedInstanceCore": "fail",
            "policy:AmazonEC2ContainerServiceforEC2Role": "fail",
        },
        ["attach-role-policy", "attach-role-policy"],
    ),
    State(
        "wrong-arn-path-look-alike",
        wrong_arn_path,
        {**PASS_ALL, "policy:AmazonEC2ContainerServiceforEC2Role": "fail"},
        ["attach-role-policy"],
        ["look-alike-policy"],
    ),
    State(
        "look-alike-at-service-role-path",
        lambda iam: wrong_arn_path(iam, "/service-role/"),
        {**PASS_ALL, "policy:AmazonEC2ContainerServiceforEC2Role": "fail"},
        ["attach-role-policy"],
        ["look-alike-policy"],
    ),
    State("extra-policies", extra_policies, PASS_ALL, [], ["policy", "inline-policy"]),
    State(
        "guide-trust-console-form",
        lambda iam: create_role(iam, GUIDE_TRUST_CONSOLE, SSM_CORE, ECS_EC2),
        PASS_ALL,
        [],
    ),
    State(
        "guide-trust-cli-form", lambda iam: create_role(iam, GUIDE_TRUST_CLI, SSM_CORE, ECS_EC2), PASS_ALL, []
    ),
]


@pytest.mark.parametrize("state", STATES, ids=[s.name for s in STATES])
def test_check_ensure_converges_from_every_starting_state(target, cli, state):
    iam = target.client("iam")
    state.setup(iam)
    before = snapshot(iam)
    ready_at_start = not state.changes

    # check reports it, as JSON and as a checklist, with the right exit status.
    code, report = run_json(cli, "check")
    assert code == (0 if ready_at_start else 1), report
    assert {c["id"]: c["status"] for c in report["checks"]} == state.checks
    assert [e["kind"] for e in report["extras"]] == state.extras
    assert report["status"] == ("ready" if ready_at_start else "needs-changes")
    human = cli("check")
    assert human.returncode == code
    assert ("Ready:" if ready_at_start else "Needs changes:") in human.stdout

    # --dry-run lists the changes and makes none.
    code, dry = run_json(cli, "ensure", "--dry-run")
    assert code == 0, dry
    assert [c["action"] for c in dry["changes"]] == state.changes
    assert all(c["command"].startswith("aws iam ") for c in dry["changes"])
    assert snapshot(iam) == before

    # ensure repairs it; a second ensure changes nothing; check then passes.
    code, first = run_json(cli, "ensure")
    assert code == 0, first
    assert [c["action"] for c in first["changes"]] == state.changes
    assert first["status"] == ("unchanged" if ready_at_start else "changed")
    after = snapshot(iam)
    code, second = run_json(cli, "ensure")
    assert (code, second["status"], second["changes"]) == (0, "unchanged", [])
    assert snapshot(iam) == after
    code, report = run_json(cli, "check")
    assert code == 0, report
    assert {c["id"]: c["status"] for c in report["checks"]} == PASS_ALL

    # What ensure must not touch is still there.
    assert SSM_CORE in after["attached"] and ECS_EC2 in after["attached"]
    assert set(before["attached"] if before else []) <= set(after["attached"])
    assert (before["inline"] if before else []) == after["inline"]
    if state.name.startswith("look-alike") or state.name == "wrong-arn-path-look-alike":
        assert [a for a in after["attached"] if ":123456789012:policy/" in a] == [
            a for a in before["attached"] if ":123456789012:policy/" in a
        ]
        assert "look-alike" in " ".join(first["notes"])
    if state.name == "console-wizard-ec2-trust":
        trust = after["trust"]
        assert [services(s) for s in statements(trust)] == [["ssm.amazonaws.com"]]
        assert after["description"] == WIZARD_DESCRIPTION


def test_look_alike_is_named_in_the_checklist(target, cli):
    wrong_arn_path(target.client("iam"))
    proc = cli("check")
    assert proc.returncode == 1
    assert "[FAIL] AmazonEC2ContainerServiceforEC2Role is not attached (" + ECS_EC2 + ")" in proc.stdout
    assert f"`{LOOK_ALIKE}` is attached instead" in proc.stdout
    assert f"aws iam detach-role-policy --role-name {ROLE} --policy-arn {LOOK_ALIKE}" in proc.stdout


def test_console_wizard_role_checklist_explains_the_trust(target, cli):
    console_wizard(target.client("iam"))
    proc = cli("check")
    assert proc.returncode == 1, proc.stdout
    assert "[FAIL] the trust relationship does not let ssm.amazonaws.com call sts:AssumeRole" in proc.stdout
    assert "no statement allows ssm.amazonaws.com to call sts:AssumeRole" in proc.stdout
    assert "the trust relationship also trusts Service ec2.amazonaws.com" in proc.stdout


def test_keep_extra_keeps_the_wizards_ec2_statement(target, cli):
    iam = target.client("iam")
    console_wizard(iam)
    code, out = run_json(cli, "ensure", "--keep-extra")
    assert code == 0, out
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert [services(s) for s in statements(trust)] == [["ssm.amazonaws.com"], ["ec2.amazonaws.com"]]
    assert run_json(cli, "ensure", "--keep-extra")[1]["changes"] == []
    code, report = run_json(cli, "check")
    assert code == 0
    assert [e["value"] for e in report["extras"]] == ["Service ec2.amazonaws.com"]


def test_harden_adds_the_source_account_condition_once(target, cli):
    iam = target.client("iam")
    create_role(iam, GUIDE_TRUST_CLI, SSM_CORE, ECS_EC2)
    code, report = run_json(cli, "check")
    assert [r["id"] for r in report["recommendations"]] == ["harden-trust"]

    code, out = run_json(cli, "ensure", "--harden")
    assert code == 0, out
    assert [c["action"] for c in out["changes"]] == ["update-assume-role-policy"]
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert statements(trust) == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ]
    assert run_json(cli, "ensure", "--harden")[1]["changes"] == []
    # A plain ensure does not take the hardening away.
    assert run_json(cli, "ensure")[1]["changes"] == []
    code, report = run_json(cli, "check")
    assert (code, report["recommendations"]) == (0, [])


def test_harden_on_a_new_role(target, cli):
    code, out = run_json(cli, "ensure", "--harden", "--description", "ECS Anywhere: on-premises servers")
    assert code == 0, out
    role = target.client("iam").get_role(RoleName=ROLE)["Role"]
    assert role["Description"] == "ECS Anywhere: on-premises servers"
    assert statements(role["AssumeRolePolicyDocument"])[0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}
    }
    code, report = run_json(cli, "check")
    assert (code, report["recommendations"]) == (0, [])


def test_a_hardening_condition_for_another_account_is_wrong(target, cli):
    iam = target.client("iam")
    trust = json.loads(GUIDE_TRUST_CONSOLE)
    trust["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": "999999999999"}}
    create_role(iam, json.dumps(trust), SSM_CORE, ECS_EC2)
    code, report = run_json(cli, "check")
    assert code == 1
    trust_check = report["checks"][3]
    assert trust_check["status"] == "fail"
    assert any("999999999999" in d for d in trust_check["details"]), trust_check
    assert run_json(cli, "ensure")[0] == 0
    assert run_json(cli, "check")[0] == 0


EQUIVALENT_TRUSTS = {
    "action-wildcard": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:*"},
    "action-list-and-case": {
        "Effect": "Allow",
        "Principal": {"Service": ["ssm.amazonaws.com"]},
        "Action": ["sts:TagSession", "STS:assumerole"],
    },
    "two-services": {
        "Effect": "Allow",
        "Principal": {"Service": ["ec2.amazonaws.com", "ssm.amazonaws.com"]},
        "Action": "sts:AssumeRole",
    },
    "source-arn": {
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:ssm:*:{ACCOUNT}:*"}},
    },
    # AWS's documented hardening for the SSM hybrid role, in another region
    # than the one the command runs for.
    "source-account-and-regional-arn": {
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnEquals": {"aws:SourceArn": f"arn:aws:ssm:eu-west-2:{ACCOUNT}:*"},
        },
    },
    "service-principal-condition": {
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}},
    },
}


@pytest.mark.parametrize("name", EQUIVALENT_TRUSTS)
def test_equivalent_trust_forms_pass(target, cli, name):
    document = {"Version": "2012-10-17", "Statement": [EQUIVALENT_TRUSTS[name]]}
    create_role(target.client("iam"), json.dumps(document), SSM_CORE, ECS_EC2)
    code, report = run_json(cli, "check")
    assert code == 0, report
    assert run_json(cli, "ensure")[1]["changes"] == []


def test_a_deny_for_everyone_fails_the_trust_and_is_dropped_even_with_keep_extra(target, cli):
    iam = target.client("iam")
    trust = json.loads(GUIDE_TRUST_CONSOLE)
    trust["Statement"].append({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    create_role(iam, json.dumps(trust), SSM_CORE, ECS_EC2)
    code, report = run_json(cli, "check")
    assert code == 1
    assert report["checks"][3]["details"] == ["statement 2 denies ssm.amazonaws.com sts:AssumeRole"]
    code, out = run_json(cli, "ensure", "--keep-extra")
    assert code == 0
    assert "dropped statement 2: it keeps ssm.amazonaws.com out" in out["notes"]
    assert run_json(cli, "check")[0] == 0


def test_dry_run_prints_commands_the_aws_cli_runs(target, cli, empty_file):
    """The dry run's listing is a shell script; run it with the AWS CLI and the role is ready."""
    console_wizard(target.client("iam"))
    before = snapshot(target.client("iam"))
    proc = cli("ensure", "--dry-run", "--harden", "--description", "it's for ECS Anywhere")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(target.client("iam")) == before
    commands = [line for line in proc.stdout.splitlines() if not line.startswith("#")]
    assert [c.split()[2] for c in commands] == ["update-assume-role-policy", "update-role", "attach-role-policy"]
    assert all(f"--endpoint-url {target.endpoint}" in c for c in commands)
    assert "--description 'it'\\''s for ECS Anywhere'" in proc.stdout
    script = subprocess.run(
        ["bash", "-e", "-c", proc.stdout], env=credentials_env(empty_file), capture_output=True, text=True, timeout=120
    )
    assert script.returncode == 0, script.stderr
    code, report = run_json(cli, "check")
    assert (code, report["recommendations"]) == (0, [])
    assert run_json(cli, "ensure", "--harden", "--description", "it's for ECS Anywhere")[1]["changes"] == []


def test_dry_run_for_a_missing_role_creates_it_with_the_aws_cli(target, cli, empty_file):
    proc = cli("ensure", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "--policy-arn " + ECS_EC2 in proc.stdout
    assert snapshot(target.client("iam")) is None
    script = subprocess.run(
        ["bash", "-e", "-c", proc.stdout], env=credentials_env(empty_file), capture_output=True, text=True, timeout=120
    )
    assert script.returncode == 0, script.stderr
    assert cli("check").returncode == 0


def test_role_names_are_case_insensitive(target, cli, request):
    """IAM role names are unique ignoring case, and GetRole finds a role in any case."""
    if target.name == "moto":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="moto looks role names up case-sensitively (GetRole ECSANYWHEREROLE: NoSuchEntity) "
                "and lets CreateRole make a second role differing only in case",
            )
        )
    assert run_json(cli, "ensure")[0] == 0
    code, report = run_json(cli, "check", "--role-name", "ECSANYWHEREROLE")
    assert code == 0, report
    assert report["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
    assert run_json(cli, "ensure", "--role-name", "ECSANYWHEREROLE")[1]["changes"] == []


def test_another_role_name(target, cli):
    code, out = run_json(cli, "ensure", "--role-name", "edgeRole")
    assert code == 0, out
    assert run_json(cli, "check", "--role-name", "edgeRole")[0] == 0
    assert run_json(cli, "check")[0] == 1


# --- the standard configuration chain ----------------------------------------


def test_endpoint_from_aws_endpoint_url(target, cli, empty_file):
    env = credentials_env(empty_file, AWS_ENDPOINT_URL=target.endpoint)
    assert cli("ensure", "--harden", env=env, endpoint=False).returncode == 0
    assert cli("check", env=env, endpoint=False).returncode == 0


def test_endpoint_from_service_specific_variables(target, cli, empty_file):
    env = credentials_env(empty_file, AWS_ENDPOINT_URL_IAM=target.endpoint, AWS_ENDPOINT_URL_STS=target.endpoint)
    assert cli("ensure", "--harden", env=env, endpoint=False).returncode == 0
    assert cli("check", env=env, endpoint=False).returncode == 0


def test_the_flag_beats_the_environment(target, cli, empty_file):
    env = credentials_env(empty_file, AWS_ENDPOINT_URL_IAM="http://127.0.0.1:9", AWS_ENDPOINT_URL="http://127.0.0.1:9")
    assert cli("check", env=env).returncode == 1  # reached the target: no role yet


def test_profile_from_config_files(target, cli, tmp_path):
    config = tmp_path / "config"
    config.write_text(f"[profile edge]\nregion = eu-west-1\nendpoint_url = {target.endpoint}\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[edge]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = secret\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials), AWS_EC2_METADATA_DISABLED="true"
    )
    dry = cli("ensure", "--dry-run", "--profile", "edge", env=env, endpoint=False)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[-1].endswith(" --region eu-west-1 --profile edge"), dry.stdout
    assert cli("ensure", "--profile", "edge", env=env, endpoint=False).returncode == 0
    assert cli("check", "--profile", "edge", env=env, endpoint=False).returncode == 0
    env["AWS_PROFILE"] = "edge"
    assert cli("check", env=env, endpoint=False).returncode == 0


def test_no_region_anywhere_is_fine_and_quiet(target, cli, empty_file):
    """IAM is global: no region configured means us-east-1, without asking the
    EC2 instance metadata service (IMDS stays enabled here on purpose)."""
    env = {k: v for k, v in credentials_env(empty_file).items() if k not in ("AWS_REGION", "AWS_EC2_METADATA_DISABLED")}
    proc = cli("ensure", "--dry-run", env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[-1].endswith(" --region us-east-1"), proc.stdout


# --- clear failures (exit 2) --------------------------------------------------


def test_no_credentials(target, cli, empty_file):
    for action in (["check"], ["ensure"], ["ensure", "--dry-run"]):
        proc = cli(*action, env=clean_env(empty_file, AWS_REGION="us-east-1"))
        assert proc.returncode == 2, proc
        assert proc.stdout == ""
        assert proc.stderr.startswith("ironiam ecs-anywhere: no AWS credentials found"), proc.stderr
        assert "hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in proc.stderr
    proc = cli("check", "--output", "json", env=clean_env(empty_file))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["kind"] == "no-credentials"
    assert snapshot(target.client("iam")) is None


def test_unreachable_endpoint(empty_file):
    port = free_port()  # nothing listens there once the probe socket is closed
    for action in (["check"], ["ensure"]):
        proc = subprocess.run(
            [binary(), "ecs-anywhere", *action, "--endpoint-url", f"http://127.0.0.1:{port}"],
            env=credentials_env(empty_file, AWS_MAX_ATTEMPTS="1"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc
        assert proc.stderr.startswith(f"ironiam ecs-anywhere: cannot reach the IAM endpoint http://127.0.0.1:{port}: "), (
            proc.stderr
        )
        assert "Connection refused" in proc.stderr


def test_unreachable_endpoint_with_default_retries_as_json(empty_file):
    port = free_port()
    proc = subprocess.run(
        [binary(), "ecs-anywhere", "check", "--output", "json", "--endpoint-url", f"http://127.0.0.1:{port}"],
        env=credentials_env(empty_file),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["kind"] == "unreachable"
    assert f"http://127.0.0.1:{port}" in error["message"]


def canned_endpoint(status: int, content_type: str, body: bytes):
    """A loopback HTTP server that answers every request with one canned response."""
    import http.server
    import threading

    class Canned(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def run_against(httpd, empty_file, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [binary(), "ecs-anywhere", *args, "--endpoint-url", f"http://127.0.0.1:{httpd.server_port}"],
            env=credentials_env(empty_file, AWS_MAX_ATTEMPTS="1"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        httpd.shutdown()


def test_an_endpoint_that_is_not_iam(empty_file):
    """A web server that is not IAM: exit 2, not a crash or a false 'ready'."""
    proc = run_against(canned_endpoint(404, "text/html", b"<html>not here</html>"), empty_file, "check")
    assert proc.returncode == 2, proc
    assert proc.stderr.startswith("ironiam ecs-anywhere: "), proc.stderr


ACCESS_DENIED = (
    b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
    b"<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
    b"iam:GetRole on resource: role ecsAnywhereRole because no identity-based policy allows the iam:GetRole "
    b"action</Message></Error><RequestId>4f1b2c3d-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
)


@pytest.mark.parametrize("action", ["check", "ensure"])
def test_access_denied(empty_file, action):
    """AWS's AccessDenied answer, byte for byte as a real account gives it
    (a canned endpoint): exit 2, the denial's own message, and which
    permissions the command needs. ironiam's own enforce mode is tested below."""
    proc = run_against(canned_endpoint(403, "text/xml", ACCESS_DENIED), empty_file, action)
    assert proc.returncode == 2, proc
    assert proc.stderr.startswith(
        "ironiam ecs-anywhere: access denied calling iam:GetRole: User: arn:aws:iam::123456789012:user/dev "
        "is not authorized to perform: iam:GetRole"
    ), proc.stderr
    assert "hint: the check needs iam:GetRole, iam:ListAttachedRolePolicies" in proc.stderr


def test_a_failure_halfway_says_what_was_changed(empty_file):
    """ironiam with a quota of one managed policy per role: the second attach fails."""
    from conftest import Server

    server = Server("--quota", "managed-policies-per-role=1", in_memory=True)
    try:
        proc = subprocess.run(
            [binary(), "ecs-anywhere", "ensure", "--endpoint-url", server.endpoint, "--output", "json"],
            env=credentials_env(empty_file),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert proc.returncode == 2, proc
    out = json.loads(proc.stdout)
    assert out["error"]["kind"] == "service-error"
    assert out["error"]["message"].startswith("iam:AttachRolePolicy failed: LimitExceeded: ")
    assert [c["action"] for c in out["changes_made"]] == ["create-role", "attach-role-policy"]
    assert "changed before the failure:\n    - create role `ecsAnywhereRole`" in proc.stderr


@pytest.mark.parametrize("action", ["check", "ensure"])
def test_access_denied_by_ironiam_in_enforce_mode(empty_file, action):
    """A real account where the caller may not read IAM: ironiam enforcing,
    a user with keys but no policy. Exit 2 with the denial's own words."""
    import boto3
    from conftest import Server

    root_id, root_secret = "AKIAROOTECSANYWHERE1", "root/Secret+EcsAnywhere"
    server = Server("--auth", "enforce", "--root-access-key", f"{root_id}:{root_secret}", in_memory=True)
    try:
        root = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                            aws_access_key_id=root_id, aws_secret_access_key=root_secret)
        root.create_user(UserName="dev")
        key = root.create_access_key(UserName="dev")["AccessKey"]
        env = clean_env(empty_file, AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"], AWS_REGION="us-east-1")
        proc = subprocess.run([binary(), "ecs-anywhere", action, "--endpoint-url", server.endpoint],
                              env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc
        assert proc.stderr.startswith(
            "ironiam ecs-anywhere: access denied calling iam:GetRole: User: arn:aws:iam::123456789012:user/dev "
            "is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/ecsAnywhereRole "
            "because no identity-based policy allows the iam:GetRole action"
        ), proc.stderr
        # Nothing was created by the denied ensure.
        assert root.list_roles()["Roles"] == []
    finally:
        server.stop()
