"""One large account (issue 12, item 4): seeded by `seed` (crates/bench), then
served by the real binary and paged through with boto3's paginators.

Every role and user must come back exactly once, in AWS's order (by name,
ignoring case), at 100 and at 1,000 a page, on SQLite and on PostgreSQL,
and again after the server restarts on the same data.

Size: IRONIAM_SCALE_N roles and as many users (default 20,000). The debug
seeder builds 100,000 + 100,000 in about 35 s on this machine and the debug
server pages 100 at a time at a few ms a page, which together would pass
the minute this module may take per backend; `bench/run --only scale`
measures the full 100,000 with release builds, and
`IRONIAM_SCALE_N=100000` runs this module at that size.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, Server, fresh_database

N = int(os.environ.get("IRONIAM_SCALE_N", "20000"))
ACCOUNT = "123456789012"
# The seeder's names (crates/bench/src/bin/seed.rs): mixed-case prefixes, so
# that AWS's order (ignoring case) differs from byte order.
PREFIXES = ["app", "Batch", "ci", "Data", "etl", "Lambda", "svc"]


def seed_binary() -> str:
    path = os.environ.get("IRONIAM_SEED_BIN") or str(ROOT / "target" / "debug" / "seed")
    if not Path(path).exists():
        pytest.fail(f"seed binary not found at {path}; build it first (cargo build -p ironiam-bench)")
    return path


def names(kind: str) -> list[str]:
    """Every name the seeder made, in the order AWS lists them."""
    made = [f"{PREFIXES[i % len(PREFIXES)]}-{kind}-{i:06}" for i in range(N)]
    return sorted(made, key=str.lower)


def seed(*target: str) -> dict:
    out = subprocess.run([seed_binary(), *target, "--roles", str(N), "--users", str(N)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert (report["roles"], report["users"]) == (N, N)
    return report


def listed(iam, operation: str, key: str, page_size: int) -> list[str]:
    pages = iam.get_paginator(operation).paginate(PaginationConfig={"PageSize": page_size})
    seen = []
    for page in pages:
        items = page[key]
        # Every page but the last is full, and says so.
        assert len(items) <= page_size
        if page["IsTruncated"]:
            assert len(items) == page_size and page["Marker"]
        seen += [item[key[:-1] + "Name"] for item in items]
    return seen


def check_all(server: Server, page_sizes=(100, 1000)) -> None:
    iam = server.client("iam")
    roles, users = names("role"), names("user")
    for size in page_sizes:
        got = listed(iam, "list_roles", "Roles", size)
        assert len(got) == len(set(got)) == N
        assert got == roles, f"ListRoles at {size} a page: first difference at {first_difference(got, roles)}"
        got = listed(iam, "list_users", "Users", size)
        assert len(got) == len(set(got)) == N
        assert got == users, f"ListUsers at {size} a page: first difference at {first_difference(got, users)}"


def first_difference(a: list[str], b: list[str]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def check_entities(server: Server) -> None:
    """A role and a user as the seeder made them: tags, inline policy,
    attachments, an access key, a group."""
    iam = server.client("iam")
    role = iam.get_role(RoleName="app-role-000000")["Role"]
    assert role["Path"] == "/scale/"
    assert {t["Key"] for t in role["Tags"]} == {"team", "env", "cost-center"}
    assert iam.list_role_policies(RoleName="app-role-000000")["PolicyNames"] == ["inline"]
    attached = iam.list_attached_role_policies(RoleName="Batch-role-000001")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["scale-policy-01", "ReadOnlyAccess"]
    assert iam.get_user_policy(UserName="ci-user-000002", PolicyName="inline")["PolicyDocument"]["Statement"]
    keys = iam.list_access_keys(UserName="app-user-000000")["AccessKeyMetadata"]
    assert len(keys) == 1 and keys[0]["Status"] == "Active"
    groups = iam.list_groups_for_user(UserName="app-user-000000")["Groups"]
    assert [g["GroupName"] for g in groups] == ["scale-group-00"]
    # A seeded account is an ordinary one: it takes writes.
    iam.tag_role(RoleName="svc-role-000006", Tags=[{"Key": "after", "Value": "seed"}])
    marker = iam.list_roles(MaxItems=1)["Marker"]
    with pytest.raises(iam.exceptions.ClientError) as bad:
        iam.list_roles(Marker=marker + "zz", MaxItems=1)
    assert bad.value.response["Error"]["Code"] == "InvalidInput"


def test_a_large_account_on_sqlite():
    data_dir = tempfile.mkdtemp(prefix="ironiam-scale-")
    seed("--data-dir", data_dir)
    server = Server(data_dir=data_dir)
    try:
        check_all(server)
        check_entities(server)
        server.restart()  # kill -9, then the same data directory
        check_all(server, page_sizes=(1000,))
        tags = server.client("iam").list_role_tags(RoleName="svc-role-000006")["Tags"]
        assert {"Key": "after", "Value": "seed"} in tags
    finally:
        server.stop()


def test_a_large_account_on_postgres():
    url = fresh_database()
    seed("--database", url)
    server = Server(database=url)
    try:
        check_all(server)
        check_entities(server)
        server.restart()
        check_all(server, page_sizes=(1000,))
    finally:
        server.stop()


def test_seeding_refuses_a_data_directory_that_has_entities():
    data_dir = tempfile.mkdtemp(prefix="ironiam-scale-")
    try:
        small = ["--data-dir", data_dir, "--roles", "3", "--users", "3"]
        assert subprocess.run([seed_binary(), *small], capture_output=True, timeout=120).returncode == 0
        again = subprocess.run([seed_binary(), *small], capture_output=True, text=True, timeout=120)
        assert again.returncode == 1
        assert "already holds entities" in again.stderr
    finally:
        subprocess.run(["rm", "-rf", data_dir], check=False)
