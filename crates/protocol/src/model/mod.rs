//! The IAM and STS service models as static tables.
//!
//! Everything in `generated.rs` comes from botocore's `service-2.json` files through
//! `scripts/gen-model.py`; this module only defines the types those tables are made of and
//! the look-ups over them. Shapes are shared statics that point at each other, so a
//! structure that appears in twenty operations exists once.

use std::fmt;
use std::sync::OnceLock;

#[rustfmt::skip]
mod generated;

/// One of the two AWS Query services ironiam speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// AWS Identity and Access Management, API version 2010-05-08.
    Iam,
    /// AWS Security Token Service, API version 2011-06-15.
    Sts,
}

impl Service {
    /// The XML namespace of every response and error document of this service.
    pub const fn xmlns(self) -> &'static str {
        match self {
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    /// The `Version` parameter clients send for this service.
    pub const fn version(self) -> &'static str {
        match self {
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
        }
    }

    /// The service whose API version is `version`, if any.
    pub fn from_version(version: &str) -> Option<Service> {
        [Service::Iam, Service::Sts]
            .into_iter()
            .find(|s| s.version() == version)
    }

    /// Every operation of the service, sorted by name.
    pub fn operations(self) -> &'static [OperationDef] {
        match self {
            Service::Iam => &generated::IAM_OPERATIONS,
            Service::Sts => &generated::STS_OPERATIONS,
        }
    }

    /// Every error shape the model declares for the service, sorted by code.
    pub fn errors(self) -> &'static [&'static ErrorDef] {
        match self {
            Service::Iam => &generated::IAM_ERRORS,
            Service::Sts => &generated::STS_ERRORS,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        })
    }
}

/// An operation of the model: what the decoder needs to read its input and what the
/// encoder needs to wrap its output.
#[derive(Debug)]
pub struct OperationDef {
    /// The `Action` name, exactly as AWS spells it (`CreateRole`).
    pub name: &'static str,
    /// The service the operation belongs to.
    pub service: Service,
    /// The input structure; `None` for the few operations the model gives no input
    /// (`GetAccountSummary`), which accept no parameter besides `Action` and `Version`.
    pub input: Option<&'static Shape>,
    /// The output shape's name, `None` when the operation returns nothing but metadata.
    pub output_shape: Option<&'static str>,
    /// The output structure, `None` when the operation returns nothing but metadata.
    /// Handlers write XML themselves; this lets generic code (the audit log) read a
    /// result back by the model: member types, lists, and which values are `sensitive`.
    pub output: Option<&'static Shape>,
    /// The `<{Op}Result>` element wrapping the output; `None` when the operation has no
    /// output, in which case the response holds only `<ResponseMetadata>`.
    pub result_wrapper: Option<&'static str>,
    /// The output structure's members in model order, which is the order AWS writes them.
    pub output_members: &'static [&'static str],
    /// The error shapes the model lists for the operation.
    pub errors: &'static [&'static ErrorDef],
}

/// An error shape of the model.
#[derive(Debug, PartialEq, Eq)]
pub struct ErrorDef {
    /// The shape name (`NoSuchEntityException`).
    pub shape: &'static str,
    /// The `<Code>` AWS answers (`NoSuchEntity`): the model's `error.code`, else the shape name.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// `true` for `<Type>Sender</Type>`, `false` for `Receiver`.
    pub sender_fault: bool,
}

/// A shape of the model (input or output side).
#[derive(Debug)]
pub struct Shape {
    /// The model's shape name (`roleNameType`).
    pub name: &'static str,
    /// The type and, for aggregates, what it contains.
    pub kind: ShapeKind,
    /// The minimum: a length for strings and lists, a value for numbers.
    pub min: Option<i64>,
    /// The maximum: a length for strings and lists, a value for numbers.
    pub max: Option<i64>,
    /// The pattern a string must match as a whole.
    pub pattern: Option<&'static Pattern>,
    /// The allowed values of a string, empty when any value goes.
    pub enum_values: &'static [&'static str],
    /// Marked `sensitive` in the model (passwords, secret access keys, private keys, web
    /// identity tokens, SAML assertions): its value is never repeated in an error message
    /// nor written to the audit log.
    pub sensitive: bool,
}

/// The type of a [`Shape`].
#[derive(Debug)]
pub enum ShapeKind {
    /// A UTF-8 string.
    String,
    /// A 32-bit integer (decoded as `i64`).
    Integer,
    /// A 64-bit integer.
    Long,
    /// `true` or `false`.
    Boolean,
    /// An ISO 8601 date-time.
    Timestamp,
    /// Base64-encoded bytes.
    Blob,
    /// A list, on the wire `Name.{member_name}.N` with N counting from 1.
    List {
        /// The element shape.
        member: &'static Shape,
        /// The element's wire name, `member` unless the model says otherwise.
        member_name: &'static str,
    },
    /// A map, on the wire `Name.entry.N.{key_name}` and `Name.entry.N.{value_name}`.
    Map {
        /// The key shape.
        key: &'static Shape,
        /// The value shape.
        value: &'static Shape,
        /// The key's wire name, `key` unless the model says otherwise.
        key_name: &'static str,
        /// The value's wire name, `value` unless the model says otherwise.
        value_name: &'static str,
    },
    /// A structure, on the wire `Name.Member`.
    Structure {
        /// The members in model order.
        members: &'static [Member],
    },
}

/// A member of a structure shape.
#[derive(Debug)]
pub struct Member {
    /// The member name in the model (`RoleName`); what handlers ask [`crate::Input`] for.
    pub name: &'static str,
    /// The name on the wire; equal to `name` in every IAM and STS member today.
    pub wire_name: &'static str,
    /// The member's shape.
    pub shape: &'static Shape,
    /// Whether the model lists the member as required.
    pub required: bool,
}

impl Shape {
    /// The members of a structure shape; empty for any other shape.
    pub fn members(&self) -> &'static [Member] {
        match self.kind {
            ShapeKind::Structure { members } => members,
            _ => &[],
        }
    }

    /// The member called `name` (model name), if this is a structure that has one.
    pub fn member(&self, name: &str) -> Option<&'static Member> {
        self.members().iter().find(|m| m.name == name)
    }
}

/// A pattern from the model, compiled on first use and then shared by every request.
///
/// AWS checks patterns with `java.util.regex`; the generator translated each one to Rust
/// syntax with Java's meaning (ASCII `\w`, `\uXXXX` read as four hex digits...) and
/// anchored it, because an AWS pattern must match the whole value. Error messages quote
/// [`Pattern::source`], the model's original text, as AWS does.
pub struct Pattern {
    source: &'static str,
    translated: &'static str,
    compiled: OnceLock<Option<Matcher>>,
}

enum Matcher {
    Regex(regex::Regex),
    // The `regex` crate has no look-around; one IAM pattern (`accountAliasType`) uses
    // `(?!-)`, so patterns the fast engine refuses go to fancy-regex.
    Fancy(fancy_regex::Regex),
}

impl Pattern {
    /// A pattern with its model text and its anchored Rust translation.
    pub const fn new(source: &'static str, translated: &'static str) -> Self {
        Pattern {
            source,
            translated,
            compiled: OnceLock::new(),
        }
    }

    /// The pattern exactly as the model writes it.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The anchored Rust translation.
    pub fn translated(&self) -> &'static str {
        self.translated
    }

    fn matcher(&self) -> Option<&Matcher> {
        self.compiled
            .get_or_init(|| match regex::Regex::new(self.translated) {
                Ok(re) => Some(Matcher::Regex(re)),
                Err(_) => fancy_regex::Regex::new(self.translated)
                    .ok()
                    .map(Matcher::Fancy),
            })
            .as_ref()
    }

    /// Whether the pattern compiles (a test checks every pattern of the model does).
    pub fn compiles(&self) -> bool {
        self.matcher().is_some()
    }

    /// Whether `value` matches the whole pattern.
    ///
    /// Fails closed: a pattern that does not compile, or a look-around search that hits
    /// fancy-regex's backtrack limit, counts as no match.
    pub fn is_match(&self, value: &str) -> bool {
        match self.matcher() {
            Some(Matcher::Regex(re)) => re.is_match(value),
            Some(Matcher::Fancy(re)) => re.is_match(value).unwrap_or(false),
            None => false,
        }
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pattern")
            .field("source", &self.source)
            .field("translated", &self.translated)
            .finish()
    }
}

/// The operation called `action`.
///
/// With `service` given, only that service is searched. With `None` (a request whose
/// endpoint does not say), IAM is searched first, then STS; no action name exists in both.
/// Names are case-sensitive, as AWS's are: `createrole` is not an operation.
pub fn operation(service: Option<Service>, action: &str) -> Option<&'static OperationDef> {
    let find = |s: Service| {
        let ops = s.operations();
        ops.binary_search_by(|op| op.name.cmp(action))
            .ok()
            .map(|i| &ops[i])
    };
    match service {
        Some(s) => find(s),
        None => find(Service::Iam).or_else(|| find(Service::Sts)),
    }
}

/// The HTTP status and fault side (`true` = Sender) of error `code` as the model declares
/// it for `service`, e.g. `NoSuchEntity` → `(404, true)`.
///
/// Only codes of the model's error shapes are known here; see [`common_error_status`] for
/// the codes every AWS Query service shares.
pub fn error_status(service: Service, code: &str) -> Option<(u16, bool)> {
    let errors = service.errors();
    errors
        .binary_search_by(|e| e.code.cmp(code))
        .ok()
        .map(|i| (errors[i].status, errors[i].sender_fault))
}

/// The HTTP status and fault side of the errors every AWS Query service can answer, which
/// are not in any service model (AWS documents them on each API reference's "Common
/// Errors" page).
///
/// `MalformedQueryString` is listed there with HTTP 404; ironiam answers 400 like every
/// other syntax error (see [`crate::QueryError::MalformedQueryString`]). `UnknownParameter`
/// is EC2's code for a parameter the operation does not have, which ironiam reuses.
pub fn common_error_status(code: &str) -> Option<(u16, bool)> {
    Some(match code {
        "AccessDenied" | "AccessDeniedException" => (403, true),
        "ExpiredToken" => (400, true),
        "IncompleteSignature" => (400, true),
        "InternalFailure" => (500, false),
        "InvalidAction" => (400, true),
        "InvalidClientTokenId" => (403, true),
        "InvalidParameterCombination" => (400, true),
        "InvalidParameterValue" => (400, true),
        "InvalidQueryParameter" => (400, true),
        "MalformedQueryString" => (400, true),
        "MissingAction" => (400, true),
        "MissingAuthenticationToken" => (403, true),
        "MissingParameter" => (400, true),
        "NotAuthorized" => (400, true),
        "OptInRequired" => (403, true),
        "RequestExpired" => (400, true),
        "ServiceUnavailable" => (503, false),
        "SignatureDoesNotMatch" => (403, true),
        "Throttling" | "ThrottlingException" => (400, true),
        "UnknownParameter" => (400, true),
        "ValidationError" => (400, true),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_tables_are_sorted_and_complete() {
        for service in [Service::Iam, Service::Sts] {
            let ops = service.operations();
            assert!(ops.windows(2).all(|w| w[0].name < w[1].name));
            assert!(ops.iter().all(|op| op.service == service));
            let errors = service.errors();
            assert!(errors.windows(2).all(|w| w[0].code < w[1].code));
        }
        assert_eq!(Service::Iam.operations().len(), 176);
        assert_eq!(Service::Sts.operations().len(), 11);
    }

    #[test]
    fn operation_lookup() {
        let op = operation(Some(Service::Iam), "CreateRole").unwrap();
        assert_eq!(op.name, "CreateRole");
        assert_eq!(op.result_wrapper, Some("CreateRoleResult"));
        assert_eq!(op.output_members, ["Role"]);
        assert!(operation(Some(Service::Sts), "CreateRole").is_none());
        assert!(operation(None, "createrole").is_none());
        assert_eq!(
            operation(None, "AssumeRole").map(|o| o.service),
            Some(Service::Sts)
        );
        assert_eq!(
            operation(None, "DeleteRole").unwrap().result_wrapper,
            None,
            "operations without output have no Result element"
        );
        // No action name exists in both services, so the IAM-then-STS search is unambiguous.
        for op in Service::Sts.operations() {
            assert!(
                operation(Some(Service::Iam), op.name).is_none(),
                "{}",
                op.name
            );
        }
    }

    #[test]
    fn every_pattern_compiles() {
        let mut seen = 0;
        for service in [Service::Iam, Service::Sts] {
            for op in service.operations() {
                if let Some(shape) = op.input {
                    visit(shape, &mut |s| {
                        if let Some(p) = s.pattern {
                            assert!(p.compiles(), "{} -> {}", p.source(), p.translated());
                            seen += 1;
                        }
                    });
                }
            }
        }
        assert!(seen > 100);
    }

    fn visit(shape: &'static Shape, f: &mut dyn FnMut(&'static Shape)) {
        f(shape);
        match shape.kind {
            ShapeKind::Structure { members } => members.iter().for_each(|m| visit(m.shape, f)),
            ShapeKind::List { member, .. } => visit(member, f),
            ShapeKind::Map { key, value, .. } => {
                visit(key, f);
                visit(value, f);
            }
            _ => {}
        }
    }

    #[test]
    fn java_semantics_are_kept() {
        let role_name = operation(Some(Service::Iam), "CreateRole")
            .and_then(|o| o.input)
            .and_then(|s| s.member("RoleName"))
            .and_then(|m| m.shape.pattern)
            .unwrap();
        assert_eq!(role_name.source(), r"[\w+=,.@-]+");
        assert!(role_name.is_match("my-role_1+=,.@"));
        // Java's \w is ASCII-only.
        assert!(!role_name.is_match("rôle"));
        assert!(!role_name.is_match("my role"));
        assert!(!role_name.is_match(""));

        let alias = operation(Some(Service::Iam), "CreateAccountAlias")
            .and_then(|o| o.input)
            .and_then(|s| s.member("AccountAlias"))
            .and_then(|m| m.shape.pattern)
            .unwrap();
        assert!(alias.is_match("my-alias"));
        assert!(!alias.is_match("my--alias"), "look-ahead (?!-) honoured");
        assert!(!alias.is_match("-alias"));
    }

    #[test]
    fn error_status_from_model() {
        assert_eq!(
            error_status(Service::Iam, "NoSuchEntity"),
            Some((404, true))
        );
        assert_eq!(
            error_status(Service::Iam, "ServiceFailure"),
            Some((500, false))
        );
        assert_eq!(
            error_status(Service::Iam, "EntityAlreadyExists"),
            Some((409, true))
        );
        assert_eq!(
            error_status(Service::Sts, "ExpiredTokenException"),
            Some((400, true))
        );
        assert_eq!(error_status(Service::Sts, "NoSuchEntity"), None);
        assert_eq!(common_error_status("ValidationError"), Some((400, true)));
    }
}
