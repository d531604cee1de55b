"""Two real ironiam replicas on one PostgreSQL database (issue 12), driven by
boto3: a write on one is read on the other within the stated bound, one name
created on both at the same moment is taken once, and credentials issued by
one (access keys, session tokens) are accepted by the other under
`--auth enforce`."""

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import Server, fresh_database
from helpers import client, doc, error, health, make_user

ACCOUNT = "123456789012"
ROOT_ID, ROOT_SECRET = "AKIAROOTREPLICAS0001", "root/Secret+Replicas"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}})
# ARCHITECTURE.md ("Storage"): a replica polls every 25 ms and applies what it
# missed at once. Asserted with room for a debug build on a shared machine.
BOUND = 1.0


def replicas(*extra):
    database = fresh_database()
    a = Server(*extra, database=database)
    b = Server(*extra, database=database)
    return a, b


@pytest.fixture
def pair():
    a, b = replicas()
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def enforcing_pair():
    a, b = replicas("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}")
    yield a, b
    a.stop()
    b.stop()


def until(check, bound=BOUND):
    """Calls `check` until it returns without raising; how long that took.
    Fails once `bound` seconds have passed."""
    started = time.monotonic()
    while True:
        try:
            check()
            return time.monotonic() - started
        except (ClientError, AssertionError):
            if time.monotonic() - started > bound:
                raise
            time.sleep(0.005)


def test_a_write_on_one_replica_is_read_on_the_other(pair):
    a, b = (s.client("iam") for s in pair)
    delays = []
    for i in range(20):
        a.create_role(RoleName=f"seen-{i}", AssumeRolePolicyDocument=TRUST)
        delays.append(until(lambda: b.get_role(RoleName=f"seen-{i}")))
    a.tag_role(RoleName="seen-0", Tags=[{"Key": "k", "Value": "v"}])
    until(lambda: assert_tags(b, "seen-0", [{"Key": "k", "Value": "v"}]))
    a.delete_role(RoleName="seen-1")

    until(lambda: fails_with(lambda: b.get_role(RoleName="seen-1"),
                             ("NoSuchEntity", "The role with name seen-1 cannot be found.", 404)))
    print(f"propagation A→B over 20 writes: max {max(delays) * 1000:.1f} ms, "
          f"median {sorted(delays)[10] * 1000:.1f} ms")
    assert len(b.list_roles()["Roles"]) == 19


def fails_with(call, expected):
    """Asserts that `call` fails with `expected` (code, message, status)."""
    try:
        call()
    except ClientError as e:
        r = e.response
        assert (r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]) == expected
        return
    raise AssertionError(f"no error; expected {expected}")


def assert_tags(iam, role, tags):
    assert iam.list_role_tags(RoleName=role)["Tags"] == tags


def test_concurrent_create_of_one_name_on_two_replicas(pair):
    clients = [s.client("iam") for s in pair]
    for round in range(10):
        name = f"Racer{round}"
        barrier = threading.Barrier(2)
        results = [None, None]

        def create(i):
            barrier.wait()
            try:
                results[i] = clients[i].create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"]
            except ClientError as e:
                r = e.response
                results[i] = (r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"])

        threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results, key=str) == sorted(
            [name, ("EntityAlreadyExists", f"Role with name {name} already exists.", 409)], key=str), results
    for iam in clients:
        until(lambda: len_is(iam.list_roles()["Roles"], 10))


def len_is(items, n):
    assert len(items) == n


def test_the_quota_race_on_two_replicas(pair):
    a, b = (s.client("iam") for s in pair)
    a.create_role(RoleName="quota", AssumeRolePolicyDocument=TRUST)
    managed = [p["Arn"] for p in a.list_policies(Scope="AWS", MaxItems=11)["Policies"]]
    for arn in managed[:9]:
        a.attach_role_policy(RoleName="quota", PolicyArn=arn)
    until(lambda: len_is(b.list_attached_role_policies(RoleName="quota")["AttachedPolicies"], 9))
    barrier = threading.Barrier(2)
    results = [None, None]

    def attach(i, iam, arn):
        barrier.wait()
        try:
            iam.attach_role_policy(RoleName="quota", PolicyArn=arn)
            results[i] = "ok"
        except ClientError as e:
            r = e.response
            results[i] = (r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"])

    threads = [threading.Thread(target=attach, args=(0, a, managed[9])),
               threading.Thread(target=attach, args=(1, b, managed[10]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == sorted(
        ["ok", ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10", 409)], key=str), results
    for iam in (a, b):
        until(lambda: len_is(iam.list_attached_role_policies(RoleName="quota")["AttachedPolicies"], 10))


def test_credentials_from_one_replica_work_on_the_other(enforcing_pair):
    a, b = enforcing_pair
    root_a = client(a, "iam", ROOT_ID, ROOT_SECRET)
    key_id, secret = make_user(root_a, "alice", inline=doc(
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListRoles", "sts:AssumeRole"], "Resource": "*"}))
    root_a.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, "Action": "sts:AssumeRole"}}))
    root_a.put_role_policy(RoleName="reader", PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))

    # The key A created authenticates on B, and B enforces its policy.
    alice_b = client(b, "iam", key_id, secret)
    until(lambda: alice_b.get_user())
    assert alice_b.get_user()["User"]["UserName"] == "alice"
    with pytest.raises(ClientError) as e:
        alice_b.create_role(RoleName="nope", AssumeRolePolicyDocument=TRUST)
    assert error(e) == ("AccessDenied",
                        f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:CreateRole on resource: "
                        f"arn:aws:iam::{ACCOUNT}:role/nope because no identity-based policy allows the iam:CreateRole action", 403)

    # A session token issued by A is accepted by B (one server key, kept in the database).
    creds = client(a, "sts", key_id, secret).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/reader", RoleSessionName="s1")["Credentials"]
    session_b = client(b, "iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    until(lambda: session_b.list_roles())
    assert [r["RoleName"] for r in session_b.list_roles()["Roles"]] == ["reader"]
    who = client(b, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1"
    with pytest.raises(ClientError) as e:
        session_b.get_user(UserName="alice")
    assert error(e)[0:3:2] == ("AccessDenied", 403)

    # A key deleted on A stops working on B.
    root_a.delete_access_key(UserName="alice", AccessKeyId=key_id)

    until(lambda: fails_with(alice_b.get_user, (
        "InvalidClientTokenId", "The security token included in the request is invalid.", 403)))


def test_kill_9_of_a_replica_under_writes_loses_nothing_acknowledged(pair):
    a, b = pair
    policy = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    acknowledged: dict[str, bool] = {}  # role → whether its attach was acknowledged too
    lock = threading.Lock()
    stop = threading.Event()

    def writer(server, t):
        iam = server.client("iam")
        for i in range(10_000):
            if stop.is_set():
                return
            name = f"w{t}-{i}"
            try:
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
                with lock:
                    acknowledged[name] = False
                iam.attach_role_policy(RoleName=name, PolicyArn=policy)
                with lock:
                    acknowledged[name] = True
            except Exception as e:  # the replica was killed under this writer
                print("writer", t, "stopped:", repr(e)[:200])
                return

    threads = [threading.Thread(target=writer, args=(s, t)) for t, s in enumerate([a, a, a, b, b, b])]
    for t in threads:
        t.start()

    def acknowledged_by_a():
        with lock:
            return [n for n in acknowledged if int(n[1:].split("-")[0]) < 3]
    # Killed mid-stream, once A has acknowledged a fair number of writes
    # (waited for, not timed: a loaded machine is slow).
    deadline = time.monotonic() + 60
    while len(acknowledged_by_a()) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    a.kill9()
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged_by_a()) >= 30, "A acknowledged writes before it was killed"

    a.start()  # a new process on the same database
    for server in (a, b):
        iam = server.client("iam")

        def all_there():
            roles = {r["RoleName"] for p in iam.get_paginator("list_roles").paginate() for r in p["Roles"]}
            assert set(acknowledged) <= roles, sorted(set(acknowledged) - roles)[:5]
        until(all_there, bound=5)
        for name, attached in acknowledged.items():
            if attached:
                got = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
                assert got == [policy], (server.endpoint, name)


class CuttableProxy:
    """A TCP proxy to the test PostgreSQL server that a test can cut (every
    connection closed, new ones refused) and restore: the database becomes
    unreachable for the replica behind it, as in an outage."""

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if not self.up:
                    client.close()
                    continue
                server = socket.create_connection(self.upstream)
                self.sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.up = False
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets = []

    def restore(self):
        with self.lock:
            self.up = True

    def close(self):
        self.cut()
        self.listener.close()


def raw_get(server, path):
    """(status, body) of an unsigned GET."""
    try:
        with urllib.request.urlopen(server.endpoint + path, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


UNAVAILABLE = ("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503)
SERVICE_FAILURE = ("ServiceFailure", "The request processing has failed because of an unknown error, "
                   "exception or failure.", 500)


def test_a_database_outage_answers_service_failure_and_recovers(tmp_path):
    database = fresh_database()
    url = urllib.parse.urlsplit(database)
    proxy = CuttableProxy(url.hostname, url.port)
    through_proxy = f"{url.scheme}://{url.username}@127.0.0.1:{proxy.port}{url.path}"
    log = tmp_path / "a.log"
    a = Server("--max-staleness", "1s", database=through_proxy, log_path=str(log))
    b = Server(database=database)
    try:
        iam_a, iam_b = a.client("iam"), b.client("iam")
        iam_a.create_role(RoleName="before", AssumeRolePolicyDocument=TRUST)
        status, body = health(a)
        assert status == 200 and body["status"] == "ok" and body["max_staleness_ms"] == 1000, body
        proxy.cut()
        # Writes fail with AWS's generic ServiceFailure, and nothing of the cause.
        for i in range(3):
            with pytest.raises(ClientError) as e:
                iam_a.create_role(RoleName=f"during-{i}", AssumeRolePolicyDocument=TRUST)
            assert error(e) in (SERVICE_FAILURE, UNAVAILABLE)
        # Past --max-staleness the health check says so (a load balancer
        # takes the replica out) and every request is refused, reads and
        # STS included: the view may miss a revocation made on B.
        until(lambda: health_is(a, 503), bound=10)
        status, body = health(a)
        assert body["status"] == "stale" and body["lag_ms"] > 1000, body
        with pytest.raises(ClientError) as e:
            iam_a.get_role(RoleName="before")
        assert error(e) == UNAVAILABLE
        with pytest.raises(ClientError) as e:
            a.client("sts").get_caller_identity()
        assert error(e) == UNAVAILABLE
        assert e.value.response["Error"]["Type"] == "Receiver"
        status, text = raw_get(a, "/?Action=ListRoles&Version=2010-05-08")
        assert status == 503 and "<Code>ServiceUnavailable</Code>" in text, text
        status, text = raw_get(a, "/console/")
        assert status == 503 and "<Code>ServiceUnavailable</Code>" in text, text
        # The other replica writes on.
        iam_b.create_role(RoleName="elsewhere", AssumeRolePolicyDocument=TRUST)
        assert a.proc.poll() is None, "the replica is still running"
        proxy.restore()
        # It recovers by itself: it reconnects, catches up, and writes again.
        until(lambda: health_is(a, 200), bound=5)
        until(lambda: iam_a.get_role(RoleName="elsewhere"), bound=5)
        until(lambda: iam_a.create_role(RoleName="after", AssumeRolePolicyDocument=TRUST), bound=5)
        until(lambda: iam_b.get_role(RoleName="after"))
        names = {r["RoleName"] for r in iam_b.list_roles()["Roles"]}
        assert names == {"before", "elsewhere", "after"}
    finally:
        a.stop()
        b.stop()
        proxy.close()
    # One line when the bound was crossed and one at recovery: no flood.
    text = log.read_text()
    assert text.count("older than --max-staleness") == 1, text
    assert text.count("is current again") == 1, text


def health_is(server, status):
    assert health(server)[0] == status
