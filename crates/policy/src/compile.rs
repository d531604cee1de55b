//! A policy compiled for evaluation: every decision-time cost that depends
//! only on the policy is paid once, here.
//!
//! Actions are lowercased and indexed: each action a statement names
//! exactly maps, through a hash table, to the statements that match it
//! (worked out here, so a request naming it runs no pattern at all); other
//! actions are matched against the statements' wildcard patterns only, looked
//! up by service prefix. Resources are split into exact/prefix/wildcard
//! patterns (keeping their case), condition keys are lowercased and hashed,
//! the context keys whose absence a decision reports are listed per
//! statement, and condition values are parsed into the type their operator
//! compares (numbers, instants, CIDR blocks, decoded base64, per-field ARN
//! patterns). Policy variables in resources are compared in place; condition
//! values with variables are resolved against the request context at
//! evaluation time, the only allocation the evaluator makes on a hot path.

use std::net::IpAddr;
use std::sync::Arc;

use crate::ast::{
    ActionElement, BaseOperator, ConditionBlock, ConditionValue, Effect, Policy, PrincipalType,
    PrincipalValue, SetQualifier, Statement,
};
use crate::eval::{
    action_hash, eq_ignoring_case, service_hash, Context, ContextKey, Principal, PrincipalKind,
    RequestAction,
};
use crate::pattern::{self, Glob, Part, Token};
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
    actions: ActionIndex,
}

/// Which statements an action can match.
#[derive(Debug, Clone, Default)]
struct ActionIndex {
    /// Every action written without wildcards (lowercase) → the statements
    /// whose `Action`/`NotAction` matches it, in document order.
    exact: StatementTable<ExactEntry>,
    /// Service prefix (lowercase) of every action the policy names with a
    /// wildcard → the statements that can match an action of that service
    /// that is not in `exact`: those with a wildcard pattern for the
    /// service, and the `any_service` ones.
    by_service: StatementTable<Fallback>,
    /// The statements that can match an action of any service (`*`,
    /// `NotAction`): the candidates for a service no wildcard names.
    any_service: Fallback,
    /// Two bits (of [`service_bits`]) per service the policy names, exactly
    /// or with a wildcard: a Bloom filter. AWS forbids wildcards in an
    /// action's service prefix, so most statements name their services, and
    /// for a service the policy does not name (most policies, for most
    /// requests) one test rules out both tables, wrongly kept in about 7 %
    /// of cases for a policy naming ten services.
    named_services: u64,
}

/// The bits of [`ActionIndex::named_services`] for a service prefix's hash.
fn service_bits(service_hash: u64) -> u64 {
    (1 << (service_hash >> 58)) | (1 << ((service_hash >> 52) & 63))
}

/// The statements that match one action the policy names exactly.
#[derive(Debug, Clone, Default)]
struct ExactEntry {
    /// Their positions in the policy, in document order.
    statements: Box<[u32]>,
    /// The policy's answer for the action when it can be told without
    /// scanning the statements, which a verdict without explanation uses.
    answer: ExactAnswer,
}

/// How a policy answers an action it names exactly, for a verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ExactAnswer {
    /// Scan the statements.
    #[default]
    Scan,
    /// Allowed whatever the request: one statement is an `Allow` for any
    /// principal and resource without conditions, and none is a `Deny`.
    Allowed,
    /// Allowed exactly when the conditions of this statement (a position in
    /// the policy) hold: it is the only one, an `Allow` for any principal
    /// and resource.
    AllowedIf(u32),
}

/// The statements to try for an action no statement names exactly, with a
/// quick test of each.
#[derive(Debug, Clone, Default)]
struct Fallback {
    statements: Box<[u32]>,
    /// One per statement.
    filters: Box<[PrefixFilter]>,
}

/// A necessary condition for a statement's wildcard patterns of one service
/// to match an action: the first 8 bytes after `service:` of one of its
/// patterns' literal prefixes must be the action's. Checked on a word the
/// request computes once, so most candidates are ruled out without looking
/// at the statement.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PrefixFilter {
    /// No filter: the statement is always tried (any service, `NotAction`,
    /// or more patterns than `words` holds).
    always: bool,
    count: u8,
    /// (bytes, mask) of the literal text after `service:`, little-endian.
    words: [(u64, u64); 2],
}

impl PrefixFilter {
    const ALWAYS: PrefixFilter = PrefixFilter {
        always: true,
        count: 0,
        words: [(0, 0); 2],
    };

    /// Whether an action whose first 8 lowercase bytes after `service:` are
    /// `word` (zero-padded) may match.
    #[inline]
    pub(crate) fn may_match(&self, word: u64) -> bool {
        self.always
            || self
                .words
                .iter()
                .take(usize::from(self.count))
                .any(|&(bytes, mask)| word & mask == bytes)
    }

    /// The filter of `statement`'s wildcard patterns for `service`.
    fn new(statement: &CompiledStatement, service: &[u8]) -> PrefixFilter {
        let Some(actions) = &statement.wild_actions else {
            return PrefixFilter::ALWAYS;
        };
        if actions.negated {
            return PrefixFilter::ALWAYS;
        }
        let mut filter = PrefixFilter::default();
        for prefix in actions.prefixes.iter() {
            let Some(rest) = prefix
                .strip_prefix(service)
                .and_then(|rest| rest.strip_prefix(b":"))
            else {
                // Another service's pattern cannot match this service's
                // actions, unless its prefix stops before the service ends.
                if service.starts_with(prefix) || prefix.len() <= service.len() {
                    return PrefixFilter::ALWAYS;
                }
                continue;
            };
            let Some(slot) = filter.words.get_mut(usize::from(filter.count)) else {
                return PrefixFilter::ALWAYS;
            };
            let literal = rest.get(..8).unwrap_or(rest);
            *slot = (
                crate::eval::load_word(literal),
                crate::eval::load_word(&[0xff; 8][..literal.len()]),
            );
            filter.count += 1;
        }
        if filter.count == 0 {
            return PrefixFilter::ALWAYS;
        }
        filter
    }
}

/// A hash table from lowercase text to statement positions: open
/// addressing, a power-of-two number of slots, at most half full.
#[derive(Debug, Clone, Default)]
struct StatementTable<V> {
    /// The hash and position in `entries` of each entry, or [`EMPTY_SLOT`]
    /// as position.
    slots: Box<[(u64, u32)]>,
    entries: Box<[TableEntry<V>]>,
}

/// One key of a [`StatementTable`] and its value.
#[derive(Debug, Clone, Default)]
struct TableEntry<V> {
    /// The key, lowercase.
    key: Box<[u8]>,
    /// The key as the policy first wrote it (`ecs:RegisterContainerInstance`),
    /// which requests usually spell the same way: compared first, as plain
    /// bytes, before the comparison that ignores case.
    written: Box<[u8]>,
    value: V,
}

const EMPTY_SLOT: u32 = u32::MAX;

/// The first slot to probe for `hash`: its high bits, the best mixed.
fn slot_of(hash: u64, mask: usize) -> usize {
    (hash >> 40) as usize & mask
}

impl<V> StatementTable<V> {
    /// `entries` must have distinct keys; `hash` is the hash lookups use.
    fn new(entries: Vec<TableEntry<V>>, hash: fn(&[u8]) -> u64) -> StatementTable<V> {
        let mut slots = vec![(0, EMPTY_SLOT); (entries.len() * 2).next_power_of_two().max(2)];
        let mask = slots.len() - 1;
        for (position, entry) in (0u32..).zip(&entries) {
            let hash = hash(&entry.key);
            let mut slot = slot_of(hash, mask);
            while slots[slot].1 != EMPTY_SLOT {
                slot = (slot + 1) & mask;
            }
            slots[slot] = (hash, position);
        }
        StatementTable {
            slots: slots.into_boxed_slice(),
            entries: entries.into_boxed_slice(),
        }
    }

    /// The value of `key`, in any ASCII case, whose hash (by the function
    /// the table was built with) is `hash`.
    #[inline(always)]
    fn get(&self, key: &[u8], hash: u64) -> Option<&V> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = slot_of(hash, mask);
        while let Some(&(candidate, position)) = self.slots.get(slot) {
            if position == EMPTY_SLOT {
                return None;
            }
            if candidate == hash {
                if let Some(entry) = self.entries.get(position as usize) {
                    if bytes_eq(&entry.written, key) || eq_ignoring_case(&entry.key, key) {
                        return Some(&entry.value);
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
        None
    }
}

/// Byte equality without a call to `memcmp`, for the short strings of
/// policies (actions, keys, ARN fragments).
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let len = a.len();
    if len < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let mut a_words = a.chunks_exact(8);
    let mut b_words = b.chunks_exact(8);
    for (x, y) in (&mut a_words).zip(&mut b_words) {
        if crate::eval::load_word(x) != crate::eval::load_word(y) {
            return false;
        }
    }
    // The last 8 bytes, overlapping the words already compared: one load
    // each instead of a loop over the remainder.
    len % 8 == 0
        || match (a.get(len - 8..), b.get(len - 8..)) {
            (Some(x), Some(y)) => crate::eval::load_word(x) == crate::eval::load_word(y),
            _ => false,
        }
}

/// The statements to look at for one action.
pub(crate) struct Candidates<'p> {
    /// Positions in the policy's statements, in document order.
    pub(crate) statements: &'p [u32],
    /// `None` when every one of them is already known to match the action;
    /// otherwise a quick test per statement, after which the statement's
    /// wildcard patterns decide.
    pub(crate) filters: Option<&'p [PrefixFilter]>,
    /// See [`ExactEntry::answer`]; always `Scan` for a wildcard fallback.
    pub(crate) answer: ExactAnswer,
}

impl ActionIndex {
    fn new(statements: &[CompiledStatement], policy: &Policy) -> ActionIndex {
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
        let can_match = |index: usize, service: &[u8]| match &services[index] {
            None => true,
            Some(names) => names.iter().any(|name| name.as_bytes() == service),
        };

        // The first spelling of each action written without wildcards.
        let mut spellings: Vec<(String, &str)> = policy
            .statements()
            .iter()
            .filter_map(|statement| statement.action())
            .flat_map(|action| action.values.iter())
            .filter(|value| !value.contains(['*', '?']))
            .map(|value| (value.to_ascii_lowercase(), value.as_str()))
            .collect();
        // Stable: the first spelling of a key stays first.
        spellings.sort_by(|a, b| a.0.cmp(&b.0));
        spellings.dedup_by(|later, first| later.0 == first.0);
        let written = |key: &[u8]| -> Box<[u8]> {
            match spellings.binary_search_by(|(lower, _)| lower.as_bytes().cmp(key)) {
                Ok(found) => Box::from(spellings[found].1.as_bytes()),
                Err(_) => key.into(),
            }
        };
        let mut keys: Vec<Box<[u8]>> = statements
            .iter()
            .filter_map(|statement| statement.actions.as_ref())
            .flat_map(|matcher| matcher.patterns.iter())
            .filter_map(|pattern| match pattern {
                ValuePattern::Exact(action) => Some(action.clone()),
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        // Which statements can match a key: those that name it exactly (found
        // by look-up), and those that must be asked (a wildcard pattern, or
        // NotAction). Asking every statement about every key was quadratic:
        // 8,000 one-action statements, which fit in one SimulateCustomPolicy
        // request, took seconds to compile (issue 13 item 3).
        let mut naming: std::collections::HashMap<&[u8], Vec<u32>> =
            std::collections::HashMap::new();
        let mut asked: Vec<u32> = Vec::new();
        for (index, statement) in (0u32..).zip(statements) {
            let Some(matcher) = statement.actions.as_ref() else {
                continue;
            };
            if matcher.negated
                || matcher
                    .patterns
                    .iter()
                    .any(|p| !matches!(p, ValuePattern::Exact(_)))
            {
                asked.push(index);
                continue;
            }
            for pattern in matcher.patterns.iter() {
                if let ValuePattern::Exact(action) = pattern {
                    naming.entry(action).or_default().push(index);
                }
            }
        }
        let empty = Context::new();
        let exact: Vec<TableEntry<ExactEntry>> = keys
            .iter()
            .map(|action| {
                let service = service_of(action);
                let mut matching: Vec<u32> = naming.get(&action[..]).cloned().unwrap_or_default();
                matching.extend(asked.iter().copied().filter(|&index| {
                    can_match(index as usize, service)
                        && statements[index as usize]
                            .actions
                            .as_ref()
                            .is_some_and(|matcher| matcher.matches(action, &empty))
                }));
                // Document order, each statement once (a statement may name
                // an action twice).
                matching.sort_unstable();
                matching.dedup();
                let matching: Box<[u32]> = matching.into();
                let action = action.clone();
                let of = |index: &u32| statements.get(*index as usize);
                let no_deny = !matching
                    .iter()
                    .filter_map(of)
                    .any(|statement| statement.effect == Effect::Deny);
                let answer = match *matching {
                    _ if no_deny
                        && matching.iter().filter_map(of).any(|statement| {
                            statement.effect == Effect::Allow
                                && statement.applies_to_every_request()
                        }) =>
                    {
                        ExactAnswer::Allowed
                    }
                    [only]
                        if no_deny
                            && of(&only).is_some_and(|statement| {
                                statement.effect == Effect::Allow
                                    && statement.applies_to_every_request_when_conditions_hold()
                            }) =>
                    {
                        ExactAnswer::AllowedIf(only)
                    }
                    _ => ExactAnswer::Scan,
                };
                TableEntry {
                    written: written(&action),
                    key: action,
                    value: ExactEntry {
                        statements: matching,
                        answer,
                    },
                }
            })
            .collect();

        let mut named_services = exact.iter().fold(0, |bits, entry| {
            bits | service_bits(service_hash(service_of(&entry.key)))
        });
        let any_statements: Box<[u32]> = (0u32..)
            .zip(&services)
            .filter(|(_, services)| services.is_none())
            .map(|(index, _)| index)
            .collect();
        let any_service = Fallback {
            filters: any_statements
                .iter()
                .map(|_| PrefixFilter::ALWAYS)
                .collect(),
            statements: any_statements,
        };
        // The services some statement names with a wildcard.
        let wildcard_services = |statement: &CompiledStatement| -> Vec<Box<[u8]>> {
            statement
                .wild_actions
                .iter()
                .flat_map(|matcher| matcher.patterns.iter())
                .filter_map(|pattern| pattern.literal_prefix())
                .filter_map(|prefix| {
                    let colon = prefix.iter().position(|&byte| byte == b':')?;
                    Some(Box::from(&prefix[..colon]))
                })
                .collect()
        };
        let per_statement: Vec<Vec<Box<[u8]>>> = statements.iter().map(wildcard_services).collect();
        let mut names: Vec<&[u8]> = per_statement.iter().flatten().map(|name| &**name).collect();
        names.sort_unstable();
        names.dedup();
        let by_service: Vec<TableEntry<Fallback>> = names
            .into_iter()
            .map(|name| {
                named_services |= service_bits(service_hash(name));
                let candidates: Box<[u32]> = (0u32..)
                    .zip(&services)
                    .filter(|(index, services)| {
                        services.is_none()
                            || per_statement[*index as usize]
                                .iter()
                                .any(|candidate| **candidate == *name)
                    })
                    .map(|(index, _)| index)
                    .collect();
                let filters = candidates
                    .iter()
                    .map(|&index| match &services[index as usize] {
                        None => PrefixFilter::ALWAYS,
                        Some(_) => statements
                            .get(index as usize)
                            .map_or(PrefixFilter::ALWAYS, |statement| {
                                PrefixFilter::new(statement, name)
                            }),
                    })
                    .collect();
                let fallback = Fallback {
                    statements: candidates,
                    filters,
                };
                TableEntry {
                    key: Box::from(name),
                    written: Box::from(name),
                    value: fallback,
                }
            })
            .collect();
        ActionIndex {
            exact: StatementTable::new(exact, action_hash),
            by_service: StatementTable::new(by_service, service_hash),
            any_service,
            named_services,
        }
    }

    /// The statements to look at for `action`. An action the policy names
    /// exactly is in `exact` with every statement that matches it; another
    /// action of a service the policy names with a wildcard has that
    /// service's statements; any other action only the `any_service` ones.
    // Inlined, as is its caller: a returned `Candidates` went through
    // memory and stalled store forwarding when read back.
    #[inline(always)]
    fn candidates(&self, action: &RequestAction<'_>) -> Candidates<'_> {
        let mut fallback = &self.any_service;
        let bits = service_bits(action.service_hash);
        if self.named_services & bits == bits {
            if let Some(entry) = self.exact.get(action.text(), action.hash) {
                return Candidates {
                    statements: &entry.statements,
                    filters: None,
                    answer: entry.answer,
                };
            }
            if let Some(service) = self.by_service.get(action.service(), action.service_hash) {
                fallback = service;
            }
        }
        Candidates {
            statements: &fallback.statements,
            filters: Some(&fallback.filters),
            answer: ExactAnswer::Scan,
        }
    }
}

/// The service prefix of a lowercase action: the text before `:`, or all of it.
pub(crate) fn service_of(action: &[u8]) -> &[u8] {
    match action.iter().position(|&byte| byte == b':') {
        Some(colon) => &action[..colon],
        None => action,
    }
}

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
        let actions = ActionIndex::new(&statements, policy);
        CompiledPolicy {
            statements,
            actions,
        }
    }

    /// The statements to look at for `action`.
    #[inline(always)]
    pub(crate) fn candidates(&self, action: &RequestAction<'_>) -> Candidates<'_> {
        self.actions.candidates(action)
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
    /// `None` when the statement has no `Action`/`NotAction` (it matches no
    /// action). Patterns lowercase. Used to build the action index.
    actions: Option<Matcher>,
    /// The wildcard patterns of `actions` (exact ones left out): what decides
    /// for an action that no statement of the policy names exactly.
    pub wild_actions: Option<Matcher>,
    /// `None` when the statement has no `Resource`/`NotResource`, as in a
    /// trust policy: it applies to the resource the policy is attached to.
    pub resources: Option<Matcher>,
    pub conditions: Box<[Block]>,
    /// The context keys the statement reads without a default (condition
    /// keys, then variables in condition values, then variables in
    /// resources), once each: reported when absent and the action matched.
    pub missing_keys: Box<[ContextKey]>,
}

impl CompiledStatement {
    /// Whether the statement applies to every request its action matches:
    /// any principal, any resource, any context.
    fn applies_to_every_request(&self) -> bool {
        self.conditions.is_empty() && self.applies_to_every_request_when_conditions_hold()
    }

    /// Whether the statement applies to any principal and resource, so that
    /// only its conditions decide.
    fn applies_to_every_request_when_conditions_hold(&self) -> bool {
        self.principal.is_none()
            && self
                .resources
                .as_ref()
                .is_none_or(|resources| resources.everything)
    }
}

/// A list of patterns under `Action`/`Resource` or their `Not…` twins.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    negated: bool,
    patterns: Box<[ValuePattern]>,
    /// The literal text each pattern starts with (empty when it starts with
    /// a wildcard or a variable): a text that does not start with it cannot
    /// match, which rules most patterns out with one comparison.
    prefixes: Box<[Box<[u8]>]>,
    /// Whether the list holds `*` and is not negated: everything matches.
    everything: bool,
}

#[derive(Debug, Clone)]
enum ValuePattern {
    /// `*`.
    Everything,
    /// No wildcard.
    Exact(Box<[u8]>),
    /// A literal prefix followed by one trailing `*`.
    Prefix(Box<[u8]>),
    /// Anything else, including resources with policy variables (2012-10-17 only).
    Glob(Glob),
}

impl ValuePattern {
    /// Compiles a pattern without variables.
    fn new(text: &str) -> ValuePattern {
        if text == "*" {
            return ValuePattern::Everything;
        }
        let wildcards = text.bytes().filter(|b| matches!(b, b'*' | b'?')).count();
        match text.strip_suffix('*') {
            _ if wildcards == 0 => ValuePattern::Exact(text.as_bytes().into()),
            Some(prefix) if wildcards == 1 => ValuePattern::Prefix(prefix.as_bytes().into()),
            _ => ValuePattern::Glob(Glob::from_tokens(&pattern::tokens_of(text))),
        }
    }

    /// For a pattern that begins with literal text, that text (at least up
    /// to its first wildcard); `None` when it begins with a wildcard or a variable.
    fn literal_prefix(&self) -> Option<&[u8]> {
        match self {
            ValuePattern::Everything => None,
            ValuePattern::Exact(text) | ValuePattern::Prefix(text) => Some(text),
            ValuePattern::Glob(glob) => glob.literal_prefix(),
        }
    }

    fn matches(&self, text: &[u8], context: &Context) -> bool {
        match self {
            ValuePattern::Everything => true,
            ValuePattern::Exact(exact) => bytes_eq(exact, text),
            ValuePattern::Prefix(prefix) => text
                .get(..prefix.len())
                .is_some_and(|start| bytes_eq(start, prefix)),
            ValuePattern::Glob(glob) => {
                let variables = glob.variables();
                if variables.is_empty() {
                    return glob.matches(text, &[]);
                }
                let mut values: smallvec::SmallVec<[&str; 4]> =
                    smallvec::SmallVec::with_capacity(variables.len());
                for variable in variables {
                    let found = context.lookup_hashed(&variable.key, variable.hash);
                    match single_or_default(found, variable.default.as_deref()) {
                        Some(value) => values.push(value),
                        // An unresolved variable matches nothing (IAM User
                        // Guide, "Policy variables with no value").
                        None => return false,
                    }
                }
                glob.matches(text, &values)
            }
        }
    }
}

impl Matcher {
    fn new(negated: bool, patterns: Box<[ValuePattern]>) -> Matcher {
        let prefixes = patterns
            .iter()
            .map(|pattern| Box::from(pattern.literal_prefix().unwrap_or_default()))
            .collect();
        Matcher {
            everything: !negated
                && patterns
                    .iter()
                    .any(|pattern| matches!(pattern, ValuePattern::Everything)),
            negated,
            patterns,
            prefixes,
        }
    }

    /// Whether `text` is covered. For `Not…`, whether it is *not* listed.
    /// Action matchers are lowercase and take a lowercase action; resources
    /// compare exactly.
    #[inline]
    pub(crate) fn matches(&self, text: &[u8], context: &Context) -> bool {
        self.everything || self.lists(text, context)
    }

    /// [`Matcher::matches`] past the `*` shortcut.
    fn lists(&self, text: &[u8], context: &Context) -> bool {
        let listed = self
            .prefixes
            .iter()
            .zip(self.patterns.iter())
            .any(|(prefix, pattern)| {
                text.get(..prefix.len())
                    .is_some_and(|start| bytes_eq(start, prefix))
                    && pattern.matches(text, context)
            });
        listed != self.negated
    }
}

fn compile_statement(index: usize, statement: &Statement, variables: bool) -> CompiledStatement {
    let actions = statement.action().map(|action| {
        Matcher::new(
            action.polarity.is_negated(),
            action
                .values
                .iter()
                .map(|value| ValuePattern::new(&value.to_ascii_lowercase()))
                .collect(),
        )
    });
    let wild_actions = actions.as_ref().map(|actions| {
        Matcher::new(
            actions.negated,
            actions
                .patterns
                .iter()
                .filter(|pattern| !matches!(pattern, ValuePattern::Exact(_)))
                .cloned()
                .collect(),
        )
    });
    let mut resource_variables: Vec<(Box<str>, Box<str>, bool)> = Vec::new();
    let resources = statement.resource().map(|resource| {
        let patterns = resource
            .values
            .iter()
            .map(
                |value| match variables.then(|| pattern::parse_variables(value)).flatten() {
                    Some(parts) => {
                        resource_variables.extend(parts.iter().filter_map(|part| match part {
                            Part::Variable {
                                key,
                                written,
                                default,
                            } => Some((key.clone(), written.clone(), default.is_some())),
                            Part::Text(_) | Part::Literal(_) => None,
                        }));
                        ValuePattern::Glob(Glob::from_parts(&parts))
                    }
                    None => ValuePattern::new(value),
                },
            )
            .collect();
        Matcher::new(resource.polarity.is_negated(), patterns)
    });
    let conditions: Box<[Block]> = statement
        .condition()
        .map(|condition| {
            condition
                .blocks
                .iter()
                .filter_map(|block| compile_block(block, variables))
                .collect()
        })
        .unwrap_or_default();
    // In the order the evaluator used to report them: each condition key
    // and the variables of its values, then the resources' variables.
    let mut missing_keys: Vec<ContextKey> = Vec::new();
    let condition_keys = conditions.iter().flat_map(|block| {
        block.entries.iter().flat_map(|entry| {
            std::iter::once((&*entry.key.lower, &*entry.key.written, false))
                .chain(entry.variable_keys())
        })
    });
    let resource_keys = resource_variables
        .iter()
        .map(|(key, written, has_default)| (&**key, &**written, *has_default));
    for (key, written, has_default) in condition_keys.chain(resource_keys) {
        if !has_default && !missing_keys.iter().any(|known| *known.lower == *key) {
            missing_keys.push(ContextKey::new(key, written));
        }
    }
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
        wild_actions,
        resources,
        conditions,
        missing_keys: missing_keys.into_boxed_slice(),
    }
}

// ---------------------------------------------------------------------------
// Principals

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
    /// A plain `StringEquals` (no `IfExists`, no set operator) without policy
    /// variables, the most common condition: decided by comparing text,
    /// without the general path's dispatch on operator and value types.
    plain_string_equals: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The condition key (keys are case-insensitive).
    pub(crate) key: ContextKey,
    operands: Box<[Operand]>,
    /// Whether every operand was parsed at compile time (no variables).
    ready: bool,
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
    Glob(Glob),
    Number(f64),
    Date(Instant),
    Bool(bool),
    Binary(Box<[u8]>),
    Cidr(Cidr),
    /// The six `:`-separated fields of an ARN pattern, each matched alone.
    Arn(Box<[Glob]>),
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
    let entries: Box<[Entry]> = block
        .entries
        .iter()
        .map(|entry| {
            let operands: Box<[Operand]> = entry
                .values
                .iter()
                .map(|value| compile_operand(positive, value, variables))
                .collect();
            Entry {
                key: ContextKey::new(&entry.key.to_ascii_lowercase(), &entry.key),
                ready: operands
                    .iter()
                    .all(|operand| matches!(operand, Operand::Ready(_))),
                operands,
            }
        })
        .collect();
    Some(Block {
        positive,
        negated,
        qualifier: block.operator.qualifier,
        if_exists: block.operator.if_exists,
        plain_string_equals: base == BaseOperator::StringEquals
            && block.operator.qualifier.is_none()
            && !block.operator.if_exists
            && entries.iter().all(|entry| entry.ready),
        entries,
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
        StringLike => Value::Glob(Glob::from_tokens(&tokens())),
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
            let fields: Vec<Glob> = tokens
                .splitn(6, |token| *token == Token::Byte(b':'))
                .map(Glob::from_tokens)
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
        (Value::Glob(glob), Subject::Text(actual)) => glob.matches(actual.as_bytes(), &[]),
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
            .all(|(pattern, field)| pattern.matches(field.as_bytes(), &[])),
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
    #[inline(always)]
    pub(crate) fn holds(&self, context: &Context) -> bool {
        if self.plain_string_equals {
            // What `entry_holds` decides for this operator: some value of the
            // key equals some operand; false when the key is absent.
            return self.entries.iter().all(|entry| {
                context.lookup(&entry.key).is_some_and(|values| {
                    // Free for a few pairs (the normal case); many values
                    // against many operands are charged as in the general path.
                    let pairs = (values.len() as u64).saturating_mul(entry.operands.len() as u64);
                    if pairs > crate::budget::FREE_PAIRS && !crate::budget::charge(pairs) {
                        return false;
                    }
                    values.iter().any(|actual| {
                        entry.operands.iter().any(|operand| {
                            matches!(operand, Operand::Ready(Value::Text(expected))
                                if bytes_eq(expected.as_bytes(), actual.as_bytes()))
                        })
                    })
                })
            });
        }
        self.holds_in_general(context)
    }

    /// [`Block::holds`] for any operator.
    fn holds_in_general(&self, context: &Context) -> bool {
        self.entries
            .iter()
            .all(|entry| self.entry_holds(entry, context))
    }

    /// IAM User Guide, "Condition operators" and "Single-valued vs.
    /// multivalued context keys": values of one key are OR'ed; a missing key
    /// makes the condition false, except for negated operators (true),
    /// `…IfExists` (true), `ForAllValues:` (true) and `Null`.
    fn entry_holds(&self, entry: &Entry, context: &Context) -> bool {
        let values = context.lookup(&entry.key);
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
        let resolved: Option<Vec<Value>> = if entry.ready {
            None
        } else {
            let mut resolved = Vec::with_capacity(entry.operands.len());
            // Parsing a resolved operand reads it again.
            if !crate::budget::charge(entry.operands.len() as u64) {
                return false;
            }
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
        // Every value of the key meets every operand: a condition of many
        // operands against many request values (a simulation may pass 1,000)
        // is charged to the budget beyond the first few pairs. The result of
        // an exhausted evaluation is discarded, so any answer will do.
        let pairs = (values.len() as u64).saturating_mul(entry.operands.len() as u64);
        if pairs > crate::budget::FREE_PAIRS && !crate::budget::charge(pairs) {
            return false;
        }
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
    // Substituting copies the value (a context value may be 4,096
    // characters, and an operand may name it many times): charged to the
    // budget, and once that is spent the variable stands unresolved.
    single_or_default(context.get(key), default)
        .filter(|value| crate::budget::charge(value.len() as u64))
}

/// The value a variable takes: the key's single value, else the default.
fn single_or_default<'c>(
    values: Option<&'c [String]>,
    default: Option<&'c str>,
) -> Option<&'c str> {
    match values {
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
