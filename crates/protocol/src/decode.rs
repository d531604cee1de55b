//! Model-driven decoding and validation of AWS Query parameters.
//!
//! # Wire rules
//!
//! botocore's `QuerySerializer` (and every other SDK) flattens an operation's input into
//! `name=value` pairs:
//!
//! | model                | on the wire                                            |
//! |----------------------|--------------------------------------------------------|
//! | scalar member        | `RoleName=r`                                           |
//! | nested structure     | `Parent.Member=v`                                      |
//! | list                 | `Tags.member.1.Key=k`, `ClientIDList.member.1=id`      |
//! | empty list           | `Tags=` (the query protocol serializes empty lists)    |
//! | map                  | `Name.entry.1.key=k`, `Name.entry.1.value=v`           |
//! | boolean              | `true` / `false`                                       |
//! | blob                 | base64                                                 |
//!
//! Wire names are the model's member names (no IAM or STS member has a `locationName`
//! and none is `flattened`; the generator refuses a model that has one). Names are
//! case-sensitive. List indices count from 1.
//!
//! # What this module decides
//!
//! * `Action`, `Version`, every `X-Amz-*` parameter (SigV4 presigned URLs) and the SigV2
//!   query-auth parameters are protocol, not input: they are skipped here. Other unknown
//!   names are refused with `UnknownParameter`.
//! * AWS clients always send list indices 1..N in order. ironiam reads them in index order
//!   and closes gaps (`member.1`, `member.3` is a list of two); an index is at most
//!   `u32::MAX` and is never used to size anything, so `Tags.member.999999999.Key` costs
//!   one element. `member.0`, `member.01` and `member.x` are unknown parameters.
//! * The same parameter twice is refused (`InvalidQueryParameter`): which copy the
//!   signature check and the handler each read must never differ.
//! * Validation follows Coral, the framework behind IAM and STS: every broken constraint
//!   is reported, in model member order, at a path of lowerCamelCase member names with
//!   list elements as `tags.1.member.key`, values quoted even when numbers
//!   (`Value '0' at 'maxItems'`), and the pattern quoted as the model writes it. Within one
//!   member: type, enum, pattern, then length or range (AWS was seen reporting the pattern
//!   before the minimum length of one `roleArn`).
//! * Values of `sensitive` shapes (passwords, private keys, tokens) are never repeated in
//!   a message: `Value at 'password' failed to satisfy constraint: …`.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use crate::error::QueryError;
use crate::model::{self, OperationDef, Service, Shape, ShapeKind};

/// Query parameters that belong to the protocol or to request signing, never to an
/// operation's input, besides every name starting with `X-Amz-` (SigV4 presigned URLs).
///
/// The SigV2 names are skipped rather than refused so that the authentication layer, not
/// the decoder, decides what to make of a SigV2 request.
pub const PROTOCOL_PARAMETERS: &[&str] = &[
    "Action",
    "Version",
    "AWSAccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "Timestamp",
    "Expires",
    "SecurityToken",
];

fn is_protocol_parameter(name: &str) -> bool {
    PROTOCOL_PARAMETERS.contains(&name)
        || name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("X-Amz-"))
}

/// A decoded value of the input, typed by the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string member.
    String(String),
    /// An integer or long member.
    Integer(i64),
    /// A boolean member.
    Boolean(bool),
    /// A timestamp member, as sent (checked to be ISO 8601).
    Timestamp(String),
    /// A blob member, base64-decoded.
    Blob(Vec<u8>),
    /// A list member, in index order.
    List(Vec<Value>),
    /// A map member, in entry-index order.
    Map(Vec<(String, Value)>),
    /// A structure member.
    Structure(Input),
}

impl Value {
    /// The string, for a string or timestamp value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Timestamp(s) => Some(s),
            _ => None,
        }
    }

    /// The number, for an integer value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, for a boolean value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The bytes, for a blob value.
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            Value::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, for a list value.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The entries, for a map value.
    pub fn as_map(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The structure, for a structure value.
    pub fn as_structure(&self) -> Option<&Input> {
        match self {
            Value::Structure(s) => Some(s),
            _ => None,
        }
    }
}

/// A decoded, validated structure: the operation's input or a nested structure.
///
/// Members are looked up by their model name (`RoleName`, `Tags`); absent optional
/// members are simply not there.
#[derive(Debug, Clone, Default)]
pub struct Input {
    shape: Option<&'static Shape>,
    // Present members in model order.
    fields: Vec<(&'static str, Value)>,
}

impl PartialEq for Input {
    fn eq(&self, other: &Self) -> bool {
        let same_shape = match (self.shape, other.shape) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_shape && self.fields == other.fields
    }
}

impl Eq for Input {}

impl Input {
    /// The structure's shape, `None` for an operation the model gives no input.
    pub fn shape(&self) -> Option<&'static Shape> {
        self.shape
    }

    /// The value of `member`, if sent.
    pub fn get(&self, member: &str) -> Option<&Value> {
        debug_assert!(
            !matches!(self.shape, Some(s) if s.member(member).is_none()),
            "{} has no member {member}",
            self.shape.map_or("", |s| s.name)
        );
        self.fields
            .iter()
            .find(|(name, _)| *name == member)
            .map(|(_, v)| v)
    }

    /// Whether `member` was sent.
    pub fn contains(&self, member: &str) -> bool {
        self.get(member).is_some()
    }

    /// A string member.
    pub fn str(&self, member: &str) -> Option<&str> {
        self.get(member).and_then(Value::as_str)
    }

    /// An integer or long member.
    pub fn int(&self, member: &str) -> Option<i64> {
        self.get(member).and_then(Value::as_int)
    }

    /// A boolean member.
    pub fn bool(&self, member: &str) -> Option<bool> {
        self.get(member).and_then(Value::as_bool)
    }

    /// A timestamp member, as sent.
    pub fn timestamp(&self, member: &str) -> Option<&str> {
        match self.get(member) {
            Some(Value::Timestamp(s)) => Some(s),
            _ => None,
        }
    }

    /// A blob member, decoded.
    pub fn blob(&self, member: &str) -> Option<&[u8]> {
        self.get(member).and_then(Value::as_blob)
    }

    /// A list member's elements; empty when absent.
    pub fn list(&self, member: &str) -> &[Value] {
        self.get(member).and_then(Value::as_list).unwrap_or(&[])
    }

    /// A list-of-strings member's elements; empty when absent.
    pub fn strings(&self, member: &str) -> impl Iterator<Item = &str> {
        self.list(member).iter().filter_map(Value::as_str)
    }

    /// A structure member.
    pub fn structure(&self, member: &str) -> Option<&Input> {
        self.get(member).and_then(Value::as_structure)
    }

    /// A list-of-structures member's elements; empty when absent.
    pub fn structures(&self, member: &str) -> impl Iterator<Item = &Input> {
        self.list(member).iter().filter_map(Value::as_structure)
    }

    /// A map member's entries; empty when absent.
    pub fn map(&self, member: &str) -> &[(String, Value)] {
        self.get(member).and_then(Value::as_map).unwrap_or(&[])
    }

    /// The members sent, in model order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.fields.iter().map(|(n, v)| (*n, v))
    }

    /// How many members were sent.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no member was sent.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// Finds the operation a request asks for, from its `Action` and `Version` parameters.
///
/// `service` is the service the endpoint serves, `None` when the endpoint serves both: a
/// `Version` then picks the service (`2011-06-15` is STS), else IAM is searched first,
/// then STS. A missing `Version` is accepted (hand-written `curl` calls often leave it out).
///
/// # Errors
///
/// * [`QueryError::MissingAction`] without a non-empty `Action`;
/// * [`QueryError::InvalidQueryParameter`] when `Action` or `Version` is sent twice with
///   different values;
/// * [`QueryError::InvalidAction`] when the action is not an operation of the service, or
///   the `Version` is not the service's.
pub fn resolve_operation(
    service: Option<Service>,
    params: &[(String, String)],
) -> Result<&'static OperationDef, QueryError> {
    let action = single(params, "Action")?.filter(|a| !a.is_empty());
    let version = single(params, "Version")?;
    let Some(action) = action else {
        return Err(QueryError::MissingAction);
    };
    let invalid = |version: &str| QueryError::InvalidAction {
        action: action.to_owned(),
        version: version.to_owned(),
    };
    let service = match (service, version) {
        (Some(s), Some(v)) if v != s.version() => return Err(invalid(v)),
        (Some(s), _) => Some(s),
        (None, Some(v)) => Some(Service::from_version(v).ok_or_else(|| invalid(v))?),
        (None, None) => None,
    };
    model::operation(service, action)
        .ok_or_else(|| invalid(version.unwrap_or(service.unwrap_or(Service::Iam).version())))
}

fn single<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, QueryError> {
    let mut found: Option<&str> = None;
    for (k, v) in params {
        if k == name {
            match found {
                Some(prev) if prev != v => {
                    return Err(QueryError::InvalidQueryParameter {
                        name: name.to_owned(),
                        reason: "appears more than once",
                    })
                }
                _ => found = Some(v),
            }
        }
    }
    Ok(found)
}

/// Decodes and validates the input of `op` from a request's parameters.
///
/// # Errors
///
/// * [`QueryError::UnknownParameter`] for a name that is not a member path of the input;
/// * [`QueryError::InvalidQueryParameter`] for a parameter sent twice, or a value given to
///   a list, map or structure;
/// * [`QueryError::Validation`] with every constraint the input breaks (missing required
///   member, ill-typed value, length, range, pattern, enum).
pub fn decode_input(op: &OperationDef, params: &[(String, String)]) -> Result<Input, QueryError> {
    let Some(shape) = op.input else {
        if let Some((name, _)) = params.iter().find(|(k, _)| !is_protocol_parameter(k)) {
            return Err(QueryError::UnknownParameter { name: name.clone() });
        }
        return Ok(Input::default());
    };

    let mut root = Vec::new();
    for (name, value) in params {
        // A parameter that is a member wins over the protocol list (none collides today).
        let mut segments = name.split('.');
        match insert_struct(&mut root, shape, &mut segments, value, name) {
            Ok(()) => {}
            Err(QueryError::UnknownParameter { .. }) if is_protocol_parameter(name) => {}
            Err(e) => return Err(e),
        }
    }

    let mut errors = Vec::new();
    let input = convert_struct(shape, root, None, &mut errors);
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(QueryError::Validation(errors))
    }
}

// ---------------------------------------------------------------------------------------
// Pass 1: parameters -> a raw tree shaped by the model.
// ---------------------------------------------------------------------------------------

/// Parameters gathered under the model's shapes, values still text.
enum Raw<'a> {
    /// A scalar's text.
    Scalar(&'a str),
    /// `Name=` for a list, map or structure: present and empty.
    Empty,
    /// List elements by wire index (`None` only while an element is being filled).
    List(BTreeMap<u32, Option<Raw<'a>>>),
    /// Map entries by wire index: key and value.
    Map(BTreeMap<u32, (Option<Raw<'a>>, Option<Raw<'a>>)>),
    /// Structure members by position in the shape's member list (allocated lazily).
    Struct(Vec<Option<Raw<'a>>>),
}

fn unknown(name: &str) -> QueryError {
    QueryError::UnknownParameter {
        name: name.to_owned(),
    }
}

fn duplicate(name: &str) -> QueryError {
    QueryError::InvalidQueryParameter {
        name: name.to_owned(),
        reason: "appears more than once",
    }
}

fn not_scalar(name: &str) -> QueryError {
    QueryError::InvalidQueryParameter {
        name: name.to_owned(),
        reason: "is a list, map or structure and cannot take a value",
    }
}

/// `1`, `2`, … `4294967295`; no sign, no leading zero.
fn parse_index(segment: Option<&str>) -> Option<u32> {
    let s = segment?;
    if s.is_empty() || s.len() > 10 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

/// Inserts one parameter at `slot`, whose shape is `shape`; `segments` is what is left of
/// the name after the part that led here.
fn insert<'a>(
    slot: &mut Option<Raw<'a>>,
    shape: &'static Shape,
    segments: &mut std::str::Split<'_, char>,
    value: &'a str,
    name: &str,
) -> Result<(), QueryError> {
    match shape.kind {
        ShapeKind::List {
            member,
            member_name,
        } => {
            let Some(segment) = segments.next() else {
                return mark_empty(slot, value, name);
            };
            if segment != member_name {
                return Err(unknown(name));
            }
            let index = parse_index(segments.next()).ok_or_else(|| unknown(name))?;
            if !matches!(slot, Some(Raw::List(_))) {
                *slot = Some(Raw::List(BTreeMap::new()));
            }
            let Some(Raw::List(elements)) = slot else {
                return Err(unknown(name));
            };
            let element = elements.entry(index).or_insert(None);
            insert(element, member, segments, value, name)
        }
        ShapeKind::Map {
            key,
            value: value_shape,
            key_name,
            value_name,
        } => {
            let Some(segment) = segments.next() else {
                return mark_empty(slot, value, name);
            };
            if segment != "entry" {
                return Err(unknown(name));
            }
            let index = parse_index(segments.next()).ok_or_else(|| unknown(name))?;
            let part = segments.next().ok_or_else(|| unknown(name))?;
            if !matches!(slot, Some(Raw::Map(_))) {
                *slot = Some(Raw::Map(BTreeMap::new()));
            }
            let Some(Raw::Map(entries)) = slot else {
                return Err(unknown(name));
            };
            let entry = entries.entry(index).or_insert((None, None));
            if part == key_name {
                insert(&mut entry.0, key, segments, value, name)
            } else if part == value_name {
                insert(&mut entry.1, value_shape, segments, value, name)
            } else {
                Err(unknown(name))
            }
        }
        ShapeKind::Structure { .. } => {
            // `Name=` alone marks an empty structure.
            if segments.clone().next().is_none() {
                return mark_empty(slot, value, name);
            }
            if !matches!(slot, Some(Raw::Struct(_))) {
                *slot = Some(Raw::Struct(Vec::new()));
            }
            match slot {
                Some(Raw::Struct(slots)) => insert_struct(slots, shape, segments, value, name),
                // INVARIANT: set to a Struct just above.
                _ => Err(unknown(name)),
            }
        }
        ShapeKind::String
        | ShapeKind::Integer
        | ShapeKind::Long
        | ShapeKind::Boolean
        | ShapeKind::Timestamp
        | ShapeKind::Blob => {
            if segments.next().is_some() {
                return Err(unknown(name));
            }
            if slot.is_some() {
                return Err(duplicate(name));
            }
            *slot = Some(Raw::Scalar(value));
            Ok(())
        }
    }
}

/// `Name=` for an aggregate: marks it present and empty, unless elements already came.
fn mark_empty<'a>(slot: &mut Option<Raw<'a>>, value: &str, name: &str) -> Result<(), QueryError> {
    if !value.is_empty() {
        return Err(not_scalar(name));
    }
    match slot {
        None => *slot = Some(Raw::Empty),
        Some(Raw::Empty) => return Err(duplicate(name)),
        Some(_) => {}
    }
    Ok(())
}

/// Inserts into the member slots of a structure of shape `shape` (allocated on first use).
fn insert_struct<'a>(
    slots: &mut Vec<Option<Raw<'a>>>,
    shape: &'static Shape,
    segments: &mut std::str::Split<'_, char>,
    value: &'a str,
    name: &str,
) -> Result<(), QueryError> {
    let members = shape.members();
    let segment = segments.next().ok_or_else(|| unknown(name))?;
    let position = members
        .iter()
        .position(|m| m.wire_name == segment)
        .ok_or_else(|| unknown(name))?;
    if slots.is_empty() {
        slots.resize_with(members.len(), || None);
    }
    match slots.get_mut(position) {
        Some(slot) => insert(slot, members[position].shape, segments, value, name),
        None => Err(unknown(name)),
    }
}

// ---------------------------------------------------------------------------------------
// Pass 2: raw tree -> typed values, collecting every constraint violation.
// ---------------------------------------------------------------------------------------

/// A validation path, kept on the stack and rendered only when a message needs it.
#[derive(Clone, Copy)]
struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    segment: Segment,
}

#[derive(Clone, Copy)]
enum Segment {
    Member(&'static str),
    Index(u32),
    Literal(&'static str),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}.")?;
        }
        match self.segment {
            // Coral lowercases the first letter only: `SAMLOptions` -> `sAMLOptions`.
            Segment::Member(name) => {
                let mut chars = name.chars();
                if let Some(first) = chars.next() {
                    for c in first.to_lowercase() {
                        f.write_char(c)?;
                    }
                    f.write_str(chars.as_str())?;
                }
                Ok(())
            }
            Segment::Index(i) => write!(f, "{i}"),
            Segment::Literal(s) => f.write_str(s),
        }
    }
}

fn child<'p>(parent: Option<&'p Path<'p>>, segment: Segment) -> Path<'p> {
    Path { parent, segment }
}

/// Records one Coral-style message. `shown` is the value as the message quotes it, `None`
/// for null.
fn violation(
    errors: &mut Vec<String>,
    shape: &Shape,
    path: &Path<'_>,
    shown: Option<&dyn fmt::Display>,
    constraint: fmt::Arguments<'_>,
) {
    let mut msg = String::new();
    // Writing to a String cannot fail.
    let _ = match shown {
        None => write!(msg, "Value null at '{path}'"),
        Some(_) if shape.sensitive => write!(msg, "Value at '{path}'"),
        Some(v) => write!(msg, "Value '{v}' at '{path}'"),
    };
    let _ = write!(msg, " failed to satisfy constraint: {constraint}");
    errors.push(msg);
}

fn convert_struct(
    shape: &'static Shape,
    mut slots: Vec<Option<Raw<'_>>>,
    path: Option<&Path<'_>>,
    errors: &mut Vec<String>,
) -> Input {
    let members = shape.members();
    let mut fields = Vec::new();
    for (i, member) in members.iter().enumerate() {
        let here = child(path, Segment::Member(member.name));
        match slots.get_mut(i).and_then(Option::take) {
            Some(raw) => {
                if let Some(v) = convert(member.shape, raw, &here, errors) {
                    fields.push((member.name, v));
                }
            }
            None if member.required => violation(
                errors,
                member.shape,
                &here,
                None,
                format_args!("Member must not be null"),
            ),
            None => {}
        }
    }
    Input {
        shape: Some(shape),
        fields,
    }
}

/// Converts one present value; `None` when it is ill-typed (already reported).
fn convert(
    shape: &'static Shape,
    raw: Raw<'_>,
    path: &Path<'_>,
    errors: &mut Vec<String>,
) -> Option<Value> {
    match (&shape.kind, raw) {
        (ShapeKind::String, Raw::Scalar(s)) => {
            check_string(shape, s, path, errors);
            Some(Value::String(s.to_owned()))
        }
        (ShapeKind::Integer | ShapeKind::Long, Raw::Scalar(s)) => {
            let parsed = if matches!(shape.kind, ShapeKind::Integer) {
                s.parse::<i32>().ok().map(i64::from)
            } else {
                s.parse::<i64>().ok()
            };
            let Some(n) = parsed else {
                let what = if matches!(shape.kind, ShapeKind::Integer) {
                    "Member must be an integer"
                } else {
                    "Member must be a long integer"
                };
                violation(errors, shape, path, Some(&s), format_args!("{what}"));
                return None;
            };
            if let Some(min) = shape.min.filter(|&min| n < min) {
                violation(
                    errors,
                    shape,
                    path,
                    Some(&n),
                    format_args!("Member must have value greater than or equal to {min}"),
                );
            }
            if let Some(max) = shape.max.filter(|&max| n > max) {
                violation(
                    errors,
                    shape,
                    path,
                    Some(&n),
                    format_args!("Member must have value less than or equal to {max}"),
                );
            }
            Some(Value::Integer(n))
        }
        (ShapeKind::Boolean, Raw::Scalar(s)) => {
            // SDKs send `true`/`false`; Java's parseBoolean ignores case, so do we.
            if s.eq_ignore_ascii_case("true") {
                Some(Value::Boolean(true))
            } else if s.eq_ignore_ascii_case("false") {
                Some(Value::Boolean(false))
            } else {
                violation(
                    errors,
                    shape,
                    path,
                    Some(&s),
                    format_args!("Member must be a boolean (true or false)"),
                );
                None
            }
        }
        (ShapeKind::Timestamp, Raw::Scalar(s)) => {
            if is_iso8601(s) {
                Some(Value::Timestamp(s.to_owned()))
            } else {
                violation(
                    errors,
                    shape,
                    path,
                    Some(&s),
                    format_args!("Member must be an ISO 8601 timestamp"),
                );
                None
            }
        }
        (ShapeKind::Blob, Raw::Scalar(s)) => match base64_decode(s) {
            Some(bytes) => {
                check_length(shape, bytes.len(), path, Some(&s), errors);
                Some(Value::Blob(bytes))
            }
            None => {
                violation(
                    errors,
                    shape,
                    path,
                    Some(&s),
                    format_args!("Member must be base64-encoded"),
                );
                None
            }
        },
        (ShapeKind::List { member, .. }, raw) => {
            let elements = match raw {
                Raw::List(elements) => elements,
                _ => BTreeMap::new(),
            };
            let count = elements.len();
            let first_element_error = errors.len();
            let mut values = Vec::with_capacity(count);
            for (index, raw) in elements {
                let at_index = child(Some(path), Segment::Index(index));
                let here = child(Some(&at_index), Segment::Literal("member"));
                if let Some(v) = raw.and_then(|raw| convert(member, raw, &here, errors)) {
                    values.push(v);
                }
            }
            let list = Value::List(values);
            length_before_elements(shape, count, path, &list, first_element_error, errors);
            Some(list)
        }
        (ShapeKind::Map { key, value, .. }, raw) => {
            let entries = match raw {
                Raw::Map(entries) => entries,
                _ => BTreeMap::new(),
            };
            let count = entries.len();
            let first_element_error = errors.len();
            let mut out = Vec::with_capacity(count);
            for (index, (k, v)) in entries {
                let at_index = child(Some(path), Segment::Index(index));
                let key_path = child(Some(&at_index), Segment::Literal("key"));
                let value_path = child(Some(&at_index), Segment::Literal("value"));
                let k = match k {
                    Some(raw) => convert(key, raw, &key_path, errors),
                    None => {
                        violation(
                            errors,
                            key,
                            &key_path,
                            None,
                            format_args!("Member must not be null"),
                        );
                        None
                    }
                };
                let v = match v {
                    Some(raw) => convert(value, raw, &value_path, errors),
                    None => {
                        violation(
                            errors,
                            value,
                            &value_path,
                            None,
                            format_args!("Member must not be null"),
                        );
                        None
                    }
                };
                if let (Some(Value::String(k)), Some(v)) = (k, v) {
                    out.push((k, v));
                }
            }
            let map = Value::Map(out);
            length_before_elements(shape, count, path, &map, first_element_error, errors);
            Some(map)
        }
        (ShapeKind::Structure { .. }, raw) => {
            let slots = match raw {
                Raw::Struct(slots) => slots,
                _ => Vec::new(),
            };
            Some(Value::Structure(convert_struct(
                shape,
                slots,
                Some(path),
                errors,
            )))
        }
        // INVARIANT: pass 1 only puts a Scalar under a scalar shape and never a Scalar
        // under an aggregate, so these arms are unreachable; they drop the value.
        (
            ShapeKind::String
            | ShapeKind::Integer
            | ShapeKind::Long
            | ShapeKind::Boolean
            | ShapeKind::Timestamp
            | ShapeKind::Blob,
            _,
        ) => None,
    }
}

/// A list's or map's length is reported before its elements' own errors. The elements are
/// converted first (the message quotes the converted value), so the length message is
/// slotted in at `at`, where the elements' messages begin.
fn length_before_elements(
    shape: &Shape,
    len: usize,
    path: &Path<'_>,
    value: &Value,
    at: usize,
    errors: &mut Vec<String>,
) {
    let mut length_errors = Vec::new();
    check_length(
        shape,
        len,
        path,
        Some(&DisplayValue(value)),
        &mut length_errors,
    );
    if !length_errors.is_empty() {
        errors.splice(at..at, length_errors);
    }
}

fn check_length(
    shape: &Shape,
    len: usize,
    path: &Path<'_>,
    shown: Option<&dyn fmt::Display>,
    errors: &mut Vec<String>,
) {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    if let Some(min) = shape.min.filter(|&min| len < min) {
        violation(
            errors,
            shape,
            path,
            shown,
            format_args!("Member must have length greater than or equal to {min}"),
        );
    }
    if let Some(max) = shape.max.filter(|&max| len > max) {
        violation(
            errors,
            shape,
            path,
            shown,
            format_args!("Member must have length less than or equal to {max}"),
        );
    }
}

fn check_string(shape: &Shape, s: &str, path: &Path<'_>, errors: &mut Vec<String>) {
    if !shape.enum_values.is_empty() && !shape.enum_values.contains(&s) {
        violation(
            errors,
            shape,
            path,
            Some(&s),
            format_args!(
                "Member must satisfy enum value set: [{}]",
                shape.enum_values.join(", ")
            ),
        );
    }
    if let Some(pattern) = shape.pattern {
        if !pattern.is_match(s) {
            violation(
                errors,
                shape,
                path,
                Some(&s),
                format_args!(
                    "Member must satisfy regular expression pattern: {}",
                    pattern.source()
                ),
            );
        }
    }
    if shape.min.is_some() || shape.max.is_some() {
        // Lengths count Unicode code points, which is between a quarter of the byte length
        // and the byte length: count them only when the bytes leave the outcome open.
        let bytes = i64::try_from(s.len()).unwrap_or(i64::MAX);
        let open = shape
            .min
            .is_some_and(|min| bytes >= min && bytes < min.saturating_mul(4))
            || shape.max.is_some_and(|max| bytes > max);
        let len = if open { s.chars().count() } else { s.len() };
        check_length(shape, len, path, Some(&s), errors);
    }
}

/// Renders a list or map the way the validation messages quote it: `[a, b]`,
/// `[{Key: k, Value: v}]`, `{k=v}`.
struct DisplayValue<'a>(&'a Value);

impl fmt::Display for DisplayValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::String(s) | Value::Timestamp(s) => f.write_str(s),
            Value::Integer(n) => write!(f, "{n}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Blob(b) => write!(f, "<{} bytes>", b.len()),
            Value::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", DisplayValue(item))?;
                }
                f.write_char(']')
            }
            Value::Map(entries) => {
                f.write_char('{')?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={}", DisplayValue(v))?;
                }
                f.write_char('}')
            }
            Value::Structure(input) => {
                f.write_char('{')?;
                for (i, (name, v)) in input.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {}", DisplayValue(v))?;
                }
                f.write_char('}')
            }
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, the form every SDK's query serializer
/// writes (`2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.123Z`).
fn is_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

/// Standard base64 with padding (what SDKs send for blobs); `None` if malformed.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 4 != 0 {
        return None;
    }
    let sextet = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let chunks = b.len() / 4;
    for (n, chunk) in b.chunks_exact(4).enumerate() {
        let last = n + 1 == chunks;
        let pad = if last {
            chunk.iter().rev().take_while(|&&c| c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | sextet(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("Zg==").unwrap(), b"f");
        assert_eq!(base64_decode("Zm8=").unwrap(), b"fo");
        assert_eq!(base64_decode("Zm9v").unwrap(), b"foo");
        assert_eq!(base64_decode("Zm9vYmFy").unwrap(), b"foobar");
        assert!(base64_decode("Zm9").is_none());
        assert!(base64_decode("Z===").is_none());
        assert!(base64_decode("Zm=v").is_none());
        assert!(base64_decode("Zm9v!A==").is_none());
    }

    #[test]
    fn iso8601() {
        assert!(is_iso8601("2024-05-01T12:00:00Z"));
        assert!(is_iso8601("2024-05-01T12:00:00.123Z"));
        assert!(is_iso8601("2024-05-01T12:00:00+02:00"));
        assert!(!is_iso8601("2024-05-01"));
        assert!(!is_iso8601("2024-05-01T12:00:00"));
        assert!(!is_iso8601("2024-05-01T12:00:00.Z"));
        assert!(!is_iso8601("yesterday at noon, UTC!"));
    }

    #[test]
    fn index_parsing() {
        assert_eq!(parse_index(Some("1")), Some(1));
        assert_eq!(parse_index(Some("4294967295")), Some(u32::MAX));
        assert_eq!(parse_index(Some("4294967296")), None);
        assert_eq!(parse_index(Some("0")), None);
        assert_eq!(parse_index(Some("01")), None);
        assert_eq!(parse_index(Some("+1")), None);
        assert_eq!(parse_index(Some("")), None);
        assert_eq!(parse_index(None), None);
    }
}
