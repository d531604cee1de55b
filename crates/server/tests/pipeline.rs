//! The pipeline without a socket: `App::handle` on in-memory requests.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use ironiam_core::clock::FixedClock;
use ironiam_core::memory::MemoryStore;
use ironiam_core::service::{IamService, Settings};
use ironiam_core::IamError;
use ironiam_protocol::{common_error_status, error_status, Service};
use ironiam_server::{App, AppConfig};

fn app() -> Arc<App> {
    let service = IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_795_998_080)),
        Settings::default(),
    );
    App::new(
        Arc::new(service),
        AppConfig {
            test_endpoints: true,
            ..Default::default()
        },
    )
}

async fn post(app: &Arc<App>, body: &str) -> (u16, String) {
    let req = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp = app.handle(req).await;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn create_then_get_role_through_the_pipeline() {
    let app = app();
    let trust = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ssm.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D";
    let (status, body) = post(&app, &format!("Action=CreateRole&Version=2010-05-08&RoleName=ecsAnywhereRole&AssumeRolePolicyDocument={trust}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("<CreateRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateRoleResult><Role>"), "{body}");
    assert!(
        body.contains("<CreateDate>2026-11-30T00:21:20Z</CreateDate>"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "<AssumeRolePolicyDocument>{trust}</AssumeRolePolicyDocument>"
        )),
        "{body}"
    );
    let (status, body) = post(
        &app,
        "Action=DeleteRole&Version=2010-05-08&RoleName=ECSANYWHEREROLE",
    )
    .await;
    assert_eq!(status, 200);
    // DeleteRole has no output shape, so no Result element, as AWS answers.
    assert!(body.starts_with("<DeleteRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>"), "{body}");
    let (status, body) = post(
        &app,
        "Action=GetRole&Version=2010-05-08&RoleName=ecsAnywhereRole",
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.contains("<Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name ecsAnywhereRole cannot be found.</Message>"), "{body}");
}

#[tokio::test]
async fn sts_is_told_apart_by_version_without_a_signature() {
    let (status, body) = post(&app(), "Action=GetCallerIdentity&Version=2011-06-15").await;
    assert_eq!(status, 200);
    assert!(
        body.starts_with(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ),
        "{body}"
    );
}

/// Every domain error's HTTP status and fault agree with AWS's model (or
/// AWS's common errors), so a client's retry and error classes behave.
#[test]
fn domain_errors_map_as_the_model_says() {
    let m = String::new;
    let errors = [
        IamError::NoSuchEntity(m()),
        IamError::EntityAlreadyExists(m()),
        IamError::LimitExceeded(m()),
        IamError::DeleteConflict(m()),
        IamError::MalformedPolicyDocument(m()),
        IamError::InvalidInput(m()),
        IamError::Validation(m()),
        IamError::UnmodifiableEntity(m()),
        IamError::PolicyNotAttachable(m()),
        IamError::ConcurrentModification(m()),
        IamError::Internal(m()),
        IamError::AccessDenied(m()),
        IamError::PackedPolicyTooLarge(m()),
        IamError::InvalidAuthorizationMessage(m()),
        IamError::InvalidIdentityToken(m()),
        IamError::ExpiredIdentityToken(m()),
        IamError::PasswordPolicyViolation(m()),
        IamError::InvalidUserType(m()),
    ];
    for e in errors {
        let expected = error_status(Service::Iam, e.code())
            .or_else(|| error_status(Service::Sts, e.code()))
            .or_else(|| common_error_status(e.code()))
            .unwrap_or_else(|| {
                panic!(
                    "{} is in neither the model nor AWS's common errors",
                    e.code()
                )
            });
        assert_eq!(
            (e.http_status(), e.is_sender_fault()),
            expected,
            "{}",
            e.code()
        );
    }
}
