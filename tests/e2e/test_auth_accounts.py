"""Accounts and root credentials configured at start: flags, environment, accounts file."""

import json
import os
import subprocess

from conftest import Server, binary

ROOT_A = ("AKIAROOTAAAAAAAAAAAA", "rootsecretA/+=")
ROOT_B = ("AKIAROOTBBBBBBBBBBBB", "rootsecretB")
ROOT_C = ("AKIAROOTCCCCCCCCCCCC", "rootsecretC")


def test_root_keys_from_flag_environment_and_file(tmp_path):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"accounts": [
        {"id": "123456789012", "root_access_keys": [{"access_key_id": ROOT_C[0], "secret_access_key": ROOT_C[1]}]}]}))
    env_before = os.environ.get("IRONIAM_ROOT_CREDENTIALS")
    os.environ["IRONIAM_ROOT_CREDENTIALS"] = f"{ROOT_B[0]}:{ROOT_B[1]}"
    try:
        server = Server("--root-access-key", f"{ROOT_A[0]}:{ROOT_A[1]}",
                        "--root-access-key", "111122223333=AKIAROOTDDDDDDDDDDDD:other",
                        "--accounts-file", str(accounts), in_memory=True)
    finally:
        if env_before is None:
            del os.environ["IRONIAM_ROOT_CREDENTIALS"]
        else:
            os.environ["IRONIAM_ROOT_CREDENTIALS"] = env_before
    try:
        # As the default account's root (--auth off), ListAccessKeys lists its root keys.
        keys = server.client("iam").list_access_keys()["AccessKeyMetadata"]
        assert sorted(k["AccessKeyId"] for k in keys) == sorted([ROOT_A[0], ROOT_B[0], ROOT_C[0]])
        assert all(k["Status"] == "Active" for k in keys)
    finally:
        server.stop()


def test_bad_credentials_refuse_to_start_without_echoing_the_secret(tmp_path):
    for args in (["--root-access-key", "not-a-key:hunter2"],
                 ["--root-access-key", "AKIAROOTAAAAAAAAAAAA:hunter2", "--root-access-key", "AKIAROOTAAAAAAAAAAAA:hunter3"],
                 ["--accounts-file", str(tmp_path / "missing.json")]):
        out = subprocess.run([binary(), "serve", "--listen", "127.0.0.1:0", "--in-memory", *args],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 2, out
        assert "hunter" not in out.stderr and "hunter" not in out.stdout
