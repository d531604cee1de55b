"""Terraform's `hashicorp/aws` provider manages IAM against the real binary.

Each configuration (HCL in tests/e2e/terraform/) goes through `terraform init`,
offline, from a filesystem mirror of the provider (nothing is downloaded: the
CLI configuration names only the mirror, and a dead proxy catches any other
request); then `apply`, checked with boto3; then `plan -detailed-exitcode`,
which must report no changes (what Terraform reads back is what it wrote);
then `destroy`, after which nothing the configuration made is left.

A step that fails only because ironiam does not implement an operation the
provider calls (501 NotImplemented) raises `NotImplementedYet`; such a step
is marked `xfail(strict=True)` naming the operations and the issue item that
brings them, so CI shows exactly what is missing and fails (XPASS) the day it
lands, when the mark is to be removed. Any other failure is a failure.

One init per configuration (the provider is a 700 MB plugin). The tests skip
only where `terraform` or the provider mirror is absent; the mirror is found
in IRONIAM_TF_MIRROR, /opt/tf-plugins or Terraform's implied mirror folders.
"""

import json
import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Server, guide_blocks
from helpers import client

FIXTURES = Path(__file__).resolve().parent / "terraform"
PROVIDER = "registry.terraform.io/hashicorp/aws"
ACCOUNT = "123456789012"  # ironiam's default account
FAKE_KEYS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
ROOT_KEYS = ("AKIATERRAFORMROOT001", "terraform/Root+Secret")
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
INIT_TIMEOUT = 300  # seconds; init takes ~2 s (it hashes the plugin)
STEP_TIMEOUT = 600  # seconds; apply/plan/destroy take 15-40 s, mostly the plugin starting


def _platform() -> str:
    arch = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch)
    return f"{platform.system().lower()}_{arch}"


def _mirror_candidates() -> list[Path]:
    """Where a filesystem mirror of the provider may be: IRONIAM_TF_MIRROR,
    the machine image's folder, then Terraform's implied local mirrors."""
    places = [os.environ.get("IRONIAM_TF_MIRROR"), "/opt/tf-plugins",
              Path.home() / ".terraform.d" / "plugins",
              Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "terraform" / "plugins"]
    places += [Path(d) / "terraform" / "plugins"
               for d in os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share").split(":") if d]
    return [Path(p) for p in places if p]


def _version_key(version: str):
    return tuple(int(n) if n.isdigit() else 0 for n in re.split(r"[.-]", version))


def find_mirror() -> tuple[Path, str] | None:
    """(mirror root, provider version) of the newest hashicorp/aws 5.x for this
    platform, unpacked (`<version>/<platform>/terraform-provider-aws*`) or packed
    (`terraform-provider-aws_<version>_<platform>.zip`)."""
    for root in _mirror_candidates():
        versions = {p.parent.parent.name for p in root.glob(f"{PROVIDER}/*/{_platform()}/terraform-provider-aws*")}
        versions |= {m.group(1) for p in root.glob(f"{PROVIDER}/terraform-provider-aws_*_{_platform()}.zip")
                     if (m := re.match(r"terraform-provider-aws_(.+)_" + _platform(), p.stem))}
        versions = sorted((v for v in versions if v.startswith("5.")), key=_version_key)
        if versions:
            return root, versions[-1]
    return None


TERRAFORM = shutil.which("terraform")
MIRROR = find_mirror()
pytestmark = [
    pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed (not on PATH)"),
    pytest.mark.skipif(
        MIRROR is None,
        reason=f"no filesystem mirror holds {PROVIDER} 5.x for {_platform()} (searched: "
               + ", ".join(map(str, _mirror_candidates())) + "; set IRONIAM_TF_MIRROR to the folder holding "
               "registry.terraform.io/)"),
]


class NotImplementedYet(Exception):
    """A Terraform step failed only because ironiam answered 501 NotImplemented
    to operations it is known not to implement yet."""


# The provider (aws-sdk-go-v2) reports an API error as
# "operation error IAM: ListInstanceProfilesForRole, https response error StatusCode: 501, …".
NOT_IMPLEMENTED = re.compile(r"operation error (?:IAM|STS): (\w+), https response error StatusCode: 501\b")
ERROR_LINE = re.compile(r"^[\s│]*Error: (.*)$", re.MULTILINE)


class Terraform:
    """One Terraform working directory, configured against one server."""

    def __init__(self, directory: Path, server: Server, files: list[str], keys: tuple[str, str],
                 validate_credentials: bool):
        self.dir = directory
        self.iam = client(server, "iam", *keys)  # boto3, with the provider's keys
        self.timings: dict[str, float] = {}
        self.applied: NotImplementedYet | bool = False
        self.vars: list[str] = []  # -var arguments of the configuration's current generation
        mirror, self.version = MIRROR
        self.mirror = mirror
        # Only the mirror: no `direct` block, so no provider can come from the network.
        (directory / "cli.tfrc").write_text(
            'provider_installation {\n'
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{PROVIDER}"]\n  }}\n'
            '}\n')
        (directory / "provider.tf").write_text(f'''
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "{self.version}" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "{keys[0]}"
  secret_key                  = "{keys[1]}"
  skip_credentials_validation = {str(not validate_credentials).lower()}
  skip_requesting_account_id  = false
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
    iam = "{server.endpoint}"
    sts = "{server.endpoint}"
  }}
}}
''')
        for name in files:
            shutil.copy(FIXTURES / name, directory / name)
        # The guide's own trust policy, as its CLI step writes ssm-trust-policy.json.
        blocks = guide_blocks()
        create = next(i for i, b in enumerate(blocks) if "create-role" in b and "ssm-trust-policy.json" in b)
        self.trust_policy = blocks[create - 1]
        (directory / "ssm-trust-policy.json").write_text(self.trust_policy)

    def env(self, **extra: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        env.update(
            TF_CLI_CONFIG_FILE=str(self.dir / "cli.tfrc"),
            TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1",
            # Anything not for the server would go to this dead proxy (Go never
            # proxies loopback addresses).
            HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="127.0.0.1,localhost",
            # The provider's credentials are in provider.tf, nowhere else.
            AWS_CONFIG_FILE=str(self.dir / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.dir / "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        env.update(extra)
        return env

    def run(self, step: str, *args: str, timeout: int = STEP_TIMEOUT, **env: str) -> subprocess.CompletedProcess:
        started = time.monotonic()
        try:
            result = subprocess.run([TERRAFORM, *args, "-no-color"], cwd=self.dir,
                                    env=self.env(**env), capture_output=True, text=True, timeout=timeout)
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.monotonic() - started
        return result

    def succeed(self, step: str, result: subprocess.CompletedProcess, blocked_by: tuple[str, ...] = ()) -> str:
        """The output of a step that must succeed; NotImplementedYet if every
        error it shows is a 501 from an operation in `blocked_by`."""
        output = result.stdout + result.stderr
        if result.returncode == 0:
            return output
        errors = ERROR_LINE.findall(output)
        missing = [NOT_IMPLEMENTED.search(e) for e in errors]
        if errors and all(m and m.group(1) in blocked_by for m in missing):
            raise NotImplementedYet(f"terraform {step}: " + "; ".join(errors))
        raise AssertionError(f"terraform {step} exited {result.returncode}:\n{output[-8000:]}")

    def init(self) -> None:
        log = self.dir / "init.log"
        result = self.run("init", "init", "-input=false", timeout=INIT_TIMEOUT, TF_LOG="TRACE", TF_LOG_PATH=str(log))
        self.succeed("init", result)
        trace = log.read_text()
        assert f"installing {PROVIDER} v{self.version} from {self.mirror}/" in trace, trace[-4000:]
        for remote in ("https://registry.terraform.io", "releases.hashicorp.com", "checkpoint-api.hashicorp.com"):
            assert remote not in trace, f"terraform init reached for {remote}"

    def apply(self, blocked_by: tuple[str, ...] = ()) -> str:
        """Applies once; a later call re-raises what the first one met."""
        if isinstance(self.applied, NotImplementedYet):
            raise self.applied
        if self.applied:
            return ""
        try:
            output = self.succeed("apply", self.run("apply", "apply", "-input=false", "-auto-approve", *self.vars),
                                  blocked_by)
        except NotImplementedYet as e:
            self.applied = e
            raise
        self.applied = True
        return output

    def plan(self) -> subprocess.CompletedProcess:
        return self.run("plan", "plan", "-input=false", "-detailed-exitcode", *self.vars)

    def destroy(self, blocked_by: tuple[str, ...] = ()) -> str:
        return self.succeed("destroy", self.run("destroy", "destroy", "-input=false", "-auto-approve", *self.vars),
                            blocked_by)

    def update(self, vars: list[str], blocked_by: tuple[str, ...] = ()) -> str:
        """Applies the configuration again with `vars`."""
        self.vars = vars
        return self.succeed("update", self.run("update", "apply", "-input=false", "-auto-approve", *vars), blocked_by)

    def output(self, name: str) -> str:
        result = self.run("output", "output", "-raw", name, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout


def _listed(call, key: str, name: str, **params) -> list[str]:
    """Every name a (paginated) IAM listing returns; [] where ironiam does not
    implement the listing yet (then nothing of that kind can exist)."""
    try:
        return sorted(item[name] for page in call.paginate(**params) for item in page[key])
    except ClientError as e:
        if e.response["Error"]["Code"] == "NotImplemented":
            return []
        raise


def inventory(iam) -> dict[str, list[str]]:
    """Everything a configuration could leave behind, by kind."""
    return {
        "roles": _listed(iam.get_paginator("list_roles"), "Roles", "Arn"),
        "users": _listed(iam.get_paginator("list_users"), "Users", "Arn"),
        "customer managed policies": _listed(iam.get_paginator("list_policies"), "Policies", "Arn", Scope="Local"),
        "instance profiles": _listed(iam.get_paginator("list_instance_profiles"), "InstanceProfiles", "Arn"),
        "groups": _listed(iam.get_paginator("list_groups"), "Groups", "Arn"),
    }


class Lifecycle:
    """apply → plan (no changes) → [update in place → plan] → destroy (nothing
    left) for one configuration, each step a test, in this order.

    `blocked` maps a step ("apply", "plan", "update", "destroy") to the
    operations whose 501 is expected to stop it and the issue item that brings
    them: the step is then xfail(strict=True, raises=NotImplementedYet)."""

    files: list[str] = []
    server_args: tuple[str, ...] = ()
    keys = FAKE_KEYS
    validate_credentials = True
    blocked: dict[str, tuple[tuple[str, ...], str]] = {}

    @pytest.fixture(scope="class")
    def terraform(self, request, tmp_path_factory):
        cls = request.cls
        directory = tmp_path_factory.mktemp(cls.__name__)
        server = Server(*cls.server_args, in_memory=True, log_path=str(directory / "server.log"))
        tf = None
        try:
            tf = Terraform(directory, server, cls.files, cls.keys, cls.validate_credentials)
            tf.before = inventory(tf.iam)  # what a fresh server holds
            tf.init()
            yield tf
        finally:
            server.stop()
            # How long each step took, on the terminal (CI's time budget is watched).
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            capture = request.config.pluginmanager.get_plugin("capturemanager")
            if reporter and capture and tf:
                steps = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in tf.timings.items())
                with capture.global_and_fixture_disabled():
                    reporter.write_line(f"\nterraform {cls.__name__}: {steps}; total {sum(tf.timings.values()):.1f}s")

    @pytest.fixture(autouse=True)
    def _blocked_step(self, request):
        """Marks a step that missing operations are expected to stop."""
        step = request.function.__name__.split("_")[1]
        if step in self.blocked:
            operations, item = self.blocked[step]
            request.node.add_marker(pytest.mark.xfail(
                strict=True, raises=NotImplementedYet,
                reason=f"{', '.join(operations)} not implemented yet ({item})"))
        return self.blocked.get(step, ((), ""))[0]

    def test_apply(self, terraform, _blocked_step):
        terraform.apply(_blocked_step)
        self.check_applied(terraform, terraform.iam)

    def test_plan_shows_no_changes(self, terraform, _blocked_step):
        terraform.apply(self.blocked.get("apply", ((), ""))[0])
        self.plan_shows_no_changes(terraform, _blocked_step)

    def test_update_in_place(self, terraform, _blocked_step):
        """The second generation of the configuration (`-var generation=2`) is
        applied as in-place changes only, then planned as no changes."""
        terraform.apply(self.blocked.get("apply", ((), ""))[0])
        output = terraform.update(["-var", "generation=2"], _blocked_step)
        assert f"Resources: 0 added, {self.updated_in_place} changed, 0 destroyed." in output, output[-4000:]
        self.check_updated(terraform, terraform.iam)
        self.plan_shows_no_changes(terraform, _blocked_step)

    def test_destroy_leaves_nothing(self, terraform, _blocked_step):
        terraform.apply(self.blocked.get("apply", ((), ""))[0])
        terraform.destroy(_blocked_step)
        assert inventory(terraform.iam) == terraform.before

    @staticmethod
    def plan_shows_no_changes(terraform: Terraform, blocked_by: tuple[str, ...]) -> None:
        result = terraform.plan()
        if result.returncode == 2:
            pytest.fail("terraform plan wants changes right after apply (a read-back differs):\n" + result.stdout)
        terraform.succeed("plan", result, blocked_by)
        assert "No changes." in result.stdout, result.stdout

    # How many resources the second generation changes. A configuration with
    # no second generation sets `test_update_in_place = None` (not collected:
    # pytest runs a class's inherited tests in the base's order, so the step
    # stays between plan and destroy where it exists).
    updated_in_place = 0

    def check_applied(self, terraform: Terraform, iam) -> None:
        """What apply made, as boto3 sees it."""

    def check_updated(self, terraform: Terraform, iam) -> None:
        """What the second generation changed, as boto3 sees it."""


class TestGuideRole(Lifecycle):
    """The founding guide's role and its two managed policies, with the guide's
    own trust policy text (a single statement object, the service in a list):
    the plan after apply must find it equivalent to what GetRole returns.
    `--auth off` with fake keys and credential validation skipped, so the
    provider finds the account through iam:GetUser as the root user."""

    files = ["guide.tf"]
    validate_credentials = False
    test_update_in_place = None

    def check_applied(self, terraform, iam):
        role = iam.get_role(RoleName="ecsAnywhereRole")["Role"]
        assert role["Arn"] == terraform.output("role_arn") == f"arn:aws:iam::{ACCOUNT}:role/ecsAnywhereRole"
        assert role["AssumeRolePolicyDocument"] == json.loads(terraform.trust_policy)  # the guide's, as written
        attached = iam.list_attached_role_policies(RoleName="ecsAnywhereRole")["AttachedPolicies"]
        assert sorted(p["PolicyArn"] for p in attached) == sorted([SSM_CORE, ECS_EC2])


class TestRolesUnderEnforce(Lifecycle):
    """A role with a path, description, session length, tags, an inline policy,
    a tagged customer managed policy and an AWS managed one, and its tagged
    instance profile, under
    `--auth enforce`: every request the provider signs is verified and
    authorized, with a root user's key; the provider validates it with
    sts:GetCallerIdentity, as real use does."""

    files = ["roles.tf", "instance_profile.tf"]
    server_args = ("--auth", "enforce", "--root-access-key", f"{ROOT_KEYS[0]}:{ROOT_KEYS[1]}")
    keys = ROOT_KEYS

    def check_applied(self, terraform, iam):
        assert terraform.output("account_id") == ACCOUNT
        role = iam.get_role(RoleName="app")["Role"]
        assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/services/app"
        assert (role["Description"], role["MaxSessionDuration"]) == ("The application's role", 7200)
        assert sorted((t["Key"], t["Value"]) for t in role["Tags"]) == [("env", "test"), ("team", "platform")]
        assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["read-own-parameters"]
        policy = iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/platform/ReadLogs")["Policy"]
        assert (policy["Description"], policy["AttachmentCount"]) == ("Read CloudWatch Logs", 1)
        assert policy["Tags"] == [{"Key": "team", "Value": "platform"}]
        attached = iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"]
        assert sorted(p["PolicyArn"] for p in attached) == sorted([SSM_CORE, policy["Arn"]])
        profile = iam.get_instance_profile(InstanceProfileName="app")["InstanceProfile"]
        assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/services/app"
        assert [r["Arn"] for r in profile["Roles"]] == [role["Arn"]]
        assert profile["Tags"] == [{"Key": "team", "Value": "platform"}]

    # The role (UpdateRole, UpdateAssumeRolePolicy, TagRole, UntagRole), its
    # inline policy (PutRolePolicy), the customer policy (CreatePolicyVersion)
    # and the instance profile (TagInstanceProfile).
    updated_in_place = 4

    def check_updated(self, terraform, iam):
        role = iam.get_role(RoleName="app")["Role"]
        assert (role["Description"], role["MaxSessionDuration"]) == ("The application's role, generation 2", 3600)
        assert sorted((t["Key"], t["Value"]) for t in role["Tags"]) == [("owner", "sre"), ("team", "sre")]
        assert sorted(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]) \
            == ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]
        inline = iam.get_role_policy(RoleName="app", PolicyName="read-own-parameters")["PolicyDocument"]
        assert inline["Statement"][0]["Action"] == "ssm:GetParameters"
        arn = f"arn:aws:iam::{ACCOUNT}:policy/platform/ReadLogs"
        assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
        version = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
        assert "logs:FilterLogEvents" in version["Document"]["Statement"][0]["Action"]
        profile = iam.get_instance_profile(InstanceProfileName="app")["InstanceProfile"]
        assert profile["Tags"] == [{"Key": "team", "Value": "sre"}]


class TestUsers(Lifecycle):
    """Users with paths and tags, a customer managed policy and an AWS managed
    one attached, an inline policy and an access key (`--auth off`)."""

    files = ["users.tf"]

    def check_applied(self, terraform, iam):
        alice = iam.get_user(UserName="alice")["User"]
        assert alice["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/engineers/alice"
        assert sorted((t["Key"], t["Value"]) for t in alice["Tags"]) == [("cost-center", "42"), ("team", "platform")]
        assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["manage-own-access-keys"]
        assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]] \
            == [READ_ONLY]
        deploy = f"arn:aws:iam::{ACCOUNT}:policy/Deploy"
        assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="deployer")["AttachedPolicies"]] \
            == [deploy]
        assert [k["Status"] for k in iam.list_access_keys(UserName="deployer")["AccessKeyMetadata"]] == ["Active"]

    # alice (UpdateUser, TagUser, UntagUser), her inline policy (PutUserPolicy),
    # the customer policy (CreatePolicyVersion) and the key (UpdateAccessKey).
    updated_in_place = 4

    def check_updated(self, terraform, iam):
        alice = iam.get_user(UserName="alice")["User"]
        assert alice["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/platform/alice"
        assert sorted((t["Key"], t["Value"]) for t in alice["Tags"]) == [("on-call", "yes"), ("team", "platform")]
        inline = iam.get_user_policy(UserName="alice", PolicyName="manage-own-access-keys")["PolicyDocument"]
        assert "iam:UpdateAccessKey" in inline["Statement"][0]["Action"]
        assert inline["Statement"][0]["Resource"] == "arn:aws:iam::*:user/*/${aws:username}"
        deploy = f"arn:aws:iam::{ACCOUNT}:policy/Deploy"
        assert iam.get_policy(PolicyArn=deploy)["Policy"]["DefaultVersionId"] == "v2"
        assert [k["Status"] for k in iam.list_access_keys(UserName="deployer")["AccessKeyMetadata"]] == ["Inactive"]


class TestGroups(Lifecycle):
    """A group with a path, a member, an inline policy and an attached one."""

    files = ["groups.tf"]
    test_update_in_place = None

    def check_applied(self, terraform, iam):
        group = iam.get_group(GroupName="developers")
        assert group["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/teams/developers"
        assert [u["UserName"] for u in group["Users"]] == ["carol"]
        assert iam.list_group_policies(GroupName="developers")["PolicyNames"] == ["read-parameters"]
        attached = iam.list_attached_group_policies(GroupName="developers")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [READ_ONLY]
