//! A policy compiled for evaluation: every decision-time cost that depends
//! only on the policy is paid once, here.
//!
//! Actions are lowercased and split into exact/prefix/general patterns,
//! resources likewise (keeping their case), condition keys are lowercased,
//! and condition values are parsed into the type their operator compares
//! (numbers, instants, CIDR blocks, decoded base64, per-field ARN patterns).
//! Values with policy variables are kept as parts and resolved against the
//! request context at evaluation time, which is the only allocation the
//! evaluator makes on a hot path.

use std::net::IpAddr;
use std::sync::Arc;

use crate::ast::{
    ActionElement, BaseOperator, ConditionBlock, ConditionValue, Effect, Policy, PrincipalType,
    PrincipalValue, SetQualifier, Statement,
};
use crate::eval::{Context, Principal, PrincipalKind};
use crate::pattern::{self, Part, Pattern, Token};
use crate::values::{self, Cidr, Instant};

/// A [`Policy`] prepared for [`crate::evaluate`]. Build it once per policy
/// document and reuse it for every decision.
///
/// ```
/// let policy = ironiam_policy::parse(r#"{"Version": "2012-10-17", "Statement":
///     {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}"#).unwrap();
/// let compiled = policy.compile();
/// assert_eq!(compiled.statement_count(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    pub(crate) statements: Box<[CompiledStatement]>,
    /// Service prefix (lowercase, sorted) → the positions of the statements
    /// that can match an action of that service, in document order. AWS
    /// forbids wildcards in an action's service prefix, so most statements
    /// name their services and a request only looks at those.
    by_service: Box<[ServiceCandidates]>,
    /// The statements that can match an action of any service (`*`,
    /// `NotAction`): the candidates for a service no statement names.
    any_service: Box<[u32]>,
}

/// A service prefix and the statements that can match its actions.
type ServiceCandidates = (Box<str>, Box<[u32]>);

impl CompiledPolicy {
    /// Compiles `policy`. Never fails: a value an operator cannot read (a
    /// date that is not a date) compiles to one that matches nothing.
    pub fn new(policy: &Policy) -> CompiledPolicy {
        let variables = policy.policy_variables_enabled();
        let statements: Box<[CompiledStatement]> = policy
            .statements()
            .iter()
            .enumerate()
            .map(|(index, statement)| compile_statement(index, statement, variables))
            .collect();
        // Which services each statement can match: `None` for any service.
        let services: Vec<Option<Box<[Box<str>]>>> = policy
            .statements()
            .iter()
            .map(|statement| {
                statement
                    .action()
                    .map_or(Some(Box::default()), action_services)
            })
            .collect();
        let any_service: Box<[u32]> = (0u32..)
            .zip(&services)
            .filter(|(_, services)| services.is_none())
            .map(|(index, _)| index)
            .collect();
        let mut names: Vec<&str> = services
            .iter()
            .flatten()
            .flat_map(|names| names.iter().map(|name| &**name))
            .collect();
        names.sort_unstable();
        names.dedup();
        let by_service = names
            .into_iter()
            .map(|name| {
                let candidates: Box<[u32]> = (0u32..)
                    .zip(&services)
                    .filter(|(_, services)| match services {
                        None => true,
                        Some(services) => services.iter().any(|candidate| **candidate == *name),
                    })
                    .map(|(index, _)| index)
                    .collect();
                (Box::from(name), candidates)
            })
            .collect();
        CompiledPolicy {
            statements,
            by_service,
            any_service,
        }
    }

    /// The statements that can match an action of `service` (the part of
    /// the action before `:`, any case), in document order.
    pub(crate) fn candidates(&self, service: &str) -> impl Iterator<Item = &CompiledStatement> {
        let indexes = match self
            .by_service
            .binary_search_by(|(name, _)| compare_lowercase(name, service))
        {
            Ok(found) => &self.by_service[found].1,
            Err(_) => &self.any_service,
        };
        indexes
            .iter()
            .filter_map(|&index| self.statements.get(index as usize))
    }

    /// The number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }
}

impl Policy {
    /// Compiles this policy for [`crate::evaluate`]; see [`CompiledPolicy`].
    pub fn compile(&self) -> CompiledPolicy {
        CompiledPolicy::new(self)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement {
    pub index: usize,
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
    pub principal: Option<CompiledPrincipal>,
    /// `None` when the statement has no `Action`/`NotAction` (it matches no action).
    pub actions: Option<Matcher>,
    /// `None` when the statement has no `Resource`/`NotResource`, as in a
    /// trust policy: it applies to the resource the policy is attached to.
    pub resources: Option<Matcher>,
    pub conditions: Box<[Block]>,
}

/// A list of patterns under `Action`/`Resource` or their `Not…` twins.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    negated: bool,
    patterns: Box<[ValuePattern]>,
}

#[derive(Debug, Clone)]
enum ValuePattern {
    Static(Pattern),
    /// A resource with policy variables (2012-10-17 only).
    Variables(Box<[Part]>),
}

/// The result of matching, keeping track of variables that could not be
/// resolved so that the caller can report their keys.
impl Matcher {
    /// Whether `text` is covered. For `Not…`, whether it is *not* listed.
    pub(crate) fn matches(&self, text: &str, case_insensitive: bool, context: &Context) -> bool {
        let listed = self.patterns.iter().any(|pattern| match pattern {
            ValuePattern::Static(pattern) => pattern.matches(text, case_insensitive),
            ValuePattern::Variables(parts) => match resolve_tokens(parts, context, false) {
                Some(tokens) => pattern::glob(&tokens, text.as_bytes(), false),
                // An unresolved variable matches nothing (IAM User Guide,
                // "Policy variables with no value").
                None => false,
            },
        });
        listed != self.negated
    }

    /// Keys of the policy variables in these patterns, as written.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.patterns
            .iter()
            .flat_map(|pattern| match pattern {
                ValuePattern::Static(_) => [].iter(),
                ValuePattern::Variables(parts) => parts.iter(),
            })
            .filter_map(|part| match part {
                Part::Variable {
                    key,
                    written,
                    default,
                } => Some((&**key, &**written, default.is_some())),
                Part::Text(_) | Part::Literal(_) => None,
            })
    }
}

fn compile_statement(index: usize, statement: &Statement, variables: bool) -> CompiledStatement {
    let actions = statement.action().map(|action| Matcher {
        negated: action.polarity.is_negated(),
        patterns: action
            .values
            .iter()
            .map(|value| ValuePattern::Static(Pattern::compile(value, true)))
            .collect(),
    });
    let resources = statement.resource().map(|resource| Matcher {
        negated: resource.polarity.is_negated(),
        patterns: resource
            .values
            .iter()
            .map(
                |value| match variables.then(|| pattern::parse_variables(value)).flatten() {
                    Some(parts) => ValuePattern::Variables(parts.into_boxed_slice()),
                    None => ValuePattern::Static(Pattern::compile(value, false)),
                },
            )
            .collect(),
    });
    let conditions = statement
        .condition()
        .map(|condition| {
            condition
                .blocks
                .iter()
                .filter_map(|block| compile_block(block, variables))
                .collect()
        })
        .unwrap_or_default();
    CompiledStatement {
        index,
        sid: statement.sid().map(Arc::from),
        effect: statement.effect(),
        principal: statement.principal().map(|principal| CompiledPrincipal {
            negated: principal.polarity.is_negated(),
            everyone: match &principal.value {
                PrincipalValue::Wildcard => true,
                PrincipalValue::Map(entries) => entries.iter().any(|(principal_type, values)| {
                    *principal_type == PrincipalType::Aws && values.iter().any(|value| value == "*")
                }),
            },
            names: match &principal.value {
                PrincipalValue::Wildcard => Box::default(),
                PrincipalValue::Map(entries) => entries
                    .iter()
                    .flat_map(|(principal_type, values)| {
                        values
                            .iter()
                            .filter(|value| *value != "*")
                            .map(|value| PrincipalName::new(*principal_type, value))
                    })
                    .collect(),
            },
        }),
        actions,
        resources,
        conditions,
    }
}

// ---------------------------------------------------------------------------
// Principals

/// Orders a lowercase `name` against `text` as if `text` were lowercase too.
fn compare_lowercase(name: &str, text: &str) -> std::cmp::Ordering {
    name.bytes()
        .cmp(text.bytes().map(|byte| byte.to_ascii_lowercase()))
}

/// The services a positive `Action` list is limited to, when every pattern
/// has a wildcard-free service prefix.
fn action_services(action: &ActionElement) -> Option<Box<[Box<str>]>> {
    if action.polarity.is_negated() {
        return None;
    }
    let mut services: Vec<Box<str>> = Vec::new();
    for value in action.values.iter() {
        let (service, _) = value.split_once(':')?;
        if service.contains(['*', '?']) {
            return None;
        }
        let service = service.to_ascii_lowercase();
        if !services.iter().any(|known| **known == *service) {
            services.push(service.into_boxed_str());
        }
    }
    Some(services.into_boxed_slice())
}

/// A `Principal`/`NotPrincipal` element, ready to compare with a request's
/// principal.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPrincipal {
    negated: bool,
    /// `"*"` or `{"AWS": "*"}`.
    everyone: bool,
    names: Box<[PrincipalName]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PrincipalName {
    /// `"AWS": "123456789012"` or `"AWS": "arn:aws:iam::123456789012:root"`.
    Account(Box<str>),
    /// Any other `AWS` ARN: a user, role, assumed-role session or federated user.
    Arn(Box<str>),
    Service(Box<str>),
    Federated(Box<str>),
    CanonicalUser(Box<str>),
}

impl PrincipalName {
    fn new(principal_type: PrincipalType, value: &str) -> PrincipalName {
        match principal_type {
            PrincipalType::Aws => match account_of_root(value) {
                Some(account) => PrincipalName::Account(account.into()),
                None => PrincipalName::Arn(value.into()),
            },
            PrincipalType::Service => PrincipalName::Service(value.into()),
            PrincipalType::Federated => PrincipalName::Federated(value.into()),
            PrincipalType::CanonicalUser => PrincipalName::CanonicalUser(value.into()),
        }
    }
}

/// `123456789012` or `arn:<partition>:iam::123456789012:root` → the account.
fn account_of_root(value: &str) -> Option<&str> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value);
    }
    let mut fields = value.splitn(6, ':');
    match (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) {
        (Some("arn"), Some(_), Some("iam"), Some(""), Some(account), Some("root")) => Some(account),
        _ => None,
    }
}

/// How a statement's `Principal` named the request's principal, strongest
/// first. Decides whether a same-account resource-based policy grants on its
/// own (IAM User Guide, "How AWS enforcement code logic evaluates requests to
/// allow or deny access", Resource-based policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PrincipalMatch {
    /// Only through the principal's account: a delegation to the account's
    /// identity-based policies.
    Account,
    /// Through the identity that issued the session: the role of an
    /// assumed-role session, or the IAM user behind a federated user.
    Issuer,
    /// The principal itself, `"*"`, a service or a federated provider, or a
    /// statement without `Principal`.
    Direct,
}

impl CompiledPrincipal {
    /// How the element covers `principal`, or `None` when it does not.
    pub(crate) fn covers(&self, principal: &Principal<'_>) -> Option<PrincipalMatch> {
        if self.negated {
            // NotPrincipal exempts a principal only when every identity it
            // carries is listed: an assumed-role session needs its session
            // ARN, its role ARN and its account all listed (IAM User Guide,
            // "AWS JSON policy elements: NotPrincipal").
            let exempt = self.everyone
                || (!principal.identities().is_empty()
                    && principal
                        .identities()
                        .iter()
                        .all(|identity| self.lists(identity).is_some()));
            return (!exempt).then_some(PrincipalMatch::Direct);
        }
        if self.everyone {
            return Some(PrincipalMatch::Direct);
        }
        principal
            .identities()
            .iter()
            .filter_map(|identity| self.lists(identity))
            .max()
    }

    fn lists(&self, identity: &Identity<'_>) -> Option<PrincipalMatch> {
        self.names.iter().find_map(|name| match (name, identity) {
            (PrincipalName::Account(account), Identity::Account(candidate))
                if **account == **candidate =>
            {
                Some(PrincipalMatch::Account)
            }
            (PrincipalName::Arn(arn), Identity::Arn(candidate, strength))
                if **arn == **candidate =>
            {
                Some(*strength)
            }
            (PrincipalName::Service(service), Identity::Service(candidate))
                if **service == **candidate =>
            {
                Some(PrincipalMatch::Direct)
            }
            (PrincipalName::Federated(provider), Identity::Federated(candidate))
                if **provider == **candidate =>
            {
                Some(PrincipalMatch::Direct)
            }
            (PrincipalName::CanonicalUser(user), Identity::CanonicalUser(candidate))
                if **user == **candidate =>
            {
                Some(PrincipalMatch::Direct)
            }
            _ => None,
        })
    }
}

/// One of the identities a request's principal can be named by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity<'a> {
    Account(&'a str),
    Arn(&'a str, PrincipalMatch),
    Service(&'a str),
    Federated(&'a str),
    CanonicalUser(&'a str),
}

impl<'a> Principal<'a> {
    /// The identities this principal can be named by in a `Principal`
    /// element, most specific first.
    pub(crate) fn identities(&self) -> &[Identity<'a>] {
        &self.identities[..self.identity_count]
    }

    pub(crate) fn build_identities(
        kind: PrincipalKind,
        arn: &'a str,
        account: Option<&'a str>,
        issuer: Option<&'a str>,
    ) -> ([Identity<'a>; 3], usize) {
        let filler = Identity::Account("");
        let mut identities = [filler; 3];
        let mut count = 0;
        let mut push = |identity| {
            identities[count] = identity;
            count += 1;
        };
        match kind {
            PrincipalKind::Root => {}
            PrincipalKind::User | PrincipalKind::AssumedRole | PrincipalKind::FederatedUser => {
                push(Identity::Arn(arn, PrincipalMatch::Direct));
                if let Some(issuer) = issuer {
                    push(Identity::Arn(issuer, PrincipalMatch::Issuer));
                }
            }
            PrincipalKind::Role => push(Identity::Arn(arn, PrincipalMatch::Issuer)),
            PrincipalKind::Service => push(Identity::Service(arn)),
            PrincipalKind::Federated => push(Identity::Federated(arn)),
            PrincipalKind::CanonicalUser => push(Identity::CanonicalUser(arn)),
            PrincipalKind::Anonymous => {}
        }
        if let Some(account) = account {
            if matches!(
                kind,
                PrincipalKind::Root
                    | PrincipalKind::User
                    | PrincipalKind::Role
                    | PrincipalKind::AssumedRole
                    | PrincipalKind::FederatedUser
            ) {
                push(Identity::Account(account));
            }
        }
        (identities, count)
    }
}

// ---------------------------------------------------------------------------
// Conditions

/// One operator block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// The positive operator compared per value (`StringEquals` for
    /// `StringNotEquals`).
    positive: BaseOperator,
    /// Whether the written operator is the negation of `positive`.
    negated: bool,
    qualifier: Option<SetQualifier>,
    if_exists: bool,
    pub(crate) entries: Box<[Entry]>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The condition key, lowercase (keys are case-insensitive).
    pub(crate) key: Box<str>,
    /// The key as written, for reports.
    pub(crate) written: Box<str>,
    operands: Box<[Operand]>,
}

impl Entry {
    /// Variable keys used in this entry's values: (lowercase, as written, has default).
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.operands
            .iter()
            .flat_map(|operand| match operand {
                Operand::Ready(_) => [].iter(),
                Operand::Deferred(parts) => parts.iter(),
            })
            .filter_map(|part| match part {
                Part::Variable {
                    key,
                    written,
                    default,
                } => Some((&**key, &**written, default.is_some())),
                Part::Text(_) | Part::Literal(_) => None,
            })
    }
}

#[derive(Debug, Clone)]
enum Operand {
    Ready(Value),
    /// A value with policy variables, parsed after substitution.
    Deferred(Box<[Part]>),
}

/// A policy-side condition value, parsed for its operator.
#[derive(Debug, Clone)]
enum Value {
    Text(Box<str>),
    Glob(Box<[Token]>),
    Number(f64),
    Date(Instant),
    Bool(bool),
    Binary(Box<[u8]>),
    Cidr(Cidr),
    /// The six `:`-separated fields of an ARN pattern, each matched alone.
    Arn(Box<[Box<[Token]>]>),
    /// `Null`: `true` means "the key must be absent".
    Null(bool),
    /// Text the operator cannot read; matches nothing.
    Invalid,
}

/// The operator that a negated operator negates, if it is one.
fn positive_of(operator: BaseOperator) -> (BaseOperator, bool) {
    use BaseOperator::*;
    match operator {
        StringNotEquals => (StringEquals, true),
        StringNotEqualsIgnoreCase => (StringEqualsIgnoreCase, true),
        StringNotLike => (StringLike, true),
        NumericNotEquals => (NumericEquals, true),
        DateNotEquals => (DateEquals, true),
        NotIpAddress => (IpAddress, true),
        ArnNotEquals => (ArnEquals, true),
        ArnNotLike => (ArnLike, true),
        other => (other, false),
    }
}

fn compile_block(block: &ConditionBlock, variables: bool) -> Option<Block> {
    // An unknown operator only parses with an empty block, which tests nothing.
    let base = block.operator.base?;
    let (positive, negated) = positive_of(base);
    Some(Block {
        positive,
        negated,
        qualifier: block.operator.qualifier,
        if_exists: block.operator.if_exists,
        entries: block
            .entries
            .iter()
            .map(|entry| Entry {
                key: entry.key.to_ascii_lowercase().into_boxed_str(),
                written: entry.key.as_str().into(),
                operands: entry
                    .values
                    .iter()
                    .map(|value| compile_operand(positive, value, variables))
                    .collect(),
            })
            .collect(),
    })
}

fn compile_operand(operator: BaseOperator, value: &ConditionValue, variables: bool) -> Operand {
    let text = value.as_text();
    if variables {
        if let ConditionValue::String(text) = value {
            if let Some(parts) = pattern::parse_variables(text) {
                return Operand::Deferred(parts.into_boxed_slice());
            }
        }
    }
    Operand::Ready(parse_value(operator, &text, None))
}

/// Parses `text` for `operator`. `tokens` is the glob form when it was
/// built from substituted variables (whose wildcards are literal).
fn parse_value(operator: BaseOperator, text: &str, tokens: Option<Vec<Token>>) -> Value {
    use BaseOperator::*;
    let tokens = || tokens.clone().unwrap_or_else(|| pattern::tokens_of(text));
    match operator {
        StringEquals | StringEqualsIgnoreCase => Value::Text(text.into()),
        StringLike => Value::Glob(tokens().into_boxed_slice()),
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            values::parse_number(text).map_or(Value::Invalid, Value::Number)
        }
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => values::parse_date(text).map_or(Value::Invalid, Value::Date),
        Bool => values::parse_bool(text).map_or(Value::Invalid, Value::Bool),
        BinaryEquals => values::decode_base64(text).map_or(Value::Invalid, |bytes| {
            Value::Binary(bytes.into_boxed_slice())
        }),
        IpAddress => Cidr::parse(text).map_or(Value::Invalid, Value::Cidr),
        ArnEquals | ArnLike => {
            let tokens = tokens();
            let fields: Vec<Box<[Token]>> = tokens
                .splitn(6, |token| *token == Token::Byte(b':'))
                .map(|field| field.to_vec().into_boxed_slice())
                .collect();
            if fields.len() == 6 {
                Value::Arn(fields.into_boxed_slice())
            } else {
                Value::Invalid
            }
        }
        Null => values::parse_bool(text).map_or(Value::Invalid, Value::Null),
        // Negated operators were mapped to their positive form by the caller.
        StringNotEquals
        | StringNotEqualsIgnoreCase
        | StringNotLike
        | NumericNotEquals
        | DateNotEquals
        | NotIpAddress
        | ArnNotEquals
        | ArnNotLike => Value::Invalid,
    }
}

/// A request-side value, parsed once for the operator family.
enum Subject<'a> {
    Text(&'a str),
    Number(f64),
    Date(Instant),
    Bool(bool),
    Binary(Vec<u8>),
    Ip(IpAddr),
    Arn([&'a str; 6]),
    Unreadable,
}

fn subject<'a>(operator: BaseOperator, text: &'a str) -> Subject<'a> {
    use BaseOperator::*;
    match operator {
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            values::parse_number(text).map_or(Subject::Unreadable, Subject::Number)
        }
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            values::parse_date(text).map_or(Subject::Unreadable, Subject::Date)
        }
        Bool => values::parse_bool(text).map_or(Subject::Unreadable, Subject::Bool),
        BinaryEquals => values::decode_base64(text).map_or(Subject::Unreadable, Subject::Binary),
        IpAddress => values::parse_ip(text).map_or(Subject::Unreadable, Subject::Ip),
        ArnEquals | ArnLike => {
            let mut fields = text.splitn(6, ':');
            let mut arn = [""; 6];
            for slot in &mut arn {
                match fields.next() {
                    Some(field) => *slot = field,
                    None => return Subject::Unreadable,
                }
            }
            Subject::Arn(arn)
        }
        _ => Subject::Text(text),
    }
}

fn equals_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Whether one request value satisfies one policy value under a positive operator.
fn positive_match(operator: BaseOperator, value: &Value, subject: &Subject<'_>) -> bool {
    use BaseOperator::*;
    match (value, subject) {
        (Value::Text(expected), Subject::Text(actual)) => match operator {
            StringEqualsIgnoreCase => equals_ignore_case(expected, actual),
            _ => **expected == **actual,
        },
        (Value::Glob(tokens), Subject::Text(actual)) => {
            pattern::glob(tokens, actual.as_bytes(), false)
        }
        (Value::Number(expected), Subject::Number(actual)) => {
            compare(operator, actual.partial_cmp(expected))
        }
        (Value::Date(expected), Subject::Date(actual)) => {
            compare(operator, Some(actual.cmp(expected)))
        }
        (Value::Bool(expected), Subject::Bool(actual)) => expected == actual,
        (Value::Binary(expected), Subject::Binary(actual)) => **expected == **actual,
        (Value::Cidr(block), Subject::Ip(address)) => block.contains(*address),
        (Value::Arn(fields), Subject::Arn(actual)) => fields
            .iter()
            .zip(actual)
            .all(|(pattern, field)| pattern::glob(pattern, field.as_bytes(), false)),
        _ => false,
    }
}

/// Applies a numeric or date operator to `actual.cmp(expected)`.
fn compare(operator: BaseOperator, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    use BaseOperator::*;
    let Some(ordering) = ordering else {
        return false;
    };
    match operator {
        NumericEquals | DateEquals => ordering == Equal,
        NumericLessThan | DateLessThan => ordering == Less,
        NumericLessThanEquals | DateLessThanEquals => ordering != Greater,
        NumericGreaterThan | DateGreaterThan => ordering == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ordering != Less,
        _ => false,
    }
}

impl Block {
    /// Whether every entry of the block holds (entries are AND'ed).
    pub(crate) fn holds(&self, context: &Context) -> bool {
        self.entries
            .iter()
            .all(|entry| self.entry_holds(entry, context))
    }

    /// IAM User Guide, "Condition operators" and "Single-valued vs.
    /// multivalued context keys": values of one key are OR'ed; a missing key
    /// makes the condition false, except for negated operators (true),
    /// `…IfExists` (true), `ForAllValues:` (true) and `Null`.
    fn entry_holds(&self, entry: &Entry, context: &Context) -> bool {
        let values = context.values_lowercase(&entry.key);
        if self.positive == BaseOperator::Null {
            let present = values.is_some_and(|values| !values.is_empty());
            return entry.operands.iter().any(|operand| match operand {
                Operand::Ready(Value::Null(must_be_absent)) => *must_be_absent != present,
                _ => false,
            });
        }
        let values = match values {
            Some(values) if !values.is_empty() => values,
            _ => {
                if self.if_exists {
                    return true;
                }
                return match self.qualifier {
                    Some(SetQualifier::ForAllValues) => true,
                    Some(SetQualifier::ForAnyValue) => false,
                    None => self.negated,
                };
            }
        };
        // Values with variables are resolved once per decision; the others
        // were parsed at compile time.
        let resolved: Option<Vec<Value>> = if entry
            .operands
            .iter()
            .all(|operand| matches!(operand, Operand::Ready(_)))
        {
            None
        } else {
            let mut resolved = Vec::with_capacity(entry.operands.len());
            for operand in entry.operands.iter() {
                match operand {
                    Operand::Ready(value) => resolved.push(value.clone()),
                    Operand::Deferred(parts) => match resolve_text(parts, context) {
                        Some(text) => {
                            let tokens = matches!(
                                self.positive,
                                BaseOperator::StringLike
                                    | BaseOperator::ArnLike
                                    | BaseOperator::ArnEquals
                            )
                            .then(|| resolve_tokens(parts, context, false))
                            .flatten();
                            resolved.push(parse_value(self.positive, &text, tokens));
                        }
                        // Unresolved: this value matches nothing, and a
                        // negated operator cannot be satisfied.
                        None if self.negated => return false,
                        None => {}
                    },
                }
            }
            Some(resolved)
        };
        let satisfied = |actual: &String| {
            let subject = subject(self.positive, actual);
            let hit = match &resolved {
                Some(resolved) => resolved
                    .iter()
                    .any(|value| positive_match(self.positive, value, &subject)),
                None => entry.operands.iter().any(|operand| match operand {
                    Operand::Ready(value) => positive_match(self.positive, value, &subject),
                    Operand::Deferred(_) => false,
                }),
            };
            hit != self.negated
        };
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => values.iter().all(satisfied),
            Some(SetQualifier::ForAnyValue) => values.iter().any(satisfied),
            // Without a set operator: any request value may match; a negated
            // operator holds only when no value matches.
            None if self.negated => values.iter().all(satisfied),
            None => values.iter().any(satisfied),
        }
    }
}

/// Substitutes variables into text, or `None` when one has no single value
/// and no default.
fn resolve_text(parts: &[Part], context: &Context) -> Option<String> {
    let mut text = String::new();
    for part in parts {
        match part {
            Part::Text(literal) => text.push_str(literal),
            Part::Literal(c) => text.push(*c),
            Part::Variable { key, default, .. } => {
                text.push_str(variable_value(key, default.as_deref(), context)?)
            }
        }
    }
    Some(text)
}

/// Substitutes variables into a glob: written text keeps its wildcards,
/// substituted values and `${*}`/`${?}`/`${$}` are literal.
fn resolve_tokens(parts: &[Part], context: &Context, lowercase: bool) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    for part in parts {
        match part {
            Part::Text(text) => tokens.extend(pattern::tokens_of(text)),
            Part::Literal(c) => {
                let mut buffer = [0u8; 4];
                pattern::push_literal(&mut tokens, c.encode_utf8(&mut buffer), lowercase);
            }
            Part::Variable { key, default, .. } => pattern::push_literal(
                &mut tokens,
                variable_value(key, default.as_deref(), context)?,
                lowercase,
            ),
        }
    }
    Some(tokens)
}

/// A variable's value: the key's single value, else the default. A key with
/// several values cannot be substituted.
fn variable_value<'c>(
    key: &str,
    default: Option<&'c str>,
    context: &'c Context,
) -> Option<&'c str> {
    match context.values_lowercase(key) {
        Some([single]) => Some(single.as_str()),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        assert_eq!(account_of_root("123456789012"), Some("123456789012"));
        assert_eq!(
            account_of_root("arn:aws:iam::123456789012:root"),
            Some("123456789012")
        );
        assert_eq!(account_of_root("arn:aws:iam::123456789012:user/root"), None);
    }
}
