//! Typed inputs and outputs of every IAM and STS operation, generated from botocore's
//! models by `scripts/gen-model.py` into `generated.rs` (never edited by hand).
//!
//! Per service ([`iam`], [`sts`]) there is one struct per structure shape the operations
//! reach, named as the model names it (`Role`, `Tag`, `CreateRoleRequest`; a lower-case
//! first letter is raised: `policyDetailType` is `PolicyDetailType`), and per operation the
//! aliases `{Op}Input` and `{Op}Output` (`()` when the operation returns only
//! `ResponseMetadata`). Members are snake_case fields; required members are plain values,
//! optional ones `Option`s.
//!
//! * Decoding ([`FromInput`]) reads an [`Input`] that [`decode_input`](crate::decode_input)
//!   already validated against the model, so it only moves values into fields.
//! * Encoding ([`WriteMembers`], [`XmlValue`]) writes members in the model's order, which
//!   is the order AWS writes them; an absent optional member is left out, as AWS does.
//!
//! A required string member whose shape has a minimum length is not written when empty:
//! an empty value cannot be valid there, and it is how a handler leaves out a member AWS
//! omits against its own model (GetUser of the root user has no `UserName` or `Path`).
//!
//! Strings with an enum in the model stay `String`s (the decoder checked the value);
//! timestamps are `String`s in ISO 8601; integers and longs are `i64`.
//!
//! A structure listed in the generator's `CACHED_SHAPES` (IAM's `Role`) is referenced
//! through `Cached{Name}`: typed, or a fragment of XML a server rendered earlier with
//! `write_cacheable_members`, followed by the members that change without a new
//! version (a role's `RoleLastUsed`). That keeps GetRole and ListRoles on the render
//! cache's path: appending a cached fragment costs no allocation.
//!
//! ```
//! use ironiam_protocol::dto::{iam, FromInput, WriteMembers};
//! use ironiam_protocol::{decode_input, parse_form, resolve_operation, Service, XmlWriter};
//!
//! let params = parse_form(b"Action=TagRole&RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v")?;
//! let op = resolve_operation(Some(Service::Iam), &params)?;
//! let input = iam::TagRoleInput::from_input(&decode_input(op, &params)?).unwrap();
//! assert_eq!(input.role_name, "r");
//! assert_eq!(input.tags[0].key, "k");
//!
//! let out = iam::ListRoleTagsOutput { tags: input.tags, is_truncated: Some(false), marker: None };
//! let mut w = XmlWriter::new();
//! out.write_members(&mut w);
//! assert_eq!(w.as_str(), "<Tags><member><Key>k</Key><Value>v</Value></member></Tags><IsTruncated>false</IsTruncated>");
//! # Ok::<(), ironiam_protocol::QueryError>(())
//! ```

use std::fmt;

use crate::{Input, Value, XmlWriter};

#[rustfmt::skip]
mod generated;

pub use generated::{iam, sts};

/// A member the typed input could not take from a validated [`Input`]: a required member
/// missing or a value of another type. Decoding after validation never meets one; it
/// exists so that no request can make the server panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtoError {
    /// The member's model name.
    pub member: &'static str,
}

impl fmt::Display for DtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Coral's wording and path style (lowerCamelCase member name).
        let mut chars = self.member.chars();
        let first = chars.next().map(|c| c.to_ascii_lowercase());
        write!(f, "1 validation error detected: Value null at '")?;
        if let Some(c) = first {
            write!(f, "{c}{}", chars.as_str())?;
        }
        write!(f, "' failed to satisfy constraint: Member must not be null")
    }
}

impl std::error::Error for DtoError {}

/// A structure decoded from a validated [`Input`].
pub trait FromInput: Sized {
    /// Moves the members of `input` into a typed value.
    ///
    /// # Errors
    ///
    /// [`DtoError`] for a required member that is missing or ill-typed, which validation
    /// rules out.
    fn from_input(input: &Input) -> Result<Self, DtoError>;
}

/// A member value decoded from a validated [`Value`].
pub trait FromValue: Sized {
    /// The typed value, `None` when `value` is of another type.
    fn from_value(value: &Value) -> Option<Self>;
}

/// A structure's members written as XML, in the model's order.
pub trait WriteMembers {
    /// Writes every present member as an element.
    fn write_members(&self, w: &mut XmlWriter);
}

/// A value written as one element named `tag`.
pub trait XmlValue {
    /// Writes `<tag>…</tag>`.
    fn write_xml(&self, w: &mut XmlWriter, tag: &str);
}

/// A blob member: bytes, base64 on the wire.
#[derive(Clone, PartialEq, Eq, Default, Debug)]
pub struct Blob(pub Vec<u8>);

/// A map member: entries in order (the query protocol's `entry.N.key`/`entry.N.value`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Map<V>(pub Vec<(String, V)>);

impl<V> Default for Map<V> {
    fn default() -> Self {
        Map(Vec::new())
    }
}

/// A required member of `input`.
pub fn required<T: FromValue>(input: &Input, member: &'static str) -> Result<T, DtoError> {
    input
        .get(member)
        .and_then(T::from_value)
        .ok_or(DtoError { member })
}

/// An optional member of `input`: `None` when absent.
pub fn optional<T: FromValue>(input: &Input, member: &'static str) -> Result<Option<T>, DtoError> {
    match input.get(member) {
        None => Ok(None),
        Some(v) => T::from_value(v).map(Some).ok_or(DtoError { member }),
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_string)
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_int()
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl FromValue for Blob {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_blob().map(|b| Blob(b.to_vec()))
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value) -> Option<Self> {
        value.as_list()?.iter().map(T::from_value).collect()
    }
}

impl<V: FromValue> FromValue for Map<V> {
    fn from_value(value: &Value) -> Option<Self> {
        let entries = value.as_map()?;
        entries
            .iter()
            .map(|(k, v)| V::from_value(v).map(|v| (k.clone(), v)))
            .collect::<Option<Vec<_>>>()
            .map(Map)
    }
}

impl XmlValue for String {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.element(tag, self);
    }
}

impl XmlValue for i64 {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.int_element(tag, *self);
    }
}

impl XmlValue for bool {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.bool_element(tag, *self);
    }
}

impl XmlValue for Blob {
    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {
        w.element(tag, &base64_encode(&self.0));
    }
}

/// A list as the query protocol writes it: `<tag><member>…</member>…</tag>`; an empty list
/// is `<tag/>` (AWS writes present empty lists, e.g. a role without policies).
pub fn write_list<T: XmlValue>(w: &mut XmlWriter, tag: &str, member_name: &str, items: &[T]) {
    if items.is_empty() {
        w.empty(tag);
        return;
    }
    w.start(tag);
    for item in items {
        item.write_xml(w, member_name);
    }
    w.end(tag);
}

/// A map: `<tag><entry><key>k</key><value>v</value></entry>…</tag>`.
pub fn write_map<V: XmlValue>(
    w: &mut XmlWriter,
    tag: &str,
    key_name: &str,
    value_name: &str,
    map: &Map<V>,
) {
    if map.0.is_empty() {
        w.empty(tag);
        return;
    }
    w.start(tag);
    for (k, v) in &map.0 {
        w.start("entry");
        w.element(key_name, k);
        v.write_xml(w, value_name);
        w.end("entry");
    }
    w.end(tag);
}

/// Standard base64 with padding, as AWS writes blobs (a credential report's `Content`).
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{decode_input, parse_form, resolve_operation, Service};

    fn decoded<T: FromInput>(body: &str) -> T {
        let params = parse_form(body.as_bytes()).unwrap();
        let op = resolve_operation(Some(Service::Iam), &params).unwrap();
        T::from_input(&decode_input(op, &params).unwrap()).unwrap()
    }

    #[test]
    fn base64() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn inputs_decode_scalars_lists_and_nested_structures() {
        let input: iam::CreateRoleInput = decoded(
            "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=7200\
             &Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2",
        );
        assert_eq!(input.role_name, "r");
        assert_eq!(input.assume_role_policy_document, "{}");
        assert_eq!(input.max_session_duration, Some(7200));
        assert_eq!(input.path, None);
        let keys: Vec<_> = input
            .tags
            .iter()
            .flatten()
            .map(|t| t.key.as_str())
            .collect();
        assert_eq!(keys, ["a", "b"]);

        let input: iam::SimulateCustomPolicyInput = decoded(
            "Action=SimulateCustomPolicy&PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3%3AGetObject\
             &ContextEntries.member.1.ContextKeyName=aws%3AMultiFactorAuthPresent&ContextEntries.member.1.ContextKeyType=boolean\
             &ContextEntries.member.1.ContextKeyValues.member.1=true",
        );
        let entry = &input.context_entries.unwrap()[0];
        assert_eq!(entry.context_key_type.as_deref(), Some("boolean"));
        assert_eq!(
            entry.context_key_values.as_deref(),
            Some(&["true".to_string()][..])
        );

        // No members in the model: an empty struct.
        let _: iam::GetAccountSummaryInput =
            iam::GetAccountSummaryInput::from_input(&Input::default()).unwrap();
    }

    #[test]
    fn a_missing_required_member_is_an_error_not_a_panic() {
        let err = iam::GetRoleInput::from_input(&Input::default()).unwrap_err();
        assert_eq!(err.member, "RoleName");
        assert_eq!(
            err.to_string(),
            "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"
        );
    }

    fn role() -> iam::Role {
        iam::Role {
            path: "/".into(),
            role_name: "r".into(),
            role_id: "AROA1".into(),
            arn: "arn:aws:iam::1:role/r".into(),
            create_date: "2026-01-01T00:00:00Z".into(),
            max_session_duration: Some(3600),
            role_last_used: Some(iam::RoleLastUsed {
                last_used_date: None,
                region: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn outputs_write_members_in_model_order_and_leave_absent_ones_out() {
        let out = iam::GetRoleOutput {
            role: role().into(),
        };
        let mut w = XmlWriter::new();
        out.write_members(&mut w);
        assert_eq!(
            w.as_str(),
            "<Role><Path>/</Path><RoleName>r</RoleName><RoleId>AROA1</RoleId><Arn>arn:aws:iam::1:role/r</Arn>\
             <CreateDate>2026-01-01T00:00:00Z</CreateDate><MaxSessionDuration>3600</MaxSessionDuration>\
             <RoleLastUsed></RoleLastUsed></Role>"
        );
    }

    #[test]
    fn a_cached_fragment_is_followed_by_the_volatile_members() {
        let typed = role();
        let mut cached = XmlWriter::new();
        typed.write_cacheable_members(&mut cached);
        assert!(!cached.as_str().contains("RoleLastUsed"));
        let fragment = iam::CachedRole::Fragment {
            members: Arc::from(cached.into_string()),
            role_last_used: typed.role_last_used.clone(),
        };
        let (mut a, mut b) = (XmlWriter::new(), XmlWriter::new());
        fragment.write_xml(&mut a, "Role");
        iam::CachedRole::Typed(Box::new(typed)).write_xml(&mut b, "Role");
        assert_eq!(a.as_str(), b.as_str());
    }

    #[test]
    fn maps_blobs_and_empty_lists() {
        let out = iam::GetAccountSummaryOutput {
            summary_map: Some(Map(vec![("Users".into(), 2), ("Roles".into(), 3)])),
        };
        let mut w = XmlWriter::new();
        out.write_members(&mut w);
        assert_eq!(
            w.as_str(),
            "<SummaryMap><entry><key>Users</key><value>2</value></entry><entry><key>Roles</key><value>3</value></entry></SummaryMap>"
        );
        let out = iam::GetCredentialReportOutput {
            content: Some(Blob(b"foo".to_vec())),
            ..Default::default()
        };
        let mut w = XmlWriter::new();
        out.write_members(&mut w);
        assert_eq!(w.as_str(), "<Content>Zm9v</Content>");
        let out = iam::ListRolePoliciesOutput {
            policy_names: vec![],
            is_truncated: None,
            marker: None,
        };
        let mut w = XmlWriter::new();
        out.write_members(&mut w);
        assert_eq!(w.as_str(), "<PolicyNames/>");
    }

    #[test]
    fn sensitive_members_stay_out_of_debug() {
        let key = iam::AccessKey {
            secret_access_key: "s3cr3t".into(),
            ..Default::default()
        };
        assert!(!format!("{key:?}").contains("s3cr3t"));
    }
}
