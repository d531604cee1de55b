//! Every operation of both models through the pipeline (`App::handle`, no socket), with
//! the smallest input the model accepts: none answers 500 or panics, and one ironiam does
//! not serve answers AWS-shaped `501 NotImplemented` (issue 11).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use ironiam_core::clock::FixedClock;
use ironiam_core::memory::MemoryStore;
use ironiam_core::service::{IamService, Settings};
use ironiam_protocol::model::{Shape, ShapeKind};
use ironiam_protocol::{decode_input, parse_form, Service};
use ironiam_server::{App, AppConfig};

/// Strings tried, in order, for a string member with a pattern or length limits; the
/// first that fits is sent. They cover the model's ARNs, ids, paths, URLs, JSON and hex.
const CANDIDATES: &[&str] = &[
    "a",
    "arn:aws:iam::123456789012:role/a",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "/",
    "{}",
    "https://example.com",
    "AKIAIOSFODNN7EXAMPLE",
    "123456789012",
    "0123456789abcdef0123456789abcdef01234567",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "2012-10-17",
    "a@example.com",
    "012345",
    "v1",
    "o-abcdefghij/r-abcd",
];

/// The smallest string `shape` accepts, if a candidate (or `a` repeated) fits.
fn string_for(shape: &Shape) -> Option<String> {
    if let Some(first) = shape.enum_values.first() {
        return Some((*first).to_string());
    }
    let min = usize::try_from(shape.min.unwrap_or(0)).unwrap_or(0).max(1);
    let max = usize::try_from(shape.max.unwrap_or(i64::MAX)).unwrap_or(usize::MAX);
    let fits = |s: &str| {
        let n = s.chars().count();
        n >= min && n <= max && shape.pattern.is_none_or(|p| p.is_match(s))
    };
    let mut tries: Vec<String> = CANDIDATES.iter().map(|c| c.to_string()).collect();
    tries.push("a".repeat(min));
    tries.push(format!("{}{}", "1".repeat(min.saturating_sub(1)), "a"));
    tries.push("1".repeat(min));
    tries.into_iter().find(|s| fits(s))
}

/// Appends `name=value` pairs for a value of `shape` at `prefix`.
fn fill(
    shape: &'static Shape,
    prefix: &str,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    match shape.kind {
        ShapeKind::String => {
            let v = string_for(shape)
                .ok_or_else(|| format!("no string fits {} at {prefix}", shape.name))?;
            out.push((prefix.to_string(), v));
        }
        ShapeKind::Integer | ShapeKind::Long => {
            let v = shape
                .min
                .unwrap_or(1)
                .max(1)
                .min(shape.max.unwrap_or(i64::MAX));
            out.push((prefix.to_string(), v.to_string()));
        }
        ShapeKind::Boolean => out.push((prefix.to_string(), "false".into())),
        ShapeKind::Timestamp => out.push((prefix.to_string(), "2026-01-01T00:00:00Z".into())),
        ShapeKind::Blob => out.push((prefix.to_string(), "YQ==".into())),
        ShapeKind::List {
            member,
            member_name,
        } => {
            let n = usize::try_from(shape.min.unwrap_or(0)).unwrap_or(0).max(1);
            for i in 1..=n {
                fill(member, &format!("{prefix}.{member_name}.{i}"), out)?;
            }
        }
        ShapeKind::Map {
            key,
            value,
            key_name,
            value_name,
        } => {
            fill(key, &format!("{prefix}.entry.1.{key_name}"), out)?;
            fill(value, &format!("{prefix}.entry.1.{value_name}"), out)?;
        }
        ShapeKind::Structure { members } => {
            let before = out.len();
            for m in members.iter().filter(|m| m.required) {
                let path = if prefix.is_empty() {
                    m.wire_name.to_string()
                } else {
                    format!("{prefix}.{}", m.wire_name)
                };
                fill(m.shape, &path, out)?;
            }
            if out.len() == before && !prefix.is_empty() {
                // `Name=` alone: a required structure with no required members.
                out.push((prefix.to_string(), String::new()));
            }
        }
    }
    Ok(())
}

fn form(pairs: &[(String, String)]) -> String {
    // Every byte but unreserved ones percent-encoded, as SDKs send.
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn every_operation_answers_without_a_500() {
    let service = IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_795_998_080)),
        Settings::default(),
    );
    let app = App::new(Arc::new(service), AppConfig::default());
    let mut seen = 0;
    let mut not_implemented = Vec::new();
    for service in [Service::Iam, Service::Sts] {
        for op in service.operations() {
            let mut params = vec![
                ("Action".to_string(), op.name.to_string()),
                ("Version".to_string(), service.version().to_string()),
            ];
            if let Some(shape) = op.input {
                fill(shape, "", &mut params).unwrap_or_else(|e| panic!("{}: {e}", op.name));
            }
            let body = form(&params);
            // The minimal input is valid: what follows tests the operation, not the decoder.
            let parsed = parse_form(body.as_bytes()).unwrap();
            if let Err(e) = decode_input(op, &parsed) {
                panic!(
                    "{}: minimal input {body} does not decode: {}",
                    op.name,
                    e.message()
                );
            }
            let req = Request::post("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(body.clone())))
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
            assert!(
                status < 500 || status == 501,
                "{} answered {status}: {text}\n(input {body})",
                op.name
            );
            if status == 501 {
                assert!(
                    text.starts_with(&format!("<ErrorResponse xmlns=\"{}\"><Error><Type>Receiver</Type><Code>NotImplemented</Code>", service.xmlns())),
                    "{}: {text}",
                    op.name
                );
                not_implemented.push(op.name);
            } else {
                assert!(
                    text.starts_with(&format!(
                        "<{}Response xmlns=\"{}\">",
                        op.name,
                        service.xmlns()
                    )) || text.starts_with("<ErrorResponse"),
                    "{}: {text}",
                    op.name
                );
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 187, "both models' operations");
    // The served operations answer something else than 501 (their input may name
    // entities that do not exist: 404 is fine).
    for served in [
        "CreateRole",
        "GetRole",
        "ListRoles",
        "GetCallerIdentity",
        "CreateUser",
        "ListPolicies",
        "SimulateCustomPolicy",
    ] {
        assert!(!not_implemented.contains(&served), "{served} answered 501");
    }
}
