//! Request-level tests: the console over an in-memory service, no socket.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use ironiam_core::clock::FixedClock;
use ironiam_core::memory::MemoryStore;
use ironiam_core::service::{IamService, NewRole, Settings};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn service() -> IamService {
    IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_795_998_080)),
        Settings::default(),
    )
}

struct Browser<'a> {
    service: &'a IamService,
    /// The console answering; `None` for the one of `--auth off`.
    console: Option<&'a crate::Console>,
    /// The `Cookie` header the browser sends, built from `jar`.
    cookie: Option<String>,
    jar: Vec<(String, String)>,
    token: Option<String>,
}

struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: String,
}

async fn send(service: &IamService, req: Request<Full<Bytes>>) -> Answer {
    answer(crate::Console::local().handle(service, req).await).await
}

async fn answer(response: Response<Full<Bytes>>) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

impl<'a> Browser<'a> {
    fn new(service: &'a IamService) -> Self {
        Browser {
            service,
            console: None,
            cookie: None,
            jar: Vec::new(),
            token: None,
        }
    }

    fn with_console(service: &'a IamService, console: &'a crate::Console) -> Self {
        Browser {
            console: Some(console),
            ..Browser::new(service)
        }
    }

    async fn send(&mut self, req: Request<Full<Bytes>>) -> Answer {
        let a = match self.console {
            Some(c) => answer(c.handle(self.service, req).await).await,
            None => send(self.service, req).await,
        };
        // Keep every cookie set, as a browser does; Max-Age=0 removes one.
        for set in a.headers.get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            self.jar.retain(|(n, _)| n != name);
            if !set.contains("Max-Age=0") {
                self.jar.push((name.to_string(), value.to_string()));
            }
        }
        self.cookie = (!self.jar.is_empty()).then(|| {
            self.jar
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        });
        let marker = "name=\"csrf-token\" content=\"";
        if let Some(start) = a.body.find(marker) {
            let rest = &a.body[start + marker.len()..];
            self.token = Some(rest[..rest.find('"').unwrap()].to_string());
        }
        a
    }

    async fn get(&mut self, uri: &str) -> Answer {
        let mut b = Request::get(uri).header("host", "127.0.0.1:1");
        if let Some(c) = &self.cookie {
            b = b.header("cookie", c.as_str());
        }
        self.send(b.body(Full::new(Bytes::new())).unwrap()).await
    }

    async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Answer {
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        let token = self.token.clone().unwrap_or_default();
        pairs.push(("_csrf", &token));
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut b = Request::post(uri)
            .header("host", "127.0.0.1:1")
            .header("origin", "http://127.0.0.1:1")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = &self.cookie {
            b = b.header("cookie", c.as_str());
        }
        self.send(b.body(Full::new(Bytes::from(body))).unwrap())
            .await
    }
}

fn create(service: &IamService, name: &str, description: Option<&str>) {
    service
        .create_role(
            &service.default_caller(),
            NewRole {
                name: name.into(),
                trust_policy: TRUST.into(),
                description: description.map(str::to_string),
                ..NewRole::default()
            },
        )
        .unwrap();
}

#[tokio::test]
async fn pages_render_with_security_headers() {
    let s = service();
    create(&s, "ecsAnywhereRole", None);
    let mut b = Browser::new(&s);
    for uri in [
        "/console",
        "/console/roles",
        "/console/roles/ecsAnywhereRole",
        "/console/roles/ecsAnywhereRole?tab=trust",
        "/console/roles/ecsAnywhereRole?tab=tags",
        "/console/roles/ecsAnywhereRole/attach",
        "/console/roles/ecsAnywhereRole/trust",
        "/console/create-role",
        "/console/policies",
        "/console/policies/view?arn=arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ] {
        let a = b.get(uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        let csp = a
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(a.body.starts_with("<!doctype html>"), "{uri}");
    }
    let cookie = b.cookie.clone().unwrap();
    assert!(cookie.starts_with("ironiam_console="));
    assert_eq!(
        b.get("/console/roles/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(b.get("/console/static/app.js").await.status, StatusCode::OK);
}

#[tokio::test]
async fn forms_need_the_cookie_and_its_token() {
    let s = service();
    create(&s, "r1", None);
    let mut b = Browser::new(&s);
    // No cookie yet.
    let a = b
        .post("/console/roles/r1/tags", &[("key", "k"), ("value", "v")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    b.get("/console/roles/r1").await;
    // A forged token.
    let good = b.token.replace("00".repeat(32)).unwrap();
    let a = b
        .post("/console/roles/r1/tags", &[("key", "k"), ("value", "v")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The right token.
    b.token = Some(good);
    let a = b
        .post("/console/roles/r1/tags", &[("key", "k"), ("value", "v")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(s.get_role(&s.default_caller(), "r1").unwrap().tags.len(), 1);
}

#[tokio::test]
async fn hostile_values_are_escaped() {
    let s = service();
    let payload = "<script>window.__pwned=1</script>\"onmouseover=\"x'";
    create(&s, "hostile", Some("<img src=x onerror=alert(1)>"));
    let mut b = Browser::new(&s);
    b.get("/console/roles/hostile").await;
    // AWS's tag-value pattern refuses markup; the refusal echoes the value, escaped.
    let a = b
        .post(
            "/console/roles/hostile/tags",
            &[("key", "k"), ("value", payload)],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(!a.body.contains("<script>window"), "tag value unescaped");
    assert!(a
        .body
        .contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;&quot;onmouseover=&quot;x&#39;"));
    let summary = b.get("/console/roles/hostile").await.body;
    assert!(!summary.contains("<img src=x"));
    assert!(summary.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[tokio::test]
async fn trust_edit_validates_and_saves() {
    let s = service();
    create(&s, "ecsAnywhereRole", None);
    let mut b = Browser::new(&s);
    b.get("/console/roles/ecsAnywhereRole/trust").await;
    let bad = b
        .post(
            "/console/roles/ecsAnywhereRole/trust",
            &[
                ("document", "{\"Version\":\"2012-10-17\"}"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("MalformedPolicyDocument"), "{}", bad.body);
    let ssm = TRUST.replace("ec2.amazonaws.com", "ssm.amazonaws.com");
    let preview = b
        .post(
            "/console/roles/ecsAnywhereRole/trust",
            &[("document", &ssm), ("action", "preview")],
        )
        .await;
    assert!(
        preview.body.contains("1 line(s) added, 1 removed"),
        "{}",
        preview.body
    );
    let saved = b
        .post(
            "/console/roles/ecsAnywhereRole/trust",
            &[("document", &ssm), ("action", "save")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        s.get_role(&s.default_caller(), "ecsAnywhereRole")
            .unwrap()
            .assume_role_policy_document,
        ssm
    );
}

#[tokio::test]
async fn wizard_creates_the_guides_role() {
    let s = service();
    let mut b = Browser::new(&s);
    b.get("/console/create-role").await;
    let step2 = b
        .post(
            "/console/create-role",
            &[
                ("entity", "service"),
                ("service", "ecs"),
                ("usecase", "ecs/ec2-role"),
                ("go", "permissions"),
            ],
        )
        .await;
    assert_eq!(step2.status, StatusCode::OK);
    assert!(step2.body.contains("value=\"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role\" aria-label=\"Select AmazonEC2ContainerServiceforEC2Role\" checked"));
    let arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
    let base = [
        ("entity", "service"),
        ("service", "ecs"),
        ("usecase", "ecs/ec2-role"),
        ("picked", "1"),
        ("arn", arn),
    ];
    let mut review: Vec<(&str, &str)> = base.to_vec();
    review.push(("go", "review"));
    let step3 = b.post("/console/create-role", &review).await;
    assert!(step3
        .body
        .contains("Allows EC2 instances in an ECS cluster to access ECS."));
    let mut create: Vec<(&str, &str)> = base.to_vec();
    create.extend([
        ("name", "ecsAnywhereRole"),
        ("description", "Allows on-premises servers"),
        ("described", "1"),
        ("tag_key", ""),
        ("tag_value", ""),
        ("go", "create"),
    ]);
    let done = b.post("/console/create-role", &create).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let role = s.get_role(&s.default_caller(), "ecsAnywhereRole").unwrap();
    assert_eq!(role.attached_policies, [arn]);
    assert!(role
        .assume_role_policy_document
        .contains("ec2.amazonaws.com"));
    // A bad name is refused with the model's message.
    let mut bad: Vec<(&str, &str)> = base.to_vec();
    bad.extend([("name", "bad name"), ("go", "create")]);
    let refused = b.post("/console/create-role", &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("roleName"), "{}", refused.body);
}

#[tokio::test]
async fn summary_tags_inline_policies_and_delete() {
    let s = service();
    create(&s, "r1", None);
    let caller = s.default_caller();
    let mut b = Browser::new(&s);
    b.get("/console/roles/r1/edit").await;
    let a = b
        .post(
            "/console/roles/r1/edit",
            &[
                ("description", "Runs the nightly job"),
                ("max_session", "14400"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let r = s.get_role(&caller, "r1").unwrap();
    assert_eq!(
        (r.description.as_deref(), r.max_session_duration),
        (Some("Runs the nightly job"), 14400)
    );
    // A custom duration outside AWS's range is refused with the model's message.
    let a = b
        .post(
            "/console/roles/r1/edit",
            &[
                ("description", "x"),
                ("max_session", "custom"),
                ("max_session_custom", "60"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("maxSessionDuration"), "{}", a.body);

    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    let a = b
        .post(
            "/console/roles/r1/inline",
            &[("name", "list-buckets"), ("document", doc)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = b.get("/console/roles/r1").await.body;
    assert!(page.contains("data-service=\"s3\""), "the picture shows S3");
    let a = b
        .post(
            "/console/roles/r1/inline",
            &[("name", "bad"), ("document", "{\"Statement\":[]}")],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("MalformedPolicyDocument"));

    b.post(
        "/console/roles/r1/tags",
        &[("key", "team"), ("value", "ops")],
    )
    .await;
    let a = b.post("/console/roles/r1/untag", &[("key", "team")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(s.get_role(&caller, "r1").unwrap().tags.is_empty());

    let arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    b.post("/console/roles/r1/attach", &[("arn", arn)]).await;
    let a = b
        .post("/console/roles/r1/delete", &[("confirm", "wrong")])
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = b
        .post("/console/roles/r1/delete", &[("confirm", "r1")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(s.get_role(&caller, "r1").is_err());
    assert_eq!(
        s.policy_usage(&caller)
            .unwrap()
            .get(arn)
            .map_or(0, |u| u.attached_roles.len()),
        0
    );
}

#[tokio::test]
async fn wizard_account_web_identity_and_custom_trust() {
    let s = service();
    let caller = s.default_caller();
    let mut b = Browser::new(&s);
    b.get("/console/create-role").await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 3] = [
        (
            "from-account",
            vec![
                ("entity", "account"),
                ("account_scope", "other"),
                ("account_id", "111122223333"),
                ("external_id", "ext-1"),
                ("require_mfa", "on"),
            ],
            "arn:aws:iam::111122223333:root",
        ),
        (
            "from-google",
            vec![
                ("entity", "web"),
                ("provider", "accounts.google.com"),
                ("audience", "my-app"),
            ],
            "accounts.google.com:aud",
        ),
        (
            "custom",
            vec![
                ("entity", "custom"),
                (
                    "custom_trust",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
                ),
            ],
            "lambda.amazonaws.com",
        ),
    ];
    for (name, fields, expect) in cases {
        let mut form = fields.clone();
        form.extend([("picked", "1"), ("name", name), ("go", "create")]);
        let a = b.post("/console/create-role", &form).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{name}: {}", a.body);
        let role = s.get_role(&caller, name).unwrap();
        assert!(
            role.assume_role_policy_document.contains(expect),
            "{name}: {}",
            role.assume_role_policy_document
        );
    }
    assert!(s
        .get_role(&caller, "from-account")
        .unwrap()
        .assume_role_policy_document
        .contains("aws:MultiFactorAuthPresent"));
    // A bad account id and a broken custom policy go back to step 1 with the reason.
    let a = b
        .post(
            "/console/create-role",
            &[
                ("entity", "account"),
                ("account_scope", "other"),
                ("account_id", "12"),
                ("go", "permissions"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("12-digit"));
    let a = b
        .post(
            "/console/create-role",
            &[
                ("entity", "custom"),
                ("custom_trust", "{\"Version\":\"2012-10-17\"}"),
                ("go", "permissions"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("MalformedPolicyDocument"), "{}", a.body);
}

#[tokio::test]
async fn validate_endpoint_answers_with_awss_messages_and_the_difference() {
    let s = service();
    create(&s, "r1", None);
    let mut b = Browser::new(&s);
    b.get("/console/roles/r1/trust").await;
    let post = |body: String, token: String, cookie: String| {
        Request::post("/console/api/validate")
            .header("host", "127.0.0.1:1")
            .header("content-type", "application/json")
            .header("x-csrf-token", token)
            .header("cookie", cookie)
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    let (token, cookie) = (b.token.clone().unwrap(), b.cookie.clone().unwrap());
    let ssm = TRUST.replace("ec2", "ssm");
    let body = serde_json::json!({"kind": "trust", "document": ssm, "role": "r1"}).to_string();
    let a = send(&s, post(body, token.clone(), cookie.clone())).await;
    let j: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(j["valid"], true, "{j}");
    assert_eq!(j["diff"]["added"], 1);
    let body = serde_json::json!({"kind": "trust", "document": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}"}).to_string();
    let j: serde_json::Value =
        serde_json::from_str(&send(&s, post(body, token, cookie)).await.body).unwrap();
    assert_eq!(j["valid"], false);
    assert_eq!(j["code"], "MalformedPolicyDocument");
    assert!(j["message"].as_str().unwrap().contains("Principal"), "{j}");
}

/// Denies the IAM operations it lists, allows the rest: the console's
/// authorization plumbing without the server's policy engine (the e2e tests
/// drive the real one).
struct DenyOps(Vec<&'static str>);

impl crate::Authorizer for DenyOps {
    fn authorize(
        &self,
        _: &IamService,
        caller: &ironiam_core::service::Caller,
        op: &str,
        _: &[(&str, &str)],
    ) -> Result<(), ironiam_core::IamError> {
        if self.0.contains(&op) {
            return Err(ironiam_core::IamError::AccessDenied(format!(
                "User: {} is not authorized to perform: iam:{op}",
                caller.arn
            )));
        }
        Ok(())
    }
}

const PASSWORD: &str = "Corr3ct-Horse-Battery";

fn service_with_user() -> IamService {
    let mut settings = Settings::default();
    let account = IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_795_998_080)),
        Settings::default(),
    )
    .default_caller()
    .account_id;
    settings.root_keys.push(
        ironiam_core::accounts::parse_spec("AKIAROOTKEY000000001:root-secret-value", &account)
            .unwrap(),
    );
    let s = IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_795_998_080)),
        settings,
    );
    let root = s.default_caller();
    s.create_user(
        &root,
        ironiam_core::users::NewUser {
            name: "alice".into(),
            ..Default::default()
        },
    )
    .unwrap();
    s.create_login_profile(&root, Some("alice"), PASSWORD, false)
        .unwrap();
    create(&s, "ecsAnywhereRole", None);
    s
}

#[tokio::test]
async fn sign_in_is_required_and_a_wrong_password_says_only_what_aws_says() {
    let s = service_with_user();
    let console = crate::Console::with_sign_in(Box::new(DenyOps(vec![])));
    let mut b = Browser::with_console(&s, &console);
    // Every page sends a stranger to the sign-in page, and back afterwards.
    let a = b.get("/console/roles/ecsAnywhereRole?tab=trust").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.headers["location"],
        "/console/signin?next=%2Froles%2FecsAnywhereRole%3Ftab%3Dtrust"
    );
    assert_eq!(
        b.get("/console/api/policy?arn=x").await.status,
        StatusCode::UNAUTHORIZED
    );
    let a = b
        .get("/console/signin?next=%2Froles%2FecsAnywhereRole%3Ftab%3Dtrust")
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        !a.body.contains("Local use only"),
        "a console that signs in is not the local one"
    );
    let account = s.default_caller().account_id;
    let next = "/roles/ecsAnywhereRole?tab=trust";
    for (user, password) in [
        ("alice", "wrong-Passw0rd!"),
        ("nobody", PASSWORD),
        ("alice", "Zq9-unlikely-PASSWORD"),
    ] {
        let a = b
            .post(
                "/console/signin",
                &[
                    ("kind", "user"),
                    ("account", &account),
                    ("username", user),
                    ("password", password),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{user}");
        assert!(a.body.contains(crate::pages::signin_incorrect()), "{user}");
        assert!(!a.body.contains(password), "the password never comes back");
    }
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "user"),
                ("account", &account),
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.headers["location"],
        "/console/roles/ecsAnywhereRole?tab=trust"
    );
    let cookies: Vec<&str> = a
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("ironiam_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(
        !session.contains("Secure"),
        "plain HTTP on loopback keeps the cookie usable: {session}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("ironiam_console=")),
        "a fresh CSRF nonce at sign-in"
    );
    let a = b.get("/console/roles/ecsAnywhereRole").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body
            .contains(&format!("arn:aws:iam::{account}:user/alice")),
        "the top bar names the principal"
    );
    // Sign out ends the session on the server, not only in the browser.
    let stolen = b.cookie.clone().unwrap();
    let a = b.post("/console/signout", &[]).await;
    assert_eq!(a.headers["location"], "/console/signin?done=signedout");
    b.jar.clear();
    b.cookie = Some(stolen);
    assert_eq!(b.get("/console/roles").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn root_signs_in_with_a_root_key_and_next_never_leaves_the_console() {
    let s = service_with_user();
    let state = std::sync::Arc::new(crate::InProcess::default());
    let console =
        crate::Console::with_sign_in(Box::new(DenyOps(vec![]))).with_shared_state(state.clone());
    let mut b = Browser::with_console(&s, &console);
    b.get("/console/signin").await;
    let account = s.default_caller().account_id;
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "root"),
                ("account", &account),
                ("access_key_id", "AKIAROOTKEY000000001"),
                ("secret_access_key", "nope"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(!a.body.contains("nope\""), "the secret is not echoed");
    for next in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
    ] {
        let a = b
            .post(
                "/console/signin",
                &[
                    ("kind", "root"),
                    ("account", &account),
                    ("access_key_id", "AKIAROOTKEY000000001"),
                    ("secret_access_key", "root-secret-value"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.headers["location"], "/console", "{next}");
        let a = b.get("/console").await;
        assert!(
            a.body.contains(&format!("arn:aws:iam::{account}:root")),
            "signed in as root"
        );
        b.post("/console/signout", &[]).await;
        b.get("/console/signin").await;
    }
    assert_eq!(state.len(), 0, "every sign-out ended its session");
}

async fn sign_in_alice<'a>(s: &'a IamService, console: &'a crate::Console) -> Browser<'a> {
    let account = s.default_caller().account_id;
    let mut b = Browser::with_console(s, console);
    b.get("/console/signin").await;
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "user"),
                ("account", &account),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    b
}

#[tokio::test]
async fn each_action_is_authorized_as_the_signed_in_principal() {
    let s = service_with_user();
    let console =
        crate::Console::with_sign_in(Box::new(DenyOps(vec!["AttachRolePolicy", "DeleteRole"])));
    let mut b = sign_in_alice(&s, &console).await;
    assert_eq!(
        b.get("/console/roles/ecsAnywhereRole").await.status,
        StatusCode::OK
    );
    let arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    let a = b
        .post("/console/roles/ecsAnywhereRole/attach", &[("arn", arn)])
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body
            .contains("is not authorized to perform: iam:AttachRolePolicy"),
        "{}",
        a.body
    );
    let a = b
        .post(
            "/console/roles/ecsAnywhereRole/delete",
            &[("confirm", "ecsAnywhereRole")],
        )
        .await;
    assert!(
        a.body
            .contains("is not authorized to perform: iam:DeleteRole"),
        "{}",
        a.body
    );
    let role = s.get_role(&s.default_caller(), "ecsAnywhereRole").unwrap();
    assert!(role.attached_policies.is_empty(), "nothing was attached");

    let console = crate::Console::with_sign_in(Box::new(DenyOps(vec!["ListPolicies", "GetRole"])));
    let mut b = sign_in_alice(&s, &console).await;
    let a = b.get("/console/policies").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("AccessDenied"));
    assert_eq!(
        b.get("/console/roles/ecsAnywhereRole").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_required_password_reset_comes_first() {
    let s = service_with_user();
    let root = s.default_caller();
    s.update_login_profile(&root, Some("alice"), None, Some(true))
        .unwrap();
    let console = crate::Console::with_sign_in(Box::new(DenyOps(vec![])));
    let mut b = Browser::with_console(&s, &console);
    b.get("/console/signin").await;
    let account = root.account_id.clone();
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "user"),
                ("account", &account),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.headers["location"], "/console/change-password?required=1");
    assert_eq!(
        b.get("/console/roles").await.headers["location"],
        "/console/change-password?required=1"
    );
    b.get("/console/change-password?required=1").await;
    let a = b
        .post(
            "/console/change-password",
            &[("old", PASSWORD), ("new", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("PasswordPolicyViolation"), "{}", a.body);
    assert!(
        a.body.contains("<li>at least 8 characters</li>"),
        "the console names the unmet rules: {}",
        a.body
    );
    let new = "N3w-and-Much-Longer";
    let a = b
        .post(
            "/console/change-password",
            &[("old", PASSWORD), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(b.get("/console/roles").await.status, StatusCode::OK);
    assert!(s.sign_in_user(&account, "alice", new).is_ok());
    assert!(s.sign_in_user(&account, "alice", PASSWORD).is_err());
}

#[tokio::test]
async fn hostile_values_on_policy_and_sign_in_pages_are_escaped() {
    let s = service_with_user();
    let root = s.default_caller();
    let markup = "<img src=x onerror=alert(1)>";
    let document = r#"{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<script>alert(1)</script>"}]}"#;
    let info = s
        .create_policy(
            &root,
            ironiam_core::service::NewPolicy {
                name: "hostile".into(),
                path: None,
                document: document.into(),
                description: Some(markup.into()),
                tags: vec![],
            },
        )
        .unwrap();
    let arn = crate::html::enc(&info.arn);
    let mut b = Browser::new(&s);
    for uri in [
        format!("/console/policies/view?arn={arn}"),
        format!("/console/policies/view?arn={arn}&tab=versions"),
        format!("/console/policies/edit?arn={arn}"),
        format!("/console/policies/delete?arn={arn}"),
        "/console/policies?type=customer".to_string(),
    ] {
        let a = b.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert!(
            !a.body.contains("<img src=x") && !a.body.contains("<script>alert"),
            "{uri}: unescaped"
        );
    }
    // A new policy whose name the model refuses: the refusal echoes it escaped.
    b.get("/console/policies/create").await;
    let a = b
        .post(
            "/console/policies/create",
            &[("name", markup), ("path", "/"), ("document", document)],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(!a.body.contains("<img src=x"), "{}", a.body);
    // The sign-in page echoes the user name and `next` it was given, escaped.
    let console = crate::Console::with_sign_in(Box::new(DenyOps(vec![])));
    let mut b = Browser::with_console(&s, &console);
    b.get("/console/signin").await;
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "user"),
                ("account", markup),
                ("username", markup),
                ("password", "x"),
                ("next", "\"><script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(
        !a.body.contains("<img src=x") && !a.body.contains("<script>alert"),
        "{}",
        a.body
    );
    assert!(a.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[tokio::test]
async fn repeated_failures_brake_sign_in_for_that_name_only() {
    let s = service_with_user();
    let console = crate::Console::with_sign_in(Box::new(DenyOps(vec![])));
    let mut b = Browser::with_console(&s, &console);
    b.get("/console/signin").await;
    let account = s.default_caller().account_id;
    for _ in 0..crate::throttle::MAX_FAILURES {
        let a = b
            .post(
                "/console/signin",
                &[
                    ("kind", "user"),
                    ("account", &account),
                    ("username", "alice"),
                    ("password", "Guess-12345"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password is refused, with the same message.
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "user"),
                ("account", &account),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains(crate::pages::signin_incorrect()));
    // The root user's key is another name: not braked.
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "root"),
                ("account", &account),
                ("access_key_id", "AKIAROOTKEY000000001"),
                ("secret_access_key", "root-secret-value"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
}

/// Issue 13: a signed-in user whose policies allow nothing sees AWS's
/// AccessDenied with 403 on the dashboard and the lists — never a 500.
#[tokio::test]
async fn a_user_without_permissions_gets_403_not_500() {
    let s = service_with_user();
    let console = crate::Console::with_sign_in(Box::new(DenyOps(vec![
        "ListRoles",
        "ListPolicies",
        "GetRole",
    ])));
    let mut b = Browser::with_console(&s, &console);
    b.get("/console/signin").await;
    let account = s.default_caller().account_id;
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "user"),
                ("account", &account),
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    for uri in [
        "/console",
        "/console/roles",
        "/console/roles/ecsAnywhereRole",
        "/console/policies",
    ] {
        let a = b.get(uri).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{uri}: {}", a.body);
        assert!(a.body.contains("AccessDenied"), "{uri}");
    }
}

/// AWS's console makes an instance profile of the role's name, holding the
/// role, when it creates a role for EC2 (not for other services), and takes
/// the role out of it (deleting that profile) when it deletes the role.
#[tokio::test]
async fn wizard_ec2_use_case_creates_the_instance_profile() {
    let s = service();
    let caller = s.default_caller();
    let mut b = Browser::new(&s);
    b.get("/console/create-role").await;
    let form = |usecase: &'static str, name: &'static str| {
        vec![
            ("entity", "service"),
            ("service", usecase.split('/').next().unwrap_or_default()),
            ("usecase", usecase),
            ("picked", "1"),
            ("name", name),
            ("go", "create"),
        ]
    };
    let done = b
        .post("/console/create-role", &form("ec2/ec2", "WebServer"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let profile = s.get_instance_profile(&caller, "WebServer").unwrap();
    assert_eq!(profile.profile.name, "WebServer");
    assert_eq!(profile.profile.path, "/");
    assert_eq!(
        profile
            .roles
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["WebServer"]
    );

    // Another service's role gets no profile.
    let done = b
        .post("/console/create-role", &form("ecs/task", "TaskRole"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(s.get_instance_profile(&caller, "TaskRole").is_err());

    // A profile of the name already there: refused before the role is made.
    s.create_instance_profile(
        &caller,
        ironiam_core::instance_profiles::NewInstanceProfile {
            name: "Taken".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let refused = b
        .post("/console/create-role", &form("ec2/ssm", "Taken"))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("Instance Profile Taken already exists."),
        "{}",
        refused.body
    );
    assert!(s.get_role(&caller, "Taken").is_err());

    // Deleting the role in the console takes it out of the profile and deletes that.
    let deleted = b
        .post(
            "/console/roles/WebServer/delete",
            &[("confirm", "WebServer")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert!(s.get_role(&caller, "WebServer").is_err());
    assert!(s.get_instance_profile(&caller, "WebServer").is_err());
}

/// Two consoles over one shared state stand for two replicas on one
/// database: a session signed in on one is used on the other, a sign-out on
/// one ends it on the other, and the other's forms are accepted.
#[tokio::test]
async fn consoles_sharing_a_state_share_sessions_and_sign_outs() {
    let s = service_with_user();
    let state = std::sync::Arc::new(crate::InProcess::default());
    let a =
        crate::Console::with_sign_in(Box::new(DenyOps(vec![]))).with_shared_state(state.clone());
    let b =
        crate::Console::with_sign_in(Box::new(DenyOps(vec![]))).with_shared_state(state.clone());
    let mut on_a = sign_in_alice(&s, &a).await;
    let mut on_b = Browser::with_console(&s, &b);
    on_b.jar = on_a.jar.clone();
    on_b.cookie = on_a.cookie.clone();
    let page = on_b.get("/console/roles").await;
    assert_eq!(page.status, StatusCode::OK, "the session of A is good on B");
    // A form rendered by B is accepted by A (one CSRF secret).
    on_a.token = on_b.token.clone();
    let out = on_a.post("/console/signout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(state.len(), 0);
    let page = on_b.get("/console/roles").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "signed out on A, out on B"
    );
}

/// A shared state that cannot be reached: every call fails.
#[derive(Debug)]
struct Unreachable;

impl crate::SharedState for Unreachable {
    fn csrf_secret(&self) -> [u8; 32] {
        [1; 32]
    }
    fn put_session(
        &self,
        _: &[u8; 32],
        _: &crate::StoredSession,
        _: i64,
    ) -> Result<(), crate::SharedError> {
        Err(crate::SharedError("connection refused".into()))
    }
    fn session(
        &self,
        _: &[u8; 32],
        _: i64,
    ) -> Result<Option<crate::StoredSession>, crate::SharedError> {
        Err(crate::SharedError("connection refused".into()))
    }
    fn end_session(&self, _: &[u8; 32]) -> Result<(), crate::SharedError> {
        Err(crate::SharedError("connection refused".into()))
    }
    fn clear_password_reset(&self, _: &[u8; 32]) -> Result<(), crate::SharedError> {
        Err(crate::SharedError("connection refused".into()))
    }
    fn failures(&self, _: &str, _: i64, _: i64) -> Result<u32, crate::SharedError> {
        Err(crate::SharedError("connection refused".into()))
    }
    fn add_failure(&self, _: &str, _: i64, _: i64) -> Result<(), crate::SharedError> {
        Err(crate::SharedError("connection refused".into()))
    }
    fn clear_failures(&self, _: &str) -> Result<(), crate::SharedError> {
        Err(crate::SharedError("connection refused".into()))
    }
}

/// A store that cannot be reached answers 503 with a generic message:
/// never a sign-in without a stored session, never a page as someone
/// signed out, and the detail stays out of the page.
#[tokio::test]
async fn an_unreachable_state_answers_503_never_a_silent_sign_in() {
    let s = service_with_user();
    let console = crate::Console::with_sign_in(Box::new(DenyOps(vec![])))
        .with_shared_state(std::sync::Arc::new(Unreachable));
    let mut b = Browser::with_console(&s, &console);
    // The sign-in page needs no session (none is read without a cookie).
    assert_eq!(b.get("/console/signin").await.status, StatusCode::OK);
    let account = s.default_caller().account_id;
    let a = b
        .post(
            "/console/signin",
            &[
                ("kind", "user"),
                ("account", &account),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(a.body.contains("ServiceUnavailable"));
    assert!(!a.body.contains("connection refused"), "no detail");
    assert!(
        !a.headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("ironiam_session=")),
        "no session cookie"
    );
    // A browser with a session cookie is neither served nor sent to sign
    // in: the console is unavailable.
    b.jar.push(("ironiam_session".into(), "ab".repeat(32)));
    b.cookie = Some(
        b.jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; "),
    );
    let a = b.get("/console/roles").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    let a = b.get("/console/api/roles").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
}
