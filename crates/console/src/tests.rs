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
    IamService::new(Arc::new(MemoryStore::new()), Arc::new(FixedClock::new(1_795_998_080)), Settings::default())
}

struct Browser<'a> {
    service: &'a IamService,
    cookie: Option<String>,
    token: Option<String>,
}

struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: String,
}

async fn send(service: &IamService, req: Request<Full<Bytes>>) -> Answer {
    let response: Response<Full<Bytes>> = crate::handle(service, req).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

impl<'a> Browser<'a> {
    fn new(service: &'a IamService) -> Self {
        Browser { service, cookie: None, token: None }
    }

    async fn get(&mut self, uri: &str) -> Answer {
        let mut b = Request::get(uri).header("host", "127.0.0.1:1");
        if let Some(c) = &self.cookie {
            b = b.header("cookie", c.as_str());
        }
        let a = send(self.service, b.body(Full::new(Bytes::new())).unwrap()).await;
        if let Some(set) = a.headers.get("set-cookie") {
            self.cookie = Some(set.to_str().unwrap().split(';').next().unwrap().to_string());
        }
        let marker = "name=\"csrf-token\" content=\"";
        if let Some(start) = a.body.find(marker) {
            let rest = &a.body[start + marker.len()..];
            self.token = Some(rest[..rest.find('"').unwrap()].to_string());
        }
        a
    }

    async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Answer {
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        let token = self.token.clone().unwrap_or_default();
        pairs.push(("_csrf", &token));
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let mut b = Request::post(uri)
            .header("host", "127.0.0.1:1")
            .header("origin", "http://127.0.0.1:1")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = &self.cookie {
            b = b.header("cookie", c.as_str());
        }
        send(self.service, b.body(Full::new(Bytes::from(body))).unwrap()).await
    }
}

fn create(service: &IamService, name: &str, description: Option<&str>) {
    service
        .create_role(
            &service.default_caller(),
            NewRole { name: name.into(), trust_policy: TRUST.into(), description: description.map(str::to_string), ..NewRole::default() },
        )
        .unwrap();
}

#[tokio::test]
async fn pages_render_with_security_headers() {
    let s = service();
    create(&s, "ecsAnywhereRole", None);
    let mut b = Browser::new(&s);
    for uri in ["/console", "/console/roles", "/console/roles/ecsAnywhereRole", "/console/roles/ecsAnywhereRole?tab=trust",
        "/console/roles/ecsAnywhereRole?tab=tags", "/console/roles/ecsAnywhereRole/attach", "/console/roles/ecsAnywhereRole/trust",
        "/console/create-role", "/console/policies", "/console/policies/view?arn=arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"] {
        let a = b.get(uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        let csp = a.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(a.body.starts_with("<!doctype html>"), "{uri}");
    }
    let cookie = b.cookie.clone().unwrap();
    assert!(cookie.starts_with("ironiam_console="));
    assert_eq!(b.get("/console/roles/nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/console/static/app.js").await.status, StatusCode::OK);
}

#[tokio::test]
async fn forms_need_the_cookie_and_its_token() {
    let s = service();
    create(&s, "r1", None);
    let mut b = Browser::new(&s);
    // No cookie yet.
    let a = b.post("/console/roles/r1/tags", &[("key", "k"), ("value", "v")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    b.get("/console/roles/r1").await;
    // A forged token.
    let good = b.token.replace("00".repeat(32)).unwrap();
    let a = b.post("/console/roles/r1/tags", &[("key", "k"), ("value", "v")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The right token.
    b.token = Some(good);
    let a = b.post("/console/roles/r1/tags", &[("key", "k"), ("value", "v")]).await;
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
    let a = b.post("/console/roles/hostile/tags", &[("key", "k"), ("value", payload)]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(!a.body.contains("<script>window"), "tag value unescaped");
    assert!(a.body.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;&quot;onmouseover=&quot;x&#39;"));
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
    let bad = b.post("/console/roles/ecsAnywhereRole/trust", &[("document", "{\"Version\":\"2012-10-17\"}"), ("action", "save")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("MalformedPolicyDocument"), "{}", bad.body);
    let ssm = TRUST.replace("ec2.amazonaws.com", "ssm.amazonaws.com");
    let preview = b.post("/console/roles/ecsAnywhereRole/trust", &[("document", &ssm), ("action", "preview")]).await;
    assert!(preview.body.contains("1 line(s) added, 1 removed"), "{}", preview.body);
    let saved = b.post("/console/roles/ecsAnywhereRole/trust", &[("document", &ssm), ("action", "save")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(s.get_role(&s.default_caller(), "ecsAnywhereRole").unwrap().assume_role_policy_document, ssm);
}

#[tokio::test]
async fn wizard_creates_the_guides_role() {
    let s = service();
    let mut b = Browser::new(&s);
    b.get("/console/create-role").await;
    let step2 = b.post("/console/create-role", &[("entity", "service"), ("service", "ecs"), ("usecase", "ecs/ec2-role"), ("go", "permissions")]).await;
    assert_eq!(step2.status, StatusCode::OK);
    assert!(step2.body.contains("value=\"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role\" aria-label=\"Select AmazonEC2ContainerServiceforEC2Role\" checked"));
    let arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
    let base = [("entity", "service"), ("service", "ecs"), ("usecase", "ecs/ec2-role"), ("picked", "1"), ("arn", arn)];
    let mut review: Vec<(&str, &str)> = base.to_vec();
    review.push(("go", "review"));
    let step3 = b.post("/console/create-role", &review).await;
    assert!(step3.body.contains("Allows EC2 instances in an ECS cluster to access ECS."));
    let mut create: Vec<(&str, &str)> = base.to_vec();
    create.extend([("name", "ecsAnywhereRole"), ("description", "Allows on-premises servers"), ("described", "1"), ("tag_key", ""), ("tag_value", ""), ("go", "create")]);
    let done = b.post("/console/create-role", &create).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let role = s.get_role(&s.default_caller(), "ecsAnywhereRole").unwrap();
    assert_eq!(role.attached_policies, [arn]);
    assert!(role.assume_role_policy_document.contains("ec2.amazonaws.com"));
    // A bad name is refused with the model's message.
    let mut bad: Vec<(&str, &str)> = base.to_vec();
    bad.extend([("name", "bad name"), ("go", "create")]);
    let refused = b.post("/console/create-role", &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("roleName"), "{}", refused.body);
}
