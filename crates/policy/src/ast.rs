//! The typed abstract syntax tree of an IAM JSON policy document.
//!
//! The tree is *faithful*: it remembers every choice of form the author made
//! (`Statement` as an object or a list, a value as a string or a one-element
//! list, the exact spelling of `Effect`, the order of statements, principal
//! types, condition operators and condition keys) so that two
//! documents can later be compared both literally and semantically. The
//! normalised, comparison-friendly views ([`Statement::principal_set`],
//! [`Statement::action_set`], [`Statement::resource_set`]) live in `normalize.rs`.

use std::fmt;

/// A parsed IAM policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) version: Option<Version>,
    pub(crate) id: Option<String>,
    pub(crate) statement_form: StatementForm,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// The `Version` element, or `None` when the document has none.
    ///
    /// AWS treats a missing version as `2008-10-17`; see [`Policy::effective_version`].
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// The language version the document is evaluated under: the `Version`
    /// element, or `2008-10-17` when it is absent (AWS's documented default).
    pub fn effective_version(&self) -> Version {
        self.version.unwrap_or(Version::V2008_10_17)
    }

    /// Whether `${...}` policy variables are substituted when this policy is
    /// evaluated. Only `2012-10-17` policies support them; in a `2008-10-17`
    /// (or version-less) policy a `${aws:username}` is a literal string.
    pub fn policy_variables_enabled(&self) -> bool {
        self.effective_version().supports_policy_variables()
    }

    /// The `Id` element, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether `Statement` was written as a single object or as a list.
    pub fn statement_form(&self) -> StatementForm {
        self.statement_form
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

/// The two policy language versions AWS accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// `2008-10-17`: the original language, without policy variables.
    V2008_10_17,
    /// `2012-10-17`: the current language.
    V2012_10_17,
}

impl Version {
    /// The version as it is written in a document.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }

    /// Parses the exact spelling AWS accepts; anything else is `None`.
    pub fn from_document(value: &str) -> Option<Version> {
        match value {
            "2008-10-17" => Some(Version::V2008_10_17),
            "2012-10-17" => Some(Version::V2012_10_17),
            _ => None,
        }
    }

    /// Whether `${...}` policy variables are substituted under this version.
    pub fn supports_policy_variables(self) -> bool {
        matches!(self, Version::V2012_10_17)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the document spelled `Statement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementForm {
    /// `"Statement": { ... }`
    Object,
    /// `"Statement": [ { ... }, ... ]`
    List,
}

/// A value that the grammar allows as either a single item or a list, keeping
/// which form the author used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany<T> {
    /// Written as a bare value: `"Action": "s3:GetObject"`.
    One(T),
    /// Written as a list, possibly of one or zero elements.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a slice, whatever the form.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(value) => std::slice::from_ref(value),
            OneOrMany::Many(values) => values,
        }
    }

    /// Iterates over the values in document order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are no values (only possible for an empty list).
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) effect_spelling: String,
    pub(crate) principal: Option<PrincipalElement>,
    pub(crate) action: Option<ActionElement>,
    pub(crate) resource: Option<ResourceElement>,
    pub(crate) condition: Option<Condition>,
}

impl Statement {
    /// The `Sid`, if any (an empty string is kept as written).
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The effect. The grammar matches `Allow`/`Deny` case-insensitively; see
    /// [`Statement::effect_spelling`] for what was written.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// `Effect` exactly as written (for example `"allow"`). AWS's parser accepts
    /// any case, but its legacy parser then rejects anything but `Allow`/`Deny`.
    pub fn effect_spelling(&self) -> &str {
        &self.effect_spelling
    }

    /// The `Principal` or `NotPrincipal` element.
    pub fn principal(&self) -> Option<&PrincipalElement> {
        self.principal.as_ref()
    }

    /// The `Action` or `NotAction` element.
    pub fn action(&self) -> Option<&ActionElement> {
        self.action.as_ref()
    }

    /// The `Resource` or `NotResource` element.
    pub fn resource(&self) -> Option<&ResourceElement> {
        self.resource.as_ref()
    }

    /// The `Condition` element.
    pub fn condition(&self) -> Option<&Condition> {
        self.condition.as_ref()
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    /// The statement grants.
    Allow,
    /// The statement denies; an explicit deny always wins.
    Deny,
}

impl Effect {
    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an element is the positive form (`Action`) or the negated one (`NotAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Polarity {
    /// `Principal`, `Action`, `Resource`: matches what is listed.
    Positive,
    /// `NotPrincipal`, `NotAction`, `NotResource`: matches everything else.
    Negated,
}

impl Polarity {
    /// Whether this is the `Not…` form.
    pub fn is_negated(self) -> bool {
        matches!(self, Polarity::Negated)
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    /// `Principal` or `NotPrincipal`.
    pub polarity: Polarity,
    /// What the element names.
    pub value: PrincipalValue,
}

impl PrincipalElement {
    /// The element name as written in a document.
    pub fn field_name(&self) -> &'static str {
        match self.polarity {
            Polarity::Positive => "Principal",
            Polarity::Negated => "NotPrincipal",
        }
    }
}

/// The value of a `Principal`/`NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalValue {
    /// `"Principal": "*"`: everyone, equivalent to `{"AWS": "*"}`.
    Wildcard,
    /// `"Principal": {"AWS": ..., "Service": ...}` in document order.
    Map(Vec<(PrincipalType, OneOrMany<String>)>),
}

/// The keys of a principal map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalType {
    /// `AWS`: accounts, IAM users and roles, assumed-role sessions, `*`.
    Aws,
    /// `Service`: AWS service principals such as `ec2.amazonaws.com`.
    Service,
    /// `Federated`: SAML/OIDC providers and web identity providers.
    Federated,
    /// `CanonicalUser`: an S3 canonical user id.
    CanonicalUser,
}

impl PrincipalType {
    /// The key as written in a document.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    /// Parses a principal-map key (case-sensitive, as AWS's grammar is).
    pub fn from_key(key: &str) -> Option<PrincipalType> {
        match key {
            "AWS" => Some(PrincipalType::Aws),
            "Service" => Some(PrincipalType::Service),
            "Federated" => Some(PrincipalType::Federated),
            "CanonicalUser" => Some(PrincipalType::CanonicalUser),
            _ => None,
        }
    }
}

impl fmt::Display for PrincipalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionElement {
    /// `Action` or `NotAction`.
    pub polarity: Polarity,
    /// The action patterns as written (`"s3:Get*"`, `"*"`).
    pub values: OneOrMany<String>,
}

impl ActionElement {
    /// The element name as written in a document.
    pub fn field_name(&self) -> &'static str {
        match self.polarity {
            Polarity::Positive => "Action",
            Polarity::Negated => "NotAction",
        }
    }
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceElement {
    /// `Resource` or `NotResource`.
    pub polarity: Polarity,
    /// The resource patterns as written (ARNs with wildcards, or `"*"`).
    pub values: OneOrMany<String>,
}

impl ResourceElement {
    /// The element name as written in a document.
    pub fn field_name(&self) -> &'static str {
        match self.polarity {
            Polarity::Positive => "Resource",
            Polarity::Negated => "NotResource",
        }
    }
}

/// The `Condition` element: operator blocks in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Condition {
    /// One block per operator key, e.g. `"StringEquals": {...}`.
    pub blocks: Vec<ConditionBlock>,
}

/// One operator of a `Condition` element and the keys it tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionBlock {
    /// The operator, parsed into its parts.
    pub operator: ConditionOperator,
    /// Condition key → value(s), in document order. All entries must hold for
    /// the block to hold.
    pub entries: Vec<ConditionEntry>,
}

/// One `"key": value-or-values` pair inside an operator block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionEntry {
    /// The condition key as written (AWS compares keys case-insensitively).
    pub key: String,
    /// The value(s) to compare with; any one matching satisfies the entry.
    pub values: OneOrMany<ConditionValue>,
}

/// A scalar condition value, keeping its JSON type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionValue {
    /// A JSON string.
    String(String),
    /// A JSON number, kept as its literal text so no precision is lost.
    Number(String),
    /// A JSON boolean.
    Bool(bool),
}

impl ConditionValue {
    /// The value as the string AWS compares it as (`true`, `10`, `abc`).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ConditionValue::String(text) | ConditionValue::Number(text) => {
                std::borrow::Cow::Borrowed(text)
            }
            ConditionValue::Bool(true) => std::borrow::Cow::Borrowed("true"),
            ConditionValue::Bool(false) => std::borrow::Cow::Borrowed("false"),
        }
    }
}

/// A condition operator such as `ForAnyValue:StringLikeIfExists`, split into
/// its set qualifier, base operator and `IfExists` suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOperator {
    /// The operator exactly as written.
    pub raw: String,
    /// `ForAllValues:` or `ForAnyValue:`, if present.
    pub qualifier: Option<SetQualifier>,
    /// The base operator; `None` for a name AWS does not know. AWS accepts an
    /// unknown operator only when its block is empty (`"Foo": {}`), which tests
    /// nothing; with keys it is a syntax error.
    pub base: Option<BaseOperator>,
    /// Whether the `IfExists` suffix was present.
    pub if_exists: bool,
}

impl ConditionOperator {
    /// Splits an operator name the way AWS does: strip one `ForAnyValue:` or
    /// `ForAllValues:` prefix, then one `IfExists` suffix, then look the rest up.
    pub fn parse(raw: &str) -> ConditionOperator {
        let mut rest = raw;
        let mut qualifier = None;
        for (prefix, candidate) in [
            ("ForAnyValue:", SetQualifier::ForAnyValue),
            ("ForAllValues:", SetQualifier::ForAllValues),
        ] {
            if let Some(stripped) = rest.strip_prefix(prefix) {
                rest = stripped;
                qualifier = Some(candidate);
                break;
            }
        }
        let mut if_exists = false;
        if let Some(stripped) = rest.strip_suffix("IfExists") {
            rest = stripped;
            if_exists = true;
        }
        ConditionOperator {
            raw: raw.to_owned(),
            qualifier,
            base: BaseOperator::from_name(rest),
            if_exists,
        }
    }
}

/// `ForAllValues:` / `ForAnyValue:` set qualifiers for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetQualifier {
    /// Every value in the request must match one of the policy values.
    ForAllValues,
    /// At least one value in the request must match one of the policy values.
    ForAnyValue,
}

macro_rules! base_operators {
    ($($variant:ident),* $(,)?) => {
        /// The base condition operators of the IAM policy language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum BaseOperator {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant,
            )*
        }

        impl BaseOperator {
            /// Every base operator, in the order of the IAM User Guide.
            pub const ALL: &'static [BaseOperator] = &[$(BaseOperator::$variant),*];

            /// The operator's name as written in a policy.
            pub fn name(self) -> &'static str {
                match self {
                    $(BaseOperator::$variant => stringify!($variant),)*
                }
            }

            /// Looks a name up, case-sensitively as AWS does.
            pub fn from_name(name: &str) -> Option<BaseOperator> {
                match name {
                    $(stringify!($variant) => Some(BaseOperator::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

base_operators!(
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
);

impl BaseOperator {
    /// Whether this is one of the `Date…` operators, whose values AWS's legacy
    /// parser checks as ISO 8601 dates or epoch seconds.
    pub fn is_date(self) -> bool {
        matches!(
            self,
            BaseOperator::DateEquals
                | BaseOperator::DateNotEquals
                | BaseOperator::DateLessThan
                | BaseOperator::DateLessThanEquals
                | BaseOperator::DateGreaterThan
                | BaseOperator::DateGreaterThanEquals
        )
    }
}

impl fmt::Display for BaseOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
