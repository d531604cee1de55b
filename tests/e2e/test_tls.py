"""Issue 13, item 6: HTTPS with --tls-cert/--tls-key on the same port, with a
certificate made in the test, through boto3 (`verify=`) and the AWS CLI
(`--ca-bundle`); `aws:SecureTransport` is true for those requests only."""

import os
import socket
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, binary
from helpers import doc, error, read_until_closed

ROOT = ("AKIATLSROOT000000001", "tls/Root+Secret")
TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"})
# GetRole, but only over TLS.
ONLY_OVER_TLS = doc({"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "true"}}})


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost, made here."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def start(certificate, tls=True):
    cert, key = certificate
    extra = ["--auth", "enforce", "--root-access-key", f"{ROOT[0]}:{ROOT[1]}"]
    if tls:
        extra += ["--tls-cert", cert, "--tls-key", key]
    return Server(*extra, in_memory=True, ca_file=cert if tls else None)


def boto(server, service, key, cert):
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1", verify=cert,
                        aws_access_key_id=key[0], aws_secret_access_key=key[1],
                        config=Config(retries={"max_attempts": 1}))


def user_with_tls_only_policy(root):
    root.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=TRUST)
    root.create_user(UserName="alice")
    root.put_user_policy(UserName="alice", PolicyName="tls-only", PolicyDocument=ONLY_OVER_TLS)
    key = root.create_access_key(UserName="alice")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_https_with_boto3_and_secure_transport(certificate):
    cert, _ = certificate
    server = start(certificate)
    try:
        assert server.endpoint.startswith("https://127.0.0.1:")
        root = boto(server, "iam", ROOT, cert)
        alice = user_with_tls_only_policy(root)
        # Over TLS the condition holds.
        role = boto(server, "iam", alice, cert).get_role(RoleName="ecsAnywhereRole")["Role"]
        assert role["RoleName"] == "ecsAnywhereRole"
        who = boto(server, "sts", alice, cert).get_caller_identity()
        assert who["Arn"].endswith(":user/alice")
        # A client that does not trust the certificate refuses the server.
        untrusting = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                                  aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1],
                                  config=Config(retries={"max_attempts": 1}))
        with pytest.raises(Exception) as e:
            untrusting.get_caller_identity()
        assert "SSL" in type(e.value).__name__ or "certificate" in str(e.value).lower()
        # Plain HTTP on the TLS port gets no answer.
        port = int(server.endpoint.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /_ironiam/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert b"HTTP/1.1 200" not in read_until_closed(s)
    finally:
        server.stop()


def test_plain_http_is_not_secure_transport(certificate):
    server = start(certificate, tls=False)
    try:
        root = boto(server, "iam", ROOT, None)
        alice = user_with_tls_only_policy(root)
        with pytest.raises(ClientError) as e:
            boto(server, "iam", alice, None).get_role(RoleName="ecsAnywhereRole")
        code, message, status = error(e)
        assert (code, status) == ("AccessDenied", 403)
        assert "iam:GetRole" in message
    finally:
        server.stop()


def test_the_guide_with_the_aws_cli_over_https(certificate, tmp_path):
    cert, _ = certificate
    server = start(certificate)
    try:
        trust = tmp_path / "ssm-trust-policy.json"
        trust.write_text(TRUST)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT[0], AWS_SECRET_ACCESS_KEY=ROOT[1], AWS_DEFAULT_REGION="us-east-1",
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        common = ["--endpoint-url", server.endpoint, "--ca-bundle", cert]
        for args in (["iam", "create-role", "--role-name", "ecsAnywhereRole", "--assume-role-policy-document", f"file://{trust}"],
                     ["iam", "attach-role-policy", "--role-name", "ecsAnywhereRole",
                      "--policy-arn", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
                     ["iam", "get-role", "--role-name", "ecsAnywhereRole"]):
            out = subprocess.run(["aws", *args, *common], env=env, capture_output=True, text=True, timeout=120)
            assert out.returncode == 0, out.stderr
        assert '"RoleName": "ecsAnywhereRole"' in out.stdout
        # Without the CA bundle the CLI refuses the self-signed certificate.
        out = subprocess.run(["aws", "iam", "get-role", "--role-name", "ecsAnywhereRole", "--endpoint-url", server.endpoint],
                             env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode != 0 and "SSL" in out.stderr, out.stderr
    finally:
        server.stop()


def test_bad_tls_files_are_refused_at_start(certificate, tmp_path):
    cert, key = certificate
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    for c, k, said in ((str(junk), key, "no certificate"), (cert, str(junk), "no PEM private key"),
                       (cert, str(tmp_path / "missing.pem"), "cannot read")):
        out = subprocess.run([binary(), "serve", "--in-memory", "--listen", "127.0.0.1:0", "--tls-cert", c, "--tls-key", k],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 2 and said in out.stderr, out.stderr
