"""Issue 13, "safe to expose": the defaults an operator gets when ironiam is
reachable by others — test-suite endpoints closed, cross-site browser
requests refused, signatures bound to their service, bounded connections,
owner-only files, TLS — each against the real binary."""

import json
import os
import socket
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import Server, binary
from helpers import client, doc, error, read_until_closed

ACCOUNT = "123456789012"
ROOT = ("AKIASAFEROOT00000001", "safe/Root+Secret")
SSM_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"})
TEST_ENDPOINTS = ["/_ironiam/reset", "/moto-api/reset", "/_ironiam/clock?offset=3600",
                  "/_ironiam/assume-role-as-service", "/_ironiam/authorize"]


def raw(server, path, body=b"", headers=None, method="POST"):
    """(status, body) of an unsigned request."""
    req = urllib.request.Request(server.endpoint + path, data=body if method == "POST" else None,
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def signed(server, path, key, body=b"", service="iam", headers=None):
    """(status, body) of a POST signed with `key` for `service`."""
    request = AWSRequest(method="POST", url=server.endpoint + path, data=body, headers=dict(headers or {}))
    SigV4Auth(Credentials(*key), service, "us-east-1").add_auth(request)
    req = urllib.request.Request(server.endpoint + path, data=body, method="POST", headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def admin_role(root_iam, name="admin"):
    root_iam.create_role(RoleName=name, AssumeRolePolicyDocument=SSM_TRUST)
    root_iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


# --- 1. Test-suite endpoints ------------------------------------------------------------------

def test_test_endpoints_are_closed_with_auth_on_unless_asked_for():
    server = Server("--auth", "enforce", "--root-access-key", f"{ROOT[0]}:{ROOT[1]}", in_memory=True,
                    test_endpoints=False)
    try:
        root = client(server, "iam", *ROOT)
        admin_role(root)
        for path in TEST_ENDPOINTS:
            body = json.dumps({"service": "ssm.amazonaws.com", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/admin",
                               "principal": f"arn:aws:iam::{ACCOUNT}:user/x", "action": "iam:GetRole"}).encode()
            for send in (lambda: raw(server, path, body), lambda: signed(server, path, ROOT, body)):
                status, out = send()
                assert status == 403, (path, out)
                assert json.loads(out)["error"]["code"] == "NotAvailable", (path, out)
                assert b"Credentials" not in out
        # Nothing was wiped, no credentials were issued, the clock did not move.
        assert root.get_role(RoleName="admin")["Role"]["RoleName"] == "admin"
        client(server, "sts", *ROOT).get_caller_identity()
        # The health check stays open: load balancers call it.
        assert raw(server, "/_ironiam/health", method="GET")[0] == 200
    finally:
        server.stop()


@pytest.fixture(scope="module")
def opened():
    """--auth enforce with --test-endpoints: they answer the default account's root only."""
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT[0]}:{ROOT[1]}",
               "--root-access-key", "111122223333=AKIAOTHERROOT0000001:other/Root", in_memory=True)
    assert "--test-endpoints" in s.extra
    yield s
    s.stop()


def test_opened_test_endpoints_answer_only_the_default_root(opened):
    opened.reset()
    root = client(opened, "iam", *ROOT)
    admin_role(root)
    root.create_user(UserName="operator")
    root.attach_user_policy(UserName="operator", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = root.create_access_key(UserName="operator")["AccessKey"]
    user_key = (key["AccessKeyId"], key["SecretAccessKey"])
    body = json.dumps({"service": "ssm.amazonaws.com", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/admin"}).encode()
    for path in TEST_ENDPOINTS:
        status, out = raw(opened, path, body)
        assert (status, json.loads(out)["error"]["code"]) == (403, "MissingAuthenticationToken"), (path, out)
        # Even an administrator user is not the operator.
        status, out = signed(opened, path, user_key, body)
        assert (status, json.loads(out)["error"]["code"]) == (403, "AccessDenied"), (path, out)
        # Nor is another account's root.
        status, out = signed(opened, path, ("AKIAOTHERROOT0000001", "other/Root"), body)
        assert (status, json.loads(out)["error"]["code"]) == (403, "AccessDenied"), (path, out)
        # A wrong secret for the right key.
        status, out = signed(opened, path, (ROOT[0], "wrong"), body)
        assert (status, json.loads(out)["error"]["code"]) == (403, "SignatureDoesNotMatch"), (path, out)
    assert root.get_role(RoleName="admin")
    status, out = signed(opened, "/_ironiam/assume-role-as-service", ROOT, body)
    assert status == 200 and json.loads(out)["Credentials"]["AccessKeyId"].startswith("ASIA"), out
    status, out = signed(opened, "/_ironiam/clock?offset=0", ROOT)
    assert status == 200, out
    status, out = signed(opened, "/_ironiam/reset", ROOT)
    assert status == 200, out
    with pytest.raises(ClientError) as e:
        root.get_role(RoleName="admin")
    assert error(e)[0] == "NoSuchEntity"


def test_the_clock_can_be_moved_back_after_moving_it_far_ahead(opened):
    """The operator's own signature is judged without the test offset."""
    assert signed(opened, "/_ironiam/clock?offset=7200", ROOT)[0] == 200
    try:
        with pytest.raises(ClientError) as e:
            client(opened, "sts", *ROOT).get_caller_identity()
        assert error(e)[0] == "SignatureDoesNotMatch"
    finally:
        assert signed(opened, "/_ironiam/clock?offset=0", ROOT)[0] == 200
    client(opened, "sts", *ROOT).get_caller_identity()


def test_test_endpoint_flags_conflict():
    out = subprocess.run([binary(), "serve", "--in-memory", "--no-reset", "--test-endpoints", "--listen", "127.0.0.1:0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "cannot be used with" in out.stderr, out.stderr


# --- 1b. Cross-site browser requests with --auth off --------------------------------------------

def test_a_cross_site_browser_request_cannot_reset_or_write(server, iam):
    iam.create_role(RoleName="keep", AssumeRolePolicyDocument=SSM_TRUST)
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    for path in ["/_ironiam/reset", "/moto-api/reset", "/_ironiam/clock?offset=99999"]:
        status, out = raw(server, path, b"", evil)
        assert status == 403 and json.loads(out)["error"]["code"] == "AccessDenied", (path, out)
    # The API itself: a form POST and an image GET from another site.
    status, out = raw(server, "/", b"Action=DeleteRole&Version=2010-05-08&RoleName=keep",
                      {"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"<Code>AccessDenied</Code>" in out and b"Cross-site requests are refused" in out, out
    status, out = raw(server, "/?Action=DeleteRole&Version=2010-05-08&RoleName=keep",
                      headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, method="GET")
    assert status == 403, out
    # An Origin of "null" (a sandboxed frame, a file) is not the server's either.
    assert raw(server, "/_ironiam/reset", b"", {"Origin": "null"})[0] == 403
    assert iam.get_role(RoleName="keep")["Role"]["RoleName"] == "keep"
    # The server's own origin and API clients (no Origin at all) still work.
    host = server.endpoint.removeprefix("http://")
    assert raw(server, "/_ironiam/reset", b"", {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"})[0] == 200
    iam.create_role(RoleName="again", AssumeRolePolicyDocument=SSM_TRUST)
    assert raw(server, "/moto-api/reset", b"")[0] == 200
    assert iam.list_roles()["Roles"] == []


# --- 2. The credential scope's service -----------------------------------------------------------

@pytest.fixture(scope="module")
def enforcing():
    s = Server("--auth", "enforce", "--root-access-key", f"{ROOT[0]}:{ROOT[1]}", in_memory=True)
    yield s
    s.stop()


@pytest.mark.parametrize("scope", ["s3", "IAM", "execute-api", "ec2"])
def test_a_signature_for_another_service_does_not_authenticate(enforcing, scope):
    for body, named in [(b"Action=ListRoles&Version=2010-05-08", "iam"),
                        (b"Action=GetCallerIdentity&Version=2011-06-15", "sts")]:
        status, out = signed(enforcing, "/", ROOT, body, service=scope,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 403, out
        assert b"<Code>SignatureDoesNotMatch</Code>" in out, out
        assert f"<Message>Credential should be scoped to correct service: '{named}'. </Message>".encode() in out, out


def test_get_session_token_credentials_cannot_reach_iam_through_another_scope(enforcing):
    enforcing.reset()
    root = client(enforcing, "iam", *ROOT)
    root.create_user(UserName="bob")
    root.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    key = root.create_access_key(UserName="bob")["AccessKey"]
    creds = client(enforcing, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_session_token()["Credentials"]
    temporary = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    for scope in ["iam", "s3"]:
        request = AWSRequest(method="POST", url=enforcing.endpoint + "/", data=b"Action=ListRoles&Version=2010-05-08",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        SigV4Auth(temporary, scope, "us-east-1").add_auth(request)
        req = urllib.request.Request(enforcing.endpoint + "/", data=request.body, method="POST",
                                     headers=dict(request.headers.items()))
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 403, scope
        assert b"<Code>SignatureDoesNotMatch</Code>" in e.value.read() or scope == "iam"


# --- 5. Session names of assume-role-as-service ------------------------------------------------

@pytest.mark.parametrize("name", ["x", "a" * 65, "has space", "semi;colon", "slash/name"])
def test_assume_role_as_service_validates_the_session_name(server, iam, name):
    iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=SSM_TRUST)
    body = json.dumps({"service": "ssm.amazonaws.com", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/ecsAnywhereRole",
                       "session_name": name}).encode()
    status, out = server.test_endpoint("/_ironiam/assume-role-as-service", body)
    assert status == 400, out
    err = json.loads(out)["error"]
    assert err["code"] == "ValidationError" and "roleSessionName" in err["message"], err


def test_assume_role_as_service_takes_a_valid_session_name(server, iam):
    iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=SSM_TRUST)
    body = json.dumps({"service": "ssm.amazonaws.com", "role_arn": f"arn:aws:iam::{ACCOUNT}:role/ecsAnywhereRole",
                       "session_name": "mi-0123456789abcdef0+=,.@-"}).encode()
    status, out = server.test_endpoint("/_ironiam/assume-role-as-service", body)
    assert status == 200, out


# --- 5. Slow clients and many connections ----------------------------------------------------------

def test_slow_headers_are_cut_off_and_connections_are_bounded():
    server = Server("--header-read-timeout", "1", "--max-connections", "4", in_memory=True)
    port = int(server.endpoint.rsplit(":", 1)[1])
    slow = []
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
            slow.append(s)
        # Every slot is held; once the slow ones are cut off a real request gets through.
        started = time.monotonic()
        status, _ = raw(server, "/_ironiam/health", method="GET")
        assert status == 200
        assert time.monotonic() - started < 8, "slow connections held their slots"
        for s in slow:
            # Closed by the server (perhaps after a 408 answer): reads reach
            # the end of the stream well within the timeout.
            received = read_until_closed(s, timeout=5)
            assert received == b"" or received.startswith(b"HTTP/1.1 408"), received
    finally:
        for s in slow:
            s.close()
        server.stop()


def test_a_body_that_arrives_after_its_headers_is_still_read():
    # The body is taken at once when it came with the headers, and waited
    # for (up to a timeout) when it did not: both paths answer.
    server = Server("--header-read-timeout", "2", in_memory=True)
    port = int(server.endpoint.rsplit(":", 1)[1])
    try:
        body = b"Action=ListRoles&Version=2010-05-08"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
            time.sleep(0.5)
            s.sendall(body[10:])
            answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b"<ListRolesResult>" in answer
    finally:
        server.stop()


def test_an_idle_keep_alive_connection_is_closed_after_the_limit():
    server = Server("--header-read-timeout", "1", in_memory=True)
    port = int(server.endpoint.rsplit(":", 1)[1])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /_ironiam/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            # Between one and one and a half limits after the answer.
            assert read_until_closed(s, timeout=5) == b""
            assert 0.9 <= time.monotonic() - started < 3
    finally:
        server.stop()


# --- 5. Owner-only files -------------------------------------------------------------------------

def test_the_data_directory_and_database_are_owner_only():
    parent = tempfile.mkdtemp(prefix="ironiam-perm-")
    data = os.path.join(parent, "data")
    old = os.umask(0o022)
    try:
        server = Server(data_dir=data)
    finally:
        os.umask(old)
    try:
        server.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=SSM_TRUST)
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
        for name in ["ironiam.sqlite3", "ironiam.sqlite3-wal", "server.key"]:
            assert stat.S_IMODE(os.stat(os.path.join(data, name)).st_mode) == 0o600, name
    finally:
        server.stop()


# --- 5. Quiet libraries ---------------------------------------------------------------------------

def test_ecs_anywhere_without_credentials_prints_only_its_own_message(tmp_path):
    # Config files named but missing: the AWS SDK logs a WARN line for each
    # (what the review saw, with RUST_LOG unset); ironiam shows only its own.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "missing-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "missing-credentials"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_REGION": "us-east-1"}
    out = subprocess.run([binary(), "ecs-anywhere", "check", "--endpoint-url", "http://127.0.0.1:9"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out
    assert out.stderr.startswith("ironiam ecs-anywhere: "), out.stderr
    assert "WARN" not in out.stderr and "{" not in out.stderr, out.stderr
