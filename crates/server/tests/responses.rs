//! Responses carry exactly the members AWS's API Reference shows for each operation
//! (issue 11 item 1), through the typed layer and `App::handle`.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use ironiam_core::clock::FixedClock;
use ironiam_core::memory::MemoryStore;
use ironiam_core::service::{IamService, Settings};
use ironiam_server::{App, AppConfig};

const TRUST: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ssm.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D";

fn app() -> Arc<App> {
    let service = IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_795_998_080)),
        Settings::default(),
    );
    App::new(Arc::new(service), AppConfig::default())
}

async fn post(app: &Arc<App>, body: &str) -> String {
    let req = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp = app.handle(req).await;
    let status = resp.status().as_u16();
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}: {text}");
    text
}

/// The members of the first `<tag>…</tag>` element, in order (no nesting inside `tag`
/// of the same name; enough for these responses).
fn children(xml: &str, tag: &str) -> Vec<String> {
    let start = xml
        .find(&format!("<{tag}>"))
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + tag.len()
        + 2;
    let end = start + xml[start..].find(&format!("</{tag}>")).unwrap();
    let inner = &xml[start..end];
    let mut names = Vec::new();
    let mut rest = inner;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>').unwrap();
        let name = rest[open + 1..close].trim_end_matches('/').to_string();
        if rest[open..close].ends_with('/') {
            rest = &rest[close + 1..];
        } else {
            let end_tag = format!("</{name}>");
            let skip = close + rest[close..].find(&end_tag).unwrap() + end_tag.len();
            rest = &rest[skip..];
        }
        names.push(name);
    }
    names
}

#[tokio::test]
async fn create_role_has_no_role_last_used_and_get_role_has_it() {
    let app = app();
    let created = post(
        &app,
        &format!("Action=CreateRole&RoleName=r&AssumeRolePolicyDocument={TRUST}"),
    )
    .await;
    // AWS's CreateRole example response: no RoleLastUsed.
    assert_eq!(
        children(&created, "Role"),
        [
            "Path",
            "RoleName",
            "RoleId",
            "Arn",
            "CreateDate",
            "AssumeRolePolicyDocument",
            "MaxSessionDuration"
        ],
        "{created}"
    );
    let got = post(&app, "Action=GetRole&RoleName=r").await;
    assert_eq!(
        children(&got, "Role"),
        [
            "Path",
            "RoleName",
            "RoleId",
            "Arn",
            "CreateDate",
            "AssumeRolePolicyDocument",
            "MaxSessionDuration",
            "RoleLastUsed"
        ],
        "{got}"
    );
    // The render cache answers the second GetRole: same bytes but the request id.
    let again = post(&app, "Action=GetRole&RoleName=r").await;
    let strip = |s: &str| s[..s.find("<ResponseMetadata>").unwrap()].to_string();
    assert_eq!(strip(&got), strip(&again));
}

#[tokio::test]
async fn a_listing_leaves_out_tags_boundary_and_last_use_and_a_change_shows() {
    let app = app();
    post(&app, &format!("Action=CreateRole&RoleName=r&AssumeRolePolicyDocument={TRUST}&Tags.member.1.Key=k&Tags.member.1.Value=v")).await;
    let listed = post(&app, "Action=ListRoles").await;
    assert_eq!(
        children(&listed, "member"),
        [
            "Path",
            "RoleName",
            "RoleId",
            "Arn",
            "CreateDate",
            "AssumeRolePolicyDocument",
            "MaxSessionDuration"
        ],
        "{listed}"
    );
    assert!(
        listed.contains("<IsTruncated>false</IsTruncated>"),
        "{listed}"
    );
    let got = post(&app, "Action=GetRole&RoleName=r").await;
    assert!(got.contains("<Tags><member><Key>k</Key><Value>v</Value></member></Tags><RoleLastUsed/>") || got.contains("<Tags><member><Key>k</Key><Value>v</Value></member></Tags><RoleLastUsed></RoleLastUsed>"), "{got}");
    // A new version of the role is rendered afresh, not served from the cache.
    post(&app, "Action=UpdateRole&RoleName=r&Description=changed").await;
    let got = post(&app, "Action=GetRole&RoleName=r").await;
    assert!(got.contains("<Description>changed</Description>"), "{got}");
    let listed = post(&app, "Action=ListRoles").await;
    assert!(
        listed.contains("<Description>changed</Description>"),
        "{listed}"
    );
}

#[tokio::test]
async fn users_answer_as_aws_examples_show() {
    let app = app();
    let created = post(&app, "Action=CreateUser&UserName=Bob").await;
    assert_eq!(
        children(&created, "User"),
        ["Path", "UserName", "UserId", "Arn", "CreateDate"],
        "{created}"
    );
    // GetUser of the root user: no UserName and no Path, as AWS answers.
    let root = post(&app, "Action=GetUser").await;
    assert_eq!(
        children(&root, "User"),
        ["UserId", "Arn", "CreateDate"],
        "{root}"
    );
    let key = post(&app, "Action=CreateAccessKey&UserName=Bob").await;
    assert_eq!(
        children(&key, "AccessKey"),
        [
            "UserName",
            "AccessKeyId",
            "Status",
            "SecretAccessKey",
            "CreateDate"
        ],
        "{key}"
    );
    let keys = post(&app, "Action=ListAccessKeys&UserName=Bob").await;
    assert_eq!(
        children(&keys, "member"),
        ["UserName", "AccessKeyId", "Status", "CreateDate"],
        "{keys}"
    );
    // The secret is in CreateAccessKey's answer only.
    assert!(!keys.contains("SecretAccessKey"), "{keys}");
}

#[tokio::test]
async fn operations_without_output_have_no_result_element() {
    let app = app();
    post(
        &app,
        &format!("Action=CreateRole&RoleName=r&AssumeRolePolicyDocument={TRUST}"),
    )
    .await;
    let tagged = post(
        &app,
        "Action=TagRole&RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v",
    )
    .await;
    assert!(tagged.starts_with("<TagRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata>"), "{tagged}");
    // UpdateRole has an output shape without members: an empty result element.
    let updated = post(&app, "Action=UpdateRole&RoleName=r&MaxSessionDuration=7200").await;
    assert!(updated.contains("<UpdateRoleResult/>"), "{updated}");
}
