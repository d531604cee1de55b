//! The string-member and hand-written-XML helpers handlers used before the typed
//! operation layer (issue 11 item 1). Every handler in this crate's history now takes
//! its typed input and returns its typed output; these stay only for a family being
//! written against them in the same tree (instance profiles), and go once it is
//! ported. Do not use them in new code: take `dto::iam::{Op}Input`, return
//! `{Op}Output`.
#![allow(dead_code)]

use ironiam_core::entities::{Page, Tag};
use ironiam_core::service::AttachedPolicy;
use ironiam_core::{IamError, IamResult};
use ironiam_protocol::{Value, XmlWriter};

use super::{Ctx, HandlerResult};

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

/// Runs `f` on a fresh writer and returns its XML.
pub(crate) fn render(f: impl FnOnce(&mut XmlWriter)) -> HandlerResult {
    let mut w = XmlWriter::new();
    f(&mut w);
    Ok(Some(w))
}
