"""Every acknowledged write survives kill -9 and restart, under concurrent writers."""

import json
import threading

from conftest import Server

TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


def test_acknowledged_writes_survive_kill_9():
    server = Server()
    try:
        acknowledged: dict[str, list[str]] = {}
        lock = threading.Lock()

        def writer(t: int):
            iam = server.client("iam")
            for i in range(15):
                name = f"w{t}-{i}"
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "writer", "Value": str(t)}])
                attached = []
                for arn in (SSM_CORE, ECS_EC2)[: 1 + i % 2]:
                    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
                    attached.append(arn)
                with lock:
                    acknowledged[name] = attached

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(acknowledged) == 90

        server.restart()  # SIGKILL, then start on the same data directory
        iam = server.client("iam")
        roles = {r["RoleName"]: r for p in iam.get_paginator("list_roles").paginate() for r in p["Roles"]}
        assert set(roles) == set(acknowledged)
        for name, attached in acknowledged.items():
            got = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
            assert got == attached, name
        assert iam.get_policy(PolicyArn=SSM_CORE)["Policy"]["AttachmentCount"] == 90
        expected_ecs = sum(ECS_EC2 in a for a in acknowledged.values())
        assert expected_ecs == 42
        assert iam.get_policy(PolicyArn=ECS_EC2)["Policy"]["AttachmentCount"] == expected_ecs
    finally:
        server.stop()


def test_kill_9_while_writing_loses_no_acknowledged_write():
    server = Server()
    try:
        acknowledged: list[str] = []
        stop = threading.Event()

        def writer(t: int):
            iam = server.client("iam")
            i = 0
            while not stop.is_set() and i < 400:
                name = f"k{t}-{i}"
                try:
                    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
                except Exception:
                    return  # the server died mid-request: that write was never acknowledged
                acknowledged.append(name)
                i += 1

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for _ in range(3000):  # at most 30 s
            if len(acknowledged) >= 60:
                break
            threading.Event().wait(0.01)
        assert len(acknowledged) >= 60, "writers made no progress"
        server.kill9()
        stop.set()
        for t in threads:
            t.join()
        server.start()
        iam = server.client("iam")
        names = {r["RoleName"] for p in iam.get_paginator("list_roles").paginate() for r in p["Roles"]}
        missing = set(acknowledged) - names
        assert not missing, f"acknowledged but lost: {sorted(missing)[:5]}"
    finally:
        server.stop()
