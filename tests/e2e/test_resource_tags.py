"""Tags of customer managed policies and OpenID Connect providers against the
real binary (issue 11 item 6): given on create, TagX / UntagX /
ListXTags through boto3 (paginated as ListRoleTags is) and the AWS CLI,
AWS's errors and messages, `aws:RequestTag` / `aws:TagKeys` /
`aws:ResourceTag` in `--auth enforce`, and kill -9 durability.

The quota names TagsPerPolicy and TagsPerOpenIDConnectProvider follow AWS's
pattern (TagsPerRole, TagsPerUser) but are unverified; so are the answers to
a provider ARN that is not one and to tagging an AWS managed policy."""

import json
import os
import shlex
import subprocess
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import Server
from helpers import client, doc, error

ACCOUNT = "123456789012"
DOC = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"})
DUPLICATE = ("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
THUMB = "0123456789abcdef0123456789abcdef01234567"


def fails(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error(e)


def tags(n, prefix="k"):
    return [{"Key": f"{prefix}{i}", "Value": str(i)} for i in range(n)]


def all_pages(call, page_size, **kwargs):
    """Every tag through Marker / MaxItems, checking IsTruncated on each page."""
    listed, marker, pages = [], None, 0
    while True:
        page = call(MaxItems=page_size, **({"Marker": marker} if marker else {}), **kwargs)
        pages += 1
        listed += page["Tags"]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return listed, pages
        marker = page["Marker"]


def test_policy_tags_on_create_get_and_list(server, iam):
    created = iam.create_policy(PolicyName="Tagged", PolicyDocument=DOC, Tags=tags(2))["Policy"]
    assert created["Tags"] == tags(2)
    arn = created["Arn"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == tags(2)
    # Listings leave tags out, as AWS's ListPolicies documents.
    listed = [p for p in iam.list_policies(Scope="Local")["Policies"] if p["Arn"] == arn]
    assert listed and "Tags" not in listed[0]
    # A policy without tags has no Tags member at all.
    bare = iam.create_policy(PolicyName="Bare", PolicyDocument=DOC)["Policy"]["Arn"]
    assert "Tags" not in iam.get_policy(PolicyArn=bare)["Policy"]
    body = urllib.request.urlopen(urllib.request.Request(
        server.endpoint + f"/?Action=GetPolicy&Version=2010-05-08&PolicyArn={bare}")).read().decode()
    assert "<Tags" not in body
    empty = iam.list_policy_tags(PolicyArn=bare)
    assert (empty["Tags"], empty["IsTruncated"]) == ([], False)


def test_tag_untag_and_paginate_a_policy(iam):
    arn = iam.create_policy(PolicyName="P", PolicyDocument=DOC, Tags=[{"Key": "env", "Value": "dev"}])["Policy"]["Arn"]
    # A key matches ignoring case: ENV overwrites env, in its place.
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "ENV", "Value": "prod"}] + tags(49))
    listed, pages = all_pages(iam.list_policy_tags, 20, PolicyArn=arn)
    assert pages == 3 and len(listed) == 50
    assert listed[0] == {"Key": "ENV", "Value": "prod"} and listed[1:] == tags(49)
    paginated = [t for page in iam.get_paginator("list_policy_tags").paginate(
        PolicyArn=arn, PaginationConfig={"PageSize": 7}) for t in page["Tags"]]
    assert paginated == listed
    assert fails(iam.list_policy_tags, PolicyArn=arn, Marker="not-a-marker")[0] == "InvalidInput"

    too_many = ("LimitExceeded", "Cannot exceed quota for TagsPerPolicy: 50", 409)
    assert fails(iam.tag_policy, PolicyArn=arn, Tags=[{"Key": "one-more", "Value": ""}]) == too_many
    assert len(iam.list_policy_tags(PolicyArn=arn)["Tags"]) == 50, "a refused request changes nothing"
    iam.untag_policy(PolicyArn=arn, TagKeys=["env"] + [f"K{i}" for i in range(1, 48)] + ["absent"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "k0", "Value": "0"}, {"Key": "k48", "Value": "48"}]


def test_policy_tag_errors(iam):
    arn = iam.create_policy(PolicyName="P", PolicyDocument=DOC)["Policy"]["Arn"]
    dup = [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
    assert fails(iam.tag_policy, PolicyArn=arn, Tags=dup) == DUPLICATE
    assert fails(iam.create_policy, PolicyName="Dup", PolicyDocument=DOC, Tags=dup) == DUPLICATE
    # 51 tags in one request: the model caps the list at 50.
    assert fails(iam.tag_policy, PolicyArn=arn, Tags=tags(51))[0] == "ValidationError"
    assert fails(iam.create_policy, PolicyName="Over", PolicyDocument=DOC, Tags=tags(51))[0] in (
        "ValidationError", "LimitExceeded")
    missing = f"arn:aws:iam::{ACCOUNT}:policy/Missing"
    not_found = ("NoSuchEntity", f"Policy {missing} was not found.", 404)
    assert fails(iam.tag_policy, PolicyArn=missing, Tags=tags(1)) == not_found
    assert fails(iam.untag_policy, PolicyArn=missing, TagKeys=["k"]) == not_found
    assert fails(iam.list_policy_tags, PolicyArn=missing) == not_found
    invalid = f"arn:aws:iam::{ACCOUNT}:role/NotAPolicy"
    bad = ("InvalidInput", f"ARN {invalid} is not valid.", 400)
    assert fails(iam.tag_policy, PolicyArn=invalid, Tags=tags(1)) == bad
    assert fails(iam.untag_policy, PolicyArn=invalid, TagKeys=["k"]) == bad
    assert fails(iam.list_policy_tags, PolicyArn=invalid) == bad
    aws_managed = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    assert fails(iam.tag_policy, PolicyArn=aws_managed, Tags=tags(1))[0] == "UnmodifiableEntity"
    assert iam.list_policy_tags(PolicyArn=aws_managed)["Tags"] == []


def test_oidc_provider_tags(iam):
    created = iam.create_open_id_connect_provider(
        Url="https://token.example.com/tags", ClientIDList=["sts.amazonaws.com"], ThumbprintList=[THUMB],
        Tags=[{"Key": "team", "Value": "blue"}])
    arn = created["OpenIDConnectProviderArn"]
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "TEAM", "Value": "red"}] + tags(49))
    listed, pages = all_pages(iam.list_open_id_connect_provider_tags, 25, OpenIDConnectProviderArn=arn)
    assert pages == 2 and listed == [{"Key": "TEAM", "Value": "red"}] + tags(49)
    paginated = [t for page in iam.get_paginator("list_open_id_connect_provider_tags").paginate(
        OpenIDConnectProviderArn=arn, PaginationConfig={"PageSize": 11}) for t in page["Tags"]]
    assert paginated == listed
    too_many = ("LimitExceeded", "Cannot exceed quota for TagsPerOpenIDConnectProvider: 50", 409)
    assert fails(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn, Tags=[{"Key": "x", "Value": ""}]) == too_many
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"] + [f"k{i}" for i in range(49)])
    assert "Tags" not in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == []

    dup = [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
    assert fails(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn, Tags=dup) == DUPLICATE
    assert fails(iam.create_open_id_connect_provider, Url="https://dup.example.com", ThumbprintList=[THUMB],
                 Tags=dup) == DUPLICATE
    assert fails(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn, Tags=tags(51))[0] == "ValidationError"
    missing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/missing.example.com"
    not_found = ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {missing}", 404)
    assert fails(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=missing, Tags=tags(1)) == not_found
    assert fails(iam.untag_open_id_connect_provider, OpenIDConnectProviderArn=missing, TagKeys=["k"]) == not_found
    assert fails(iam.list_open_id_connect_provider_tags, OpenIDConnectProviderArn=missing) == not_found
    invalid = f"arn:aws:iam::{ACCOUNT}:role/NotAProvider"
    bad = ("InvalidInput", f"ARN {invalid} is not valid.", 400)
    assert fails(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=invalid, Tags=tags(1)) == bad
    assert fails(iam.untag_open_id_connect_provider, OpenIDConnectProviderArn=invalid, TagKeys=["k"]) == bad
    assert fails(iam.list_open_id_connect_provider_tags, OpenIDConnectProviderArn=invalid) == bad


ROOT_ID, ROOT_SECRET = "AKIAROOTRESTAGS00001", "root/Secret+ResourceTags"


def test_enforce_request_tags_tag_keys_and_resource_tags():
    server = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    try:
        root = client(server, "iam", ROOT_ID, ROOT_SECRET)
        root.create_user(UserName="tagger")
        key = root.create_access_key(UserName="tagger")["AccessKey"]
        tagger = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
        root.put_user_policy(UserName="tagger", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["iam:TagPolicy", "iam:TagOpenIDConnectProvider"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"},
                           "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
            {"Effect": "Allow", "Action": ["iam:GetPolicy", "iam:DeletePolicy", "iam:ListPolicyTags",
                                           "iam:GetOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
                                           "iam:ListOpenIDConnectProviderTags"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}}))
        policy = root.create_policy(PolicyName="Shared", PolicyDocument=DOC)["Policy"]["Arn"]
        provider = root.create_open_id_connect_provider(
            Url="https://token.example.com", ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
        me = f"arn:aws:iam::{ACCOUNT}:user/tagger"

        for tag, arn, kw in [(tagger.tag_policy, policy, "PolicyArn"),
                             (tagger.tag_open_id_connect_provider, provider, "OpenIDConnectProviderArn")]:
            action = "iam:" + ("TagPolicy" if kw == "PolicyArn" else "TagOpenIDConnectProvider")
            tag(**{kw: arn}, Tags=[{"Key": "team", "Value": "blue"}])
            # aws:RequestTag/team must be blue.
            code, message, status = fails(tag, **{kw: arn}, Tags=[{"Key": "team", "Value": "red"}])
            assert (code, status) == ("AccessDenied", 403)
            assert message == (f"User: {me} is not authorized to perform: {action} on resource: {arn} "
                               f"because no identity-based policy allows the {action} action")
            # aws:TagKeys: no key but team.
            assert fails(tag, **{kw: arn}, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}])[0] == "AccessDenied"

        assert root.list_policy_tags(PolicyArn=policy)["Tags"] == [{"Key": "team", "Value": "blue"}]
        assert root.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider)["Tags"] == [
            {"Key": "team", "Value": "blue"}]
        # Allowed before the resource carries env=prod, refused after.
        tagger.get_policy(PolicyArn=policy)
        tagger.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)
        root.tag_policy(PolicyArn=policy, Tags=[{"Key": "env", "Value": "prod"}])
        root.tag_open_id_connect_provider(OpenIDConnectProviderArn=provider, Tags=[{"Key": "env", "Value": "prod"}])
        for call, kw, arn, action in [
                (tagger.get_policy, "PolicyArn", policy, "iam:GetPolicy"),
                (tagger.delete_policy, "PolicyArn", policy, "iam:DeletePolicy"),
                (tagger.list_policy_tags, "PolicyArn", policy, "iam:ListPolicyTags"),
                (tagger.get_open_id_connect_provider, "OpenIDConnectProviderArn", provider, "iam:GetOpenIDConnectProvider"),
                (tagger.delete_open_id_connect_provider, "OpenIDConnectProviderArn", provider,
                 "iam:DeleteOpenIDConnectProvider")]:
            code, message, status = fails(call, **{kw: arn})
            assert (code, status) == ("AccessDenied", 403), action
            assert message == (f"User: {me} is not authorized to perform: {action} on resource: {arn} "
                               "with an explicit deny in an identity-based policy")
        # Still there: the denied deletes did nothing.
        root.get_policy(PolicyArn=policy)
        root.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)
        # Once the tag is gone, the same calls are allowed again.
        root.untag_policy(PolicyArn=policy, TagKeys=["env"])
        root.untag_open_id_connect_provider(OpenIDConnectProviderArn=provider, TagKeys=["ENV"])
        tagger.delete_policy(PolicyArn=policy)
        tagger.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    finally:
        server.stop()


def test_enforce_create_with_tags_is_decided_on_the_request_tags():
    server = Server("--auth", "enforce", "--root-access-key", f"{ROOT_ID}:{ROOT_SECRET}", in_memory=True)
    try:
        root = client(server, "iam", ROOT_ID, ROOT_SECRET)
        root.create_user(UserName="maker")
        key = root.create_access_key(UserName="maker")["AccessKey"]
        maker = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
        root.put_user_policy(UserName="maker", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["iam:CreatePolicy", "iam:CreateOpenIDConnectProvider"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"}}}))
        assert fails(maker.create_policy, PolicyName="P", PolicyDocument=DOC)[0] == "AccessDenied"
        assert fails(maker.create_policy, PolicyName="P", PolicyDocument=DOC,
                     Tags=[{"Key": "team", "Value": "red"}])[0] == "AccessDenied"
        maker.create_policy(PolicyName="P", PolicyDocument=DOC, Tags=[{"Key": "team", "Value": "blue"}])
        assert fails(maker.create_open_id_connect_provider, Url="https://a.example.com", ThumbprintList=[THUMB],
                     Tags=[{"Key": "team", "Value": "red"}])[0] == "AccessDenied"
        maker.create_open_id_connect_provider(Url="https://a.example.com", ThumbprintList=[THUMB],
                                              Tags=[{"Key": "team", "Value": "blue"}])
    finally:
        server.stop()


def test_tags_survive_kill_9():
    server = Server()
    try:
        iam = server.client("iam")
        policy = iam.create_policy(PolicyName="Durable", PolicyDocument=DOC, Tags=tags(3))["Policy"]["Arn"]
        iam.tag_policy(PolicyArn=policy, Tags=[{"Key": "K0", "Value": "new"}, {"Key": "added", "Value": "x"}])
        iam.untag_policy(PolicyArn=policy, TagKeys=["k1"])
        provider = iam.create_open_id_connect_provider(
            Url="https://durable.example.com", ThumbprintList=[THUMB], Tags=tags(2))["OpenIDConnectProviderArn"]
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=provider, Tags=[{"Key": "added", "Value": "y"}])
        iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=provider, TagKeys=["K0"])

        server.restart()  # SIGKILL, then start on the same data directory
        iam = server.client("iam")
        assert iam.list_policy_tags(PolicyArn=policy)["Tags"] == [
            {"Key": "K0", "Value": "new"}, {"Key": "k2", "Value": "2"}, {"Key": "added", "Value": "x"}]
        assert iam.get_policy(PolicyArn=policy)["Policy"]["Tags"] == iam.list_policy_tags(PolicyArn=policy)["Tags"]
        assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider)["Tags"] == [
            {"Key": "k1", "Value": "1"}, {"Key": "added", "Value": "y"}]
    finally:
        server.stop()


def aws(server, command: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return subprocess.run(shlex.split(command) + ["--endpoint-url", server.endpoint], env=env,
                          capture_output=True, text=True, timeout=120)


def test_aws_cli(server, iam):
    out = aws(server, f"aws iam create-policy --policy-name Cli --policy-document '{DOC}' --tags Key=team,Value=blue")
    assert out.returncode == 0, out.stderr
    arn = json.loads(out.stdout)["Policy"]["Arn"]
    assert aws(server, f"aws iam tag-policy --policy-arn {arn} --tags Key=env,Value=dev Key=cost,Value=1").returncode == 0
    assert aws(server, f"aws iam untag-policy --policy-arn {arn} --tag-keys cost").returncode == 0
    listed = json.loads(aws(server, f"aws iam list-policy-tags --policy-arn {arn}").stdout)
    assert listed["Tags"] == [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}]
    # The CLI pages through every tag with a small page size.
    paged = json.loads(aws(server, f"aws iam list-policy-tags --policy-arn {arn} --page-size 1").stdout)
    assert paged["Tags"] == listed["Tags"]
    out = aws(server, "aws iam create-open-id-connect-provider --url https://cli.example.com "
                      f"--thumbprint-list {THUMB} --tags Key=team,Value=blue")
    assert out.returncode == 0, out.stderr
    provider = json.loads(out.stdout)["OpenIDConnectProviderArn"]
    assert aws(server, f"aws iam tag-open-id-connect-provider --open-id-connect-provider-arn {provider} "
                       "--tags Key=env,Value=dev").returncode == 0
    assert aws(server, f"aws iam untag-open-id-connect-provider --open-id-connect-provider-arn {provider} "
                       "--tag-keys team").returncode == 0
    listed = json.loads(aws(server, "aws iam list-open-id-connect-provider-tags "
                                    f"--open-id-connect-provider-arn {provider}").stdout)
    assert listed["Tags"] == [{"Key": "env", "Value": "dev"}]
    refused = aws(server, f"aws iam tag-policy --policy-arn {arn} --tags Key=a,Value=1 Key=A,Value=2")
    assert refused.returncode != 0
    assert "(InvalidInput) when calling the TagPolicy operation: Duplicate tag keys found." in refused.stderr
    missing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/missing.example.com"
    refused = aws(server, f"aws iam list-open-id-connect-provider-tags --open-id-connect-provider-arn {missing}")
    assert refused.returncode != 0
    assert (f"(NoSuchEntity) when calling the ListOpenIDConnectProviderTags operation: "
            f"OpenIDConnect Provider not found for arn {missing}") in refused.stderr
