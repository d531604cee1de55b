//! One function per operation: typed input in, XML result out. Handlers know
//! AWS's response shapes; the domain knows AWS's rules.

pub(crate) mod oidc;
pub(crate) mod policies;
pub(crate) mod roles;
pub(crate) mod simulate;
pub(crate) mod sts;
pub(crate) mod users;

use ironiam_core::clock::iso8601;
use ironiam_core::entities::{Page, Tag};
use ironiam_core::service::{AttachedPolicy, Caller, IamService};
use ironiam_core::{IamError, IamResult};
use ironiam_protocol::{Input, Value, XmlWriter};

use crate::api::{Handlers, IamApi, StsApi};
use crate::auth::AuthMode;
use crate::render_cache::RoleXmlCache;

/// What a handler gets.
pub(crate) struct Ctx<'a> {
    pub service: &'a IamService,
    pub roles_xml: &'a RoleXmlCache,
    pub caller: &'a Caller,
    pub input: &'a Input,
    /// The authentication mode (STS decides AssumeRole by it).
    pub mode: AuthMode,
    /// The region the request was signed for, if signed.
    #[allow(dead_code)]
    pub region: Option<&'a str>,
}

/// A handler's result: the XML inside `<{Op}Result>`, or none for operations without output.
pub(crate) type HandlerResult = IamResult<Option<XmlWriter>>;

impl Ctx<'_> {
    /// A member the model marks required (decoding already checked it; this
    /// only keeps handlers free of `unwrap`).
    pub fn required(&self, member: &str) -> IamResult<&str> {
        self.input.str(member).ok_or_else(|| {
            IamError::Validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_camel(member)
            ))
        })
    }

    pub fn opt(&self, member: &str) -> Option<&str> {
        self.input.str(member)
    }

    pub fn tags(&self, member: &str) -> Vec<Tag> {
        self.input
            .list(member)
            .iter()
            .filter_map(|v| match v {
                Value::Structure(t) => Some(Tag {
                    key: t.str("Key").unwrap_or_default().to_string(),
                    value: t.str("Value").unwrap_or_default().to_string(),
                }),
                _ => None,
            })
            .collect()
    }

    pub fn strings(&self, member: &str) -> Vec<String> {
        self.input
            .list(member)
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
}

fn lower_camel(name: &str) -> String {
    let mut c = name.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}

/// Writes `<Tags><member><Key/><Value/></member>…</Tags>`.
pub(crate) fn write_tags(w: &mut XmlWriter, tags: &[Tag]) {
    w.start("Tags");
    for t in tags {
        w.start("member");
        w.element("Key", &t.key);
        w.element("Value", &t.value);
        w.end("member");
    }
    w.end("Tags");
}

/// Writes `IsTruncated` and `Marker` as AWS does after a listing.
pub(crate) fn write_page_end<T>(w: &mut XmlWriter, page: &Page<T>) {
    w.element("IsTruncated", if page.marker.is_some() { "true" } else { "false" });
    if let Some(m) = &page.marker {
        w.element("Marker", m);
    }
}

/// The body of ListRolePolicies / ListUserPolicies: inline policy names and the page end.
pub(crate) fn write_policy_names(w: &mut XmlWriter, page: &Page<String>) {
    w.start("PolicyNames");
    for name in &page.items {
        w.element("member", name);
    }
    w.end("PolicyNames");
    write_page_end(w, page);
}

/// The body of ListAttachedRolePolicies / ListAttachedUserPolicies.
pub(crate) fn write_attached_policies(w: &mut XmlWriter, page: &Page<AttachedPolicy>) {
    w.start("AttachedPolicies");
    for p in &page.items {
        w.start("member");
        w.element("PolicyName", &p.name);
        w.element("PolicyArn", &p.arn);
        w.end("member");
    }
    w.end("AttachedPolicies");
    write_page_end(w, page);
}

pub(crate) fn date(epoch: i64) -> String {
    iso8601(epoch)
}

/// Runs `f` on a fresh writer and returns its XML.
pub(crate) fn render(f: impl FnOnce(&mut XmlWriter)) -> HandlerResult {
    let mut w = XmlWriter::new();
    f(&mut w);
    Ok(Some(w))
}

// The operations ironiam serves: each method calls its family's function. An
// operation not named here answers AWS's `501 NotImplemented` (the traits' defaults).
impl IamApi for Handlers {}

impl StsApi for Handlers {}
