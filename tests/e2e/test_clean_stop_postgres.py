"""A clean stop (SIGTERM, as service managers send) of a `--database` server:
exit status 0, no panic, and the last uses the journal interval held back
are in the database afterwards, as on SQLite (test_role_last_used).

Regression: the server dropped its PostgreSQL connections (the console's
shared state, the store's writer and reader) on the async runtime's thread,
where the synchronous client's drop cannot block, and exited 101 with
"Cannot start a runtime from within a runtime"."""

import json
import os
import tempfile

from conftest import Server, fresh_database
from helpers import client, doc, set_clock

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTCLEANSTOP001", "root/Secret+CleanStop"


def last_used(root, name):
    return root.get_role(RoleName=name)["Role"].get("RoleLastUsed", {})


def stop_cleanly(server, log_path):
    status = server.terminate()
    with open(log_path) as f:
        log = f.read()
    assert "panicked" not in log, log
    assert status == 0, log


def test_sigterm_exits_0_and_keeps_the_held_back_last_use():
    database = fresh_database()
    log_path = os.path.join(tempfile.mkdtemp(prefix="ironiam-stop-"), "server.log")
    server = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}",
                    database=database, log_path=log_path)
    try:
        root = client(server, "iam", ROOT_ID, ROOT_SECRET)
        trust = doc({"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"})
        root.create_role(RoleName="ssm-role", AssumeRolePolicyDocument=trust)
        # The second use, 10 s after the first, is within the minute a role
        # is journaled at most once in: only memory holds it until the stop.
        for offset, region in [(0, "eu-central-1"), (10, "us-west-2")]:
            set_clock(server, offset)
            body = json.dumps({"service": "ssm.amazonaws.com", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/ssm-role",
                               "region": region}).encode()
            status, out = server.test_endpoint("/_ironiam/assume-role-as-service", body,
                                               {"content-type": "application/json"})
            assert status == 200, out
        held_back = last_used(root, "ssm-role")
        assert held_back["Region"] == "us-west-2"
        stop_cleanly(server, log_path)

        # A new process on the same database reads it back.
        server.start()
        assert last_used(client(server, "iam", ROOT_ID, ROOT_SECRET), "ssm-role") == held_back
        # An idle server stops cleanly too (its connections never used since start).
        stop_cleanly(server, log_path)
    finally:
        server.stop()
