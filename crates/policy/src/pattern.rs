//! Wildcard patterns (`*`, `?`) and policy variables (`${aws:username}`),
//! compiled once and matched many times.
//!
//! IAM matches action names case-insensitively and resources (ARNs) and
//! `StringLike` values case-sensitively. `*` matches any run of characters,
//! including none and including `/` and `:`; `?` matches exactly one
//! character. A pattern is split at compile time into the cheapest form that
//! can match it (everything, an exact string, a prefix, or a [`Glob`]).
//!
//! # Cost
//!
//! Matching must not let a request buy seconds of CPU (issue 13): the classic
//! backtracking glob takes O(pattern × text) steps on `*a*a*a…b` against
//! `aaaa…`, 10 s for a 60,000-character `StringLike` value against a
//! 120,000-character context value. A [`Glob`] never backtracks. It is split
//! at its `*`s into chunks that each match a fixed number of characters; the
//! first is anchored at the start, the last at the end, and each one between
//! is found at its leftmost position after the previous one:
//!
//! * a chunk of literal text by a Two-Way substring search
//!   (`memchr::memmem`, documented as O(needle + haystack) in the worst
//!   case);
//! * a chunk with `?` by a bit-parallel Shift-And over characters, which
//!   reads each character of the text once and updates ⌈k/64⌉ words for a
//!   chunk of k characters.
//!
//! Each search starts where the previous match ended and stops where its own
//! match ends, so the text is read once overall: matching costs
//! O(pattern + text) when every `?` chunk is at most 64 characters long, and
//! O(pattern + text × ⌈k/64⌉) for a `?` chunk of k characters. A chunk can
//! only match text at least as long as itself, and every entry point bounds
//! the text (context values, ARNs: at most a few KiB), so k/64 stays small.
//! The unit tests count the steps and assert these bounds.
//!
//! Policy variables (IAM User Guide, "IAM policy elements: Variables and
//! tags") are substituted at evaluation time from the request context. A
//! substituted value is always literal: a `*` that comes from a variable is a
//! character, not a wildcard, and so are `${*}`, `${?}` and `${$}`.

use std::borrow::Cow;

use memchr::memmem;
use smallvec::SmallVec;

use crate::budget;

/// One element of a compiled general pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// A byte that must appear as is (lowercase, when case-insensitive).
    Byte(u8),
    /// `*`: any run of characters.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
}

/// A compiled wildcard pattern without variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `*`.
    Everything,
    /// No wildcard at all.
    Exact(Box<str>),
    /// A literal prefix followed by one trailing `*` (`arn:aws:s3:::bucket/*`).
    Prefix(Box<str>),
    /// Anything else.
    General(Glob),
}

impl Pattern {
    /// Compiles `pattern`; with `lowercase`, literals are lowercased so that
    /// [`Pattern::matches`] can compare case-insensitively.
    pub(crate) fn compile(pattern: &str, lowercase: bool) -> Pattern {
        let text = if lowercase {
            pattern.to_ascii_lowercase()
        } else {
            pattern.to_owned()
        };
        if text == "*" {
            return Pattern::Everything;
        }
        let wildcards = text.bytes().filter(|b| matches!(b, b'*' | b'?')).count();
        if wildcards == 0 {
            return Pattern::Exact(text.into_boxed_str());
        }
        if wildcards == 1 && text.ends_with('*') {
            let mut prefix = text;
            prefix.pop();
            return Pattern::Prefix(prefix.into_boxed_str());
        }
        Pattern::General(Glob::from_tokens(&tokens_of(&text)))
    }

    /// Whether `text` matches. With `case_insensitive`, the pattern must have
    /// been compiled with `lowercase`, and ASCII letters of `text` are
    /// compared without regard to case.
    pub(crate) fn matches(&self, text: &str, case_insensitive: bool) -> bool {
        match self {
            Pattern::Everything => true,
            Pattern::Exact(exact) => {
                if case_insensitive {
                    exact.eq_ignore_ascii_case(text)
                } else {
                    **exact == *text
                }
            }
            Pattern::Prefix(prefix) => {
                text.len() >= prefix.len()
                    && text.is_char_boundary(prefix.len())
                    && if case_insensitive {
                        text[..prefix.len()].eq_ignore_ascii_case(prefix)
                    } else {
                        text.as_bytes()[..prefix.len()] == *prefix.as_bytes()
                    }
            }
            Pattern::General(glob) => {
                // The pattern is lowercase: lowercasing the text (ASCII only,
                // so it stays valid UTF-8 with the same character boundaries)
                // is comparing without regard to case. Callers mostly pass
                // lowercase text already, which is not copied.
                let text = if case_insensitive && text.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(text.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(text)
                };
                glob.matches(text.as_bytes(), &[])
            }
        }
    }
}

/// Tokenises a pattern's text: `*` and `?` are wildcards, all else literal.
pub(crate) fn tokens_of(text: &str) -> Vec<Token> {
    text.bytes()
        .map(|byte| match byte {
            b'*' => Token::AnyRun,
            b'?' => Token::AnyChar,
            other => Token::Byte(other),
        })
        .collect()
}

/// Appends `text` as literal tokens (for substituted variable values).
pub(crate) fn push_literal(tokens: &mut Vec<Token>, text: &str, lowercase: bool) {
    tokens.extend(text.bytes().map(|byte| {
        Token::Byte(if lowercase {
            byte.to_ascii_lowercase()
        } else {
            byte
        })
    }));
}

// The matcher's work in unit tests, where a property bounds it: one step is
// a byte compared, a byte a substring search is charged for, or a word of
// bit-parallel state updated. Other builds compile the counting out.
#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `steps` of matcher work (tests only; nothing in other builds).
#[inline(always)]
fn work(steps: usize) {
    #[cfg(test)]
    STEPS.with(|total| total.set(total.get().saturating_add(steps as u64)));
    #[cfg(not(test))]
    let _ = steps;
}

/// The length of the UTF-8 sequence that starts with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        // A continuation byte never starts a character in valid UTF-8; step
        // one byte so the loop still terminates.
        0x80..=0xbf => 1,
    }
}

/// The character at `at` (a character boundary before the end of `text`)
/// as its UTF-8 bytes packed into a number, and its length. The lead byte
/// fixes the length, so two characters pack alike only when equal; the
/// number is never decoded.
fn char_at(text: &[u8], at: usize) -> (u32, usize) {
    let rest = text.get(at..).unwrap_or_default();
    let length = rest
        .first()
        .map_or(1, |&lead| char_len(lead))
        .min(rest.len())
        .max(1);
    let code = rest
        .iter()
        .take(length)
        .fold(0u32, |code, &byte| (code << 8) | u32::from(byte));
    (code, length)
}

/// Whether `byte` continues a UTF-8 sequence rather than starting one.
fn is_continuation(byte: u8) -> bool {
    (0x80..=0xbf).contains(&byte)
}

/// One piece of a [`Glob`] chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Bytes that must appear as is (whole characters).
    Bytes(Box<[u8]>),
    /// `?`: exactly one character.
    AnyChar,
    /// The value of the glob's variable at this position, always literal.
    Variable(usize),
}

/// A policy variable of a [`Glob`]: `${key}` or `${key, 'default'}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GlobVariable {
    /// The context key, lowercase.
    pub(crate) key: Box<str>,
    /// The value used when the key has no single value.
    pub(crate) default: Option<Box<str>>,
    /// [`crate::eval::hash_key`] of `key`.
    pub(crate) hash: u64,
}

/// A wildcard pattern, possibly with policy variables, split at its `*`s
/// into chunks matched without backtracking.
///
/// A chunk (literal text, `?`s and variable values) matches a fixed number
/// of characters, so the first chunk is anchored at the start of the text,
/// the last at its end, and each chunk in between is matched at its
/// leftmost position after the previous one: taking the leftmost match
/// leaves the most text to the chunks that follow, so it never loses a match
/// that backtracking would find. The searches are linear (see the module
/// documentation). Variable values are compared in place, not substituted
/// into a new pattern, so matching allocates only for a chunk between two
/// `*`s that holds a variable and is searched in more than 64 bytes of
/// text (in fewer it is compared in place, at most 64 × its length), or
/// for a `?` chunk longer than 256 characters.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    /// The text between `*`s. Without `*`, one chunk anchored at both ends.
    chunks: Box<[Chunk]>,
    starred: bool,
    variables: Box<[GlobVariable]>,
    /// What a match costs the [`crate::budget`] whatever the text: the
    /// call, each chunk's search, and the pattern's characters.
    cost_base: u64,
    /// What a match costs per byte of text: 1 (a literal search or an
    /// in-place comparison reads it), or [`budget::wild_units_per_char`] of
    /// the widest `?` chunk's state.
    cost_per_byte: u64,
    /// Whether a chunk between two `*`s holds a variable, whose search is
    /// prepared (and whose cost is known) only once its value is.
    variable_between_stars: bool,
}

impl PartialEq for Glob {
    /// Globs are equal when written alike; their searches follow from that.
    fn eq(&self, other: &Glob) -> bool {
        self.starred == other.starred
            && self.variables == other.variables
            && self.chunks.len() == other.chunks.len()
            && self
                .chunks
                .iter()
                .zip(other.chunks.iter())
                .all(|(a, b)| a.pieces == b.pieces)
    }
}

impl Eq for Glob {}

/// The text between two `*`s (or before the first, or after the last).
#[derive(Debug, Clone)]
struct Chunk {
    pieces: Box<[Piece]>,
    /// How the chunk is found when it lies between two `*`s, prepared at
    /// compile time. `None` for the first and last chunks (anchored), for an
    /// empty chunk (`**`), and for a chunk with a variable (prepared when
    /// matched, from the value).
    search: Option<Search>,
}

/// A prepared search for a chunk between two `*`s.
#[derive(Debug, Clone)]
enum Search {
    /// Literal text: Two-Way substring search.
    Literal(Box<memmem::Finder<'static>>),
    /// Text with `?`: bit-parallel Shift-And.
    Wild(Box<ShiftAnd>),
}

impl Search {
    /// The search for `pieces` (without variables), `None` when empty.
    fn of(pieces: &[Piece]) -> Option<Search> {
        if pieces.iter().any(|piece| matches!(piece, Piece::AnyChar)) {
            return ShiftAnd::new(&positions(pieces, &[])?).map(|s| Search::Wild(Box::new(s)));
        }
        let mut needle = Vec::new();
        for piece in pieces {
            needle.extend_from_slice(piece_bytes(piece, &[])?);
        }
        (!needle.is_empty())
            .then(|| Search::Literal(Box::new(memmem::Finder::new(&needle).into_owned())))
    }
}

/// Builds a [`Glob`] piece by piece.
#[derive(Default)]
struct GlobBuilder {
    chunks: Vec<Box<[Piece]>>,
    chunk: Vec<Piece>,
    bytes: Vec<u8>,
    starred: bool,
    variables: Vec<GlobVariable>,
}

impl GlobBuilder {
    fn flush_bytes(&mut self) {
        if !self.bytes.is_empty() {
            let bytes = std::mem::take(&mut self.bytes);
            self.chunk.push(Piece::Bytes(bytes.into_boxed_slice()));
        }
    }

    fn token(&mut self, token: Token) {
        match token {
            Token::Byte(byte) => self.bytes.push(byte),
            Token::AnyChar => {
                self.flush_bytes();
                self.chunk.push(Piece::AnyChar);
            }
            Token::AnyRun => {
                self.flush_bytes();
                let chunk = std::mem::take(&mut self.chunk);
                self.chunks.push(chunk.into_boxed_slice());
                self.starred = true;
            }
        }
    }

    fn finish(mut self) -> Glob {
        self.flush_bytes();
        self.chunks.push(self.chunk.into_boxed_slice());
        let count = self.chunks.len();
        let pattern_units: usize = self
            .chunks
            .iter()
            .flatten()
            .map(|piece| match piece {
                Piece::Bytes(bytes) => bytes.len(),
                Piece::AnyChar | Piece::Variable(_) => 1,
            })
            .sum();
        let mut cost_per_byte = 1u64;
        let mut variable_between_stars = false;
        for pieces in self.chunks.iter().take(count.saturating_sub(1)).skip(1) {
            if pieces
                .iter()
                .any(|piece| matches!(piece, Piece::Variable(_)))
            {
                variable_between_stars = true;
            } else if pieces.iter().any(|piece| matches!(piece, Piece::AnyChar)) {
                // Characters, not bytes, are positions; bytes bound them.
                let words = chunk_units(pieces).div_ceil(64) as u64;
                cost_per_byte = cost_per_byte.max(budget::wild_units_per_char(words));
            }
        }
        let chunks = self
            .chunks
            .into_iter()
            .enumerate()
            .map(|(index, pieces)| {
                let middle = index > 0 && index + 1 < count;
                let fixed = !pieces
                    .iter()
                    .any(|piece| matches!(piece, Piece::Variable(_)));
                let search = if middle && fixed {
                    // Building a search costs time too (a `?` chunk's tables
                    // most): a simulator document of 16,000 `*a?b*`
                    // patterns took 144 ms to compile.
                    let wild = pieces.iter().any(|piece| matches!(piece, Piece::AnyChar));
                    budget::charge(if wild {
                        budget::WILD_SEARCH_BUILD_UNITS
                    } else {
                        budget::SEARCH_BUILD_UNITS
                    });
                    Search::of(&pieces)
                } else {
                    None
                };
                Chunk { pieces, search }
            })
            .collect();
        Glob {
            chunks,
            starred: self.starred,
            variables: self.variables.into_boxed_slice(),
            cost_base: budget::UNITS_PER_MATCH
                .saturating_add(pattern_units as u64)
                .saturating_add(budget::UNITS_PER_CHUNK.saturating_mul(count as u64)),
            cost_per_byte,
            variable_between_stars,
        }
    }
}

/// The bytes and `?`s of a chunk without variables (its characters at most).
fn chunk_units(pieces: &[Piece]) -> usize {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Bytes(bytes) => bytes.len(),
            Piece::AnyChar | Piece::Variable(_) => 1,
        })
        .sum()
}

impl Glob {
    /// A glob of compiled tokens (no variables).
    pub(crate) fn from_tokens(tokens: &[Token]) -> Glob {
        let mut builder = GlobBuilder::default();
        for &token in tokens {
            builder.token(token);
        }
        builder.finish()
    }

    /// A glob of text (`*`, `?` wildcards) with variables: written text keeps
    /// its wildcards, variable values and `${*}`/`${?}`/`${$}` are literal.
    pub(crate) fn from_parts(parts: &[Part]) -> Glob {
        let mut builder = GlobBuilder::default();
        for part in parts {
            match part {
                Part::Text(text) => {
                    for token in tokens_of(text) {
                        builder.token(token);
                    }
                }
                Part::Literal(c) => {
                    let mut buffer = [0u8; 4];
                    let encoded = c.encode_utf8(&mut buffer);
                    builder.bytes.extend_from_slice(encoded.as_bytes());
                }
                Part::Variable { key, default, .. } => {
                    builder.flush_bytes();
                    builder.chunk.push(Piece::Variable(builder.variables.len()));
                    builder.variables.push(GlobVariable {
                        key: key.clone(),
                        default: default.clone(),
                        hash: crate::eval::hash_key(key.as_bytes()),
                    });
                }
            }
        }
        builder.finish()
    }

    /// The literal text the pattern starts with, if it starts with some.
    pub(crate) fn literal_prefix(&self) -> Option<&[u8]> {
        match self.chunks.first()?.pieces.first()? {
            Piece::Bytes(bytes) => Some(bytes),
            Piece::AnyChar | Piece::Variable(_) => None,
        }
    }

    /// The policy variables, in order; [`Glob::matches`] takes their values.
    pub(crate) fn variables(&self) -> &[GlobVariable] {
        &self.variables
    }

    /// Whether `text` (valid UTF-8) matches, comparing bytes exactly, with
    /// `values[i]` standing for the `i`-th variable.
    ///
    /// Charges the match to the current [`crate::budget`] first; once that
    /// is spent, answers `false` without looking (the evaluation's answer is
    /// discarded).
    #[inline]
    pub(crate) fn matches(&self, text: &[u8], values: &[&str]) -> bool {
        let mut cost = self
            .cost_base
            .saturating_add((text.len() as u64).saturating_mul(self.cost_per_byte));
        if !values.is_empty() {
            cost = cost.saturating_add(self.variable_cost(text, values));
        }
        budget::charge(cost) && self.matches_within_budget(text, values)
    }

    /// What the variables' values add to a match's cost: their bytes, and
    /// for a chunk between `*`s that holds one, a search of the text as wide
    /// as the chunk once substituted (charged as if it had `?`s: the dearest).
    fn variable_cost(&self, text: &[u8], values: &[&str]) -> u64 {
        let value_bytes: usize = values.iter().map(|value| value.len()).sum();
        let mut cost = value_bytes as u64;
        if self.variable_between_stars {
            let words = (self.cost_base as usize)
                .saturating_add(value_bytes)
                .div_ceil(64) as u64;
            cost = cost.saturating_add(
                (text.len() as u64).saturating_mul(budget::wild_units_per_char(words)),
            );
        }
        cost
    }

    /// [`Glob::matches`] once charged.
    fn matches_within_budget(&self, text: &[u8], values: &[&str]) -> bool {
        let Some((first, rest)) = self.chunks.split_first() else {
            return text.is_empty();
        };
        let Some(mut at) = match_chunk(&first.pieces, text, 0, values) else {
            return false;
        };
        if !self.starred {
            return at == text.len();
        }
        let Some((last, middle)) = rest.split_last() else {
            return false;
        };
        for chunk in middle {
            match find_chunk(chunk, text, at, values) {
                Some(end) => at = end,
                None => return false,
            }
        }
        match_suffix(&last.pieces, text, at, values)
    }
}

/// The bytes a variable or literal piece stands for.
fn piece_bytes<'v>(piece: &'v Piece, values: &[&'v str]) -> Option<&'v [u8]> {
    match piece {
        Piece::Bytes(bytes) => Some(bytes),
        Piece::Variable(index) => values.get(*index).map(|value| value.as_bytes()),
        Piece::AnyChar => None,
    }
}

/// Matches `chunk` at `start`, returning where it ends.
fn match_chunk(chunk: &[Piece], text: &[u8], start: usize, values: &[&str]) -> Option<usize> {
    let mut at = start;
    for piece in chunk {
        match piece {
            Piece::AnyChar => {
                work(1);
                let &lead = text.get(at)?;
                at = (at + char_len(lead)).min(text.len());
            }
            literal => {
                let bytes = piece_bytes(literal, values)?;
                work(bytes.len());
                let end = at.checked_add(bytes.len())?;
                if !crate::compile::bytes_eq(text.get(at..end)?, bytes) {
                    return None;
                }
                at = end;
            }
        }
    }
    Some(at)
}

/// The chunk as characters (packed by [`char_at`]), `None` standing for `?`;
/// `None` when a variable has no value.
fn positions(chunk: &[Piece], values: &[&str]) -> Option<Vec<Option<u32>>> {
    let mut positions = Vec::new();
    for piece in chunk {
        match piece {
            Piece::AnyChar => positions.push(None),
            literal => {
                let bytes = piece_bytes(literal, values)?;
                work(bytes.len());
                let mut at = 0;
                while at < bytes.len() {
                    let (code, length) = char_at(bytes, at);
                    positions.push(Some(code));
                    at += length;
                }
            }
        }
    }
    Some(positions)
}

/// The end of the leftmost match of a chunk between two `*`s, starting at
/// or after `from` (a character boundary).
fn find_chunk(chunk: &Chunk, text: &[u8], from: usize, values: &[&str]) -> Option<usize> {
    let haystack = text.get(from..)?;
    match &chunk.search {
        Some(Search::Literal(finder)) => find_literal(finder, haystack).map(|end| from + end),
        Some(Search::Wild(search)) => search.find_end(text, from),
        None if chunk
            .pieces
            .iter()
            .any(|piece| matches!(piece, Piece::AnyChar)) =>
        {
            // A chunk with a variable, prepared now from its value.
            match ShiftAnd::new(&positions(&chunk.pieces, values)?) {
                Some(search) => search.find_end(text, from),
                None => Some(from),
            }
        }
        // A chunk with a variable in a short text (`/${aws:username}/` in
        // an ARN): compared in place at each start, which costs at most
        // 64 × the chunk and beats preparing a Two-Way search.
        None if haystack.len() <= SHORT_TEXT => find_in_place(&chunk.pieces, text, from, values),
        None => {
            let mut needle: SmallVec<[u8; 64]> = SmallVec::new();
            for piece in chunk.pieces.iter() {
                needle.extend_from_slice(piece_bytes(piece, values)?);
            }
            work(needle.len());
            if needle.is_empty() {
                return Some(from);
            }
            find_literal(&memmem::Finder::new(&needle), haystack).map(|end| from + end)
        }
    }
}

/// The longest text that a chunk with a variable is searched in place.
const SHORT_TEXT: usize = 64;

/// The leftmost match of `chunk` starting at a character boundary at or
/// after `from`, tried at each start: for texts of at most [`SHORT_TEXT`]
/// bytes only.
fn find_in_place(chunk: &[Piece], text: &[u8], from: usize, values: &[&str]) -> Option<usize> {
    let first = chunk
        .first()
        .and_then(|piece| piece_bytes(piece, values))
        .and_then(|bytes| bytes.first().copied());
    let mut start = from;
    while start <= text.len() {
        if let Some(first) = first {
            // Skip to the next occurrence of the chunk's first byte (never a
            // continuation byte, so always at a character boundary).
            let skipped = text.get(start..)?.iter().position(|&byte| byte == first);
            work(skipped.unwrap_or(text.len() - start));
            start += skipped?;
        }
        if text.get(start).is_none_or(|&byte| !is_continuation(byte)) {
            if let Some(end) = match_chunk(chunk, text, start, values) {
                return Some(end);
            }
        }
        start += 1;
    }
    None
}

/// Where the first occurrence of the finder's needle in `haystack` ends.
///
/// memchr documents `memmem` as O(needle + haystack) in the worst case
/// (Two-Way, with prefilters that keep that bound); the steps charged are
/// the needle plus the haystack up to the end of the match, which is what
/// that bound allows.
fn find_literal(finder: &memmem::Finder<'_>, haystack: &[u8]) -> Option<usize> {
    let needle = finder.needle().len();
    match finder.find(haystack) {
        Some(start) => {
            work(start + 2 * needle);
            Some(start + needle)
        }
        None => {
            work(haystack.len() + needle);
            None
        }
    }
}

/// Whether `chunk` matches at the very end of `text`, starting at or after `from`.
fn match_suffix(chunk: &[Piece], text: &[u8], from: usize, values: &[&str]) -> bool {
    // A chunk matches a fixed number of characters: find where that many
    // characters before the end start.
    let mut characters = 0usize;
    let mut fixed_bytes = Some(0usize);
    for piece in chunk {
        match piece_bytes(piece, values) {
            Some(bytes) => {
                work(bytes.len());
                characters += bytes.iter().filter(|&&byte| !is_continuation(byte)).count();
                fixed_bytes = fixed_bytes.map(|total| total + bytes.len());
            }
            None if matches!(piece, Piece::AnyChar) => {
                characters += 1;
                fixed_bytes = None;
            }
            // A variable without a value matches nothing.
            None => return false,
        }
    }
    let start = match fixed_bytes {
        Some(length) => match text.len().checked_sub(length) {
            Some(start) => start,
            None => return false,
        },
        None => {
            let mut start = text.len();
            for _ in 0..characters {
                if start == 0 {
                    return false;
                }
                start -= 1;
                work(1);
                while start > 0 && is_continuation(text[start]) {
                    work(1);
                    start -= 1;
                }
            }
            start
        }
    };
    start >= from && match_chunk(chunk, text, start, values) == Some(text.len())
}

/// The characters a [`ShiftAnd`] gives a bit mask of their own.
const DENSE_CLASSES: usize = 64;

/// Bit-parallel search (Shift-And, Baeza-Yates and Gonnet) for a chunk with
/// `?`s: bit j of the state says the last j + 1 characters read match the
/// chunk's first j + 1. Reading a character shifts the state and keeps the
/// bits of the positions that accept it, so each character of the text is
/// read once and costs ⌈k/64⌉ word operations for a chunk of k characters.
///
/// The 64 most frequent characters of the chunk have a mask each; the others
/// keep a list of their positions. A character left out of the masks occurs
/// at most k/65 times (otherwise the 64 with masks, each at least as
/// frequent, and it would hold more than k positions), so its list costs no
/// more than the words of a mask, and the tables stay O(k) in size whatever
/// the alphabet.
#[derive(Debug, Clone)]
struct ShiftAnd {
    /// Characters the chunk matches (at least one).
    length: usize,
    /// Words of state: ⌈length / 64⌉.
    words: usize,
    /// Bit j set where position j is `?`.
    any: Box<[u64]>,
    /// `words` words per masked character: bit j set where position j is it.
    masks: Box<[u64]>,
    /// Positions of the other characters, grouped by character.
    sparse: Box<[u32]>,
    /// The class of each ASCII character.
    ascii: [Class; 128],
    /// The class of each other character of the chunk, sorted by character.
    others: Box<[(u32, Class)]>,
}

/// How a [`ShiftAnd`] knows a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Not in the chunk: only `?` accepts it.
    Absent,
    /// The character's mask in `masks`.
    Masked(usize),
    /// The character's positions: `sparse[start..end]`.
    Listed(usize, usize),
}

impl ShiftAnd {
    /// The search for a chunk of `positions` (`None` for `?`); `None` when
    /// the chunk is empty.
    fn new(positions: &[Option<u32>]) -> Option<ShiftAnd> {
        let length = positions.len();
        if length == 0 {
            return None;
        }
        let words = length.div_ceil(64);
        let mut any = vec![0u64; words];
        let mut literal: Vec<(u32, usize)> = Vec::with_capacity(length);
        for (index, position) in positions.iter().enumerate() {
            match position {
                Some(code) => literal.push((*code, index)),
                None => any[index / 64] |= 1 << (index % 64),
            }
        }
        literal.sort_unstable();
        // (character, start, end) of each character's run in `literal`.
        let mut groups: Vec<(u32, usize, usize)> = Vec::new();
        for (index, &(code, _)) in literal.iter().enumerate() {
            match groups.last_mut() {
                Some((last, _, end)) if *last == code => *end = index + 1,
                _ => groups.push((code, index, index + 1)),
            }
        }
        let mut by_frequency: Vec<usize> = (0..groups.len()).collect();
        by_frequency.sort_by_key(|&group| std::cmp::Reverse(groups[group].2 - groups[group].1));
        let mut classes = vec![Class::Absent; groups.len()];
        let mut masks = vec![0u64; groups.len().min(DENSE_CLASSES) * words];
        let mut sparse = Vec::new();
        for (rank, &group) in by_frequency.iter().enumerate() {
            let (_, start, end) = groups[group];
            let indices = literal[start..end].iter().map(|&(_, index)| index);
            if rank < DENSE_CLASSES {
                for index in indices {
                    masks[rank * words + index / 64] |= 1 << (index % 64);
                }
                classes[group] = Class::Masked(rank);
            } else {
                let first = sparse.len();
                // A chunk is at most a policy document long, far below 2^32.
                sparse.extend(indices.map(|index| u32::try_from(index).unwrap_or(u32::MAX)));
                classes[group] = Class::Listed(first, sparse.len());
            }
        }
        let mut ascii = [Class::Absent; 128];
        let mut others = Vec::new();
        for (&(code, _, _), &class) in groups.iter().zip(&classes) {
            match ascii.get_mut(code as usize) {
                Some(slot) => *slot = class,
                None => others.push((code, class)),
            }
        }
        work(length);
        Some(ShiftAnd {
            length,
            words,
            any: any.into_boxed_slice(),
            masks: masks.into_boxed_slice(),
            sparse: sparse.into_boxed_slice(),
            ascii,
            others: others.into_boxed_slice(),
        })
    }

    fn class_of(&self, code: u32) -> Class {
        match self.ascii.get(code as usize) {
            Some(class) => *class,
            None => self
                .others
                .binary_search_by_key(&code, |&(other, _)| other)
                .map_or(Class::Absent, |found| self.others[found].1),
        }
    }

    /// The end of the leftmost match starting at or after `from` (a
    /// character boundary of `text`).
    fn find_end(&self, text: &[u8], from: usize) -> Option<usize> {
        // Every character is at least a byte.
        if text.len().saturating_sub(from) < self.length {
            return None;
        }
        if self.words == 1 && self.sparse.is_empty() {
            return self.find_end_in_one_word(text, from);
        }
        let mut state: SmallVec<[u64; 4]> = SmallVec::from_elem(0, self.words);
        let mut next: SmallVec<[u64; 4]> = SmallVec::from_elem(0, self.words);
        let last_word = (self.length - 1) / 64;
        let last_bit = 1u64 << ((self.length - 1) % 64);
        let mut at = from;
        while at < text.len() {
            let (code, length) = char_at(text, at);
            at += length;
            // A new attempt starts at every character.
            let mut carry = 1u64;
            for word in state.iter_mut() {
                let out = *word >> 63;
                *word = (*word << 1) | carry;
                carry = out;
            }
            work(self.words);
            match self.class_of(code) {
                Class::Absent => {
                    for (word, any) in state.iter_mut().zip(self.any.iter()) {
                        *word &= any;
                    }
                }
                Class::Masked(rank) => {
                    let mask = self.masks.get(rank * self.words..).unwrap_or_default();
                    for ((word, any), mask) in state.iter_mut().zip(self.any.iter()).zip(mask) {
                        *word &= any | mask;
                    }
                }
                Class::Listed(start, end) => {
                    let listed = self.sparse.get(start..end).unwrap_or_default();
                    work(listed.len());
                    for ((next, word), any) in
                        next.iter_mut().zip(state.iter()).zip(self.any.iter())
                    {
                        *next = word & any;
                    }
                    for &index in listed {
                        let (word, bit) = (index as usize / 64, 1u64 << (index % 64));
                        if let (Some(next), Some(word)) = (next.get_mut(word), state.get(word)) {
                            *next |= word & bit;
                        }
                    }
                    std::mem::swap(&mut state, &mut next);
                }
            }
            if state
                .get(last_word)
                .is_some_and(|word| word & last_bit != 0)
            {
                return Some(at);
            }
        }
        None
    }

    /// [`ShiftAnd::find_end`] for a chunk of at most 64 characters, all
    /// with masks (the common case): the state is one register.
    fn find_end_in_one_word(&self, text: &[u8], from: usize) -> Option<usize> {
        let any = self.any.first().copied().unwrap_or(0);
        let last_bit = 1u64 << ((self.length - 1) % 64);
        let mut state = 0u64;
        let mut at = from;
        while let Some(&lead) = text.get(at) {
            let accepted = if lead < 0x80 {
                at += 1;
                match self.ascii[usize::from(lead)] {
                    Class::Masked(rank) => any | self.masks.get(rank).copied().unwrap_or(0),
                    Class::Absent | Class::Listed(..) => any,
                }
            } else {
                let (code, length) = char_at(text, at);
                at += length;
                match self.class_of(code) {
                    Class::Masked(rank) => any | self.masks.get(rank).copied().unwrap_or(0),
                    Class::Absent | Class::Listed(..) => any,
                }
            };
            work(1);
            state = ((state << 1) | 1) & accepted;
            if state & last_bit != 0 {
                return Some(at);
            }
        }
        None
    }
}

/// A piece of a value that may hold policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text as written; in a pattern its `*` and `?` are wildcards.
    Text(Box<str>),
    /// A character that is always literal: from `${*}`, `${?}` or `${$}`.
    Literal(char),
    /// `${key}` or `${key, 'default'}`; `key` is lowercase.
    Variable {
        /// The context key, lowercase.
        key: Box<str>,
        /// The key as written.
        written: Box<str>,
        /// The default used when the key has no single value.
        default: Option<Box<str>>,
    },
}

/// Splits `value` into text and variables, or `None` when it has no `${…}`
/// that parses as a variable (so callers can keep the cheap static form).
///
/// Syntax (IAM User Guide, "Specifying default values"): `${key}`,
/// `${key, 'default'}` with spaces allowed around the key and the quoted
/// default, and `''` standing for one `'` inside the default. `${*}`, `${?}`
/// and `${$}` are the literal characters. A `${` that does not close is text.
pub(crate) fn parse_variables(value: &str) -> Option<Vec<Part>> {
    if !value.contains("${") {
        return None;
    }
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = value;
    let mut found = false;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match parse_one_variable(after) {
            Some((part, consumed)) => {
                found = true;
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text).into_boxed_str()));
                }
                parts.push(part);
                rest = &after[consumed..];
            }
            None => {
                text.push_str("${");
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text.into_boxed_str()));
    }
    found.then_some(parts)
}

/// Parses what follows `${`, returning the part and how many bytes (including
/// the closing `}`) it used.
fn parse_one_variable(after: &str) -> Option<(Part, usize)> {
    let end_of_key = after.find([',', '}'])?;
    let key = after[..end_of_key].trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    if after.as_bytes()[end_of_key] == b'}' {
        let part = match key {
            "*" => Part::Literal('*'),
            "?" => Part::Literal('?'),
            "$" => Part::Literal('$'),
            _ => Part::Variable {
                key: key.to_ascii_lowercase().into_boxed_str(),
                written: key.into(),
                default: None,
            },
        };
        return Some((part, end_of_key + 1));
    }
    // `, 'default'}`
    let after_comma = &after[end_of_key + 1..];
    let quoted = after_comma.trim_start();
    let skipped = after_comma.len() - quoted.len();
    let body = quoted.strip_prefix('\'')?;
    let mut default = String::new();
    let mut chars = body.char_indices().peekable();
    let close = loop {
        let (index, c) = chars.next()?;
        if c == '\'' {
            if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                chars.next();
                default.push('\'');
                continue;
            }
            break index;
        }
        default.push(c);
    };
    let tail = &body[close + 1..];
    let tail_trimmed = tail.trim_start();
    if !tail_trimmed.starts_with('}') {
        return None;
    }
    let consumed = end_of_key + 1 + skipped + 1 + close + 1 + (tail.len() - tail_trimmed.len()) + 1;
    Some((
        Part::Variable {
            key: key.to_ascii_lowercase().into_boxed_str(),
            written: key.into(),
            default: Some(default.into_boxed_str()),
        },
        consumed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: the classic iterative glob that ironiam used before
    /// issue 13 (on a mismatch, go back to the last `*` and let it swallow
    /// one more character). Obviously right, and O(pattern × text).
    fn reference_glob(tokens: &[Token], text: &[u8], case_insensitive: bool) -> bool {
        let (mut p, mut t) = (0usize, 0usize);
        let mut backtrack: Option<(usize, usize)> = None;
        while t < text.len() {
            match tokens.get(p) {
                Some(Token::AnyRun) => {
                    backtrack = Some((p, t));
                    p += 1;
                }
                Some(Token::AnyChar) => {
                    p += 1;
                    t = (t + char_len(text[t])).min(text.len());
                }
                Some(Token::Byte(byte))
                    if *byte == text[t]
                        || (case_insensitive && *byte == text[t].to_ascii_lowercase()) =>
                {
                    p += 1;
                    t += 1;
                }
                _ => match backtrack {
                    Some((star, matched)) => {
                        let next = (matched + char_len(text[matched])).min(text.len());
                        p = star + 1;
                        t = next;
                        backtrack = Some((star, next));
                    }
                    None => return false,
                },
            }
        }
        tokens[p..].iter().all(|token| *token == Token::AnyRun)
    }

    fn m(pattern: &str, text: &str) -> bool {
        Pattern::compile(pattern, false).matches(text, false)
    }

    #[test]
    fn forms() {
        assert_eq!(Pattern::compile("*", false), Pattern::Everything);
        assert!(matches!(
            Pattern::compile("s3:GetObject", false),
            Pattern::Exact(_)
        ));
        assert!(matches!(
            Pattern::compile("arn:aws:s3:::b/*", false),
            Pattern::Prefix(_)
        ));
        assert!(matches!(
            Pattern::compile("a*b", false),
            Pattern::General(_)
        ));
    }

    #[test]
    fn wildcards() {
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y"));
        assert!(!m("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*é", "xxé"));
        assert!(m(
            "arn:aws:ecs:*:*:task/*/*",
            "arn:aws:ecs:us-east-1:1:task/c/t"
        ));
        assert!(!m(
            "arn:aws:ecs:*:*:task/*/*",
            "arn:aws:ecs:us-east-1:1:task/c"
        ));
        assert!(!m("Bucket", "bucket"));
    }

    #[test]
    fn case_insensitive() {
        let pattern = Pattern::compile("ECS:Submit*", true);
        assert!(pattern.matches("ecs:SubmitTaskStateChange", true));
        assert!(pattern.matches("ECS:SUBMITX", true));
        assert!(!pattern.matches("ecs:Poll", true));
        assert!(Pattern::compile("S3:Get?bject", true).matches("s3:getobject", true));
    }

    proptest::proptest! {
        /// The chunked glob decides as the backtracking one does, including
        /// for `?` over multi-byte characters and literal variable values.
        #[test]
        fn chunked_glob_agrees_with_backtracking(
            pattern in "[ab*?é:/]{0,10}",
            text in "[ab*?é:/]{0,12}",
            value in "[ab*?é]{0,3}",
        ) {
            let tokens = tokens_of(&pattern);
            proptest::prop_assert_eq!(
                Glob::from_tokens(&tokens).matches(text.as_bytes(), &[]),
                reference_glob(&tokens, text.as_bytes(), false)
            );
            // The same pattern with a variable in the middle, against the
            // tokens the value substitutes to.
            let middle = pattern
                .char_indices()
                .nth(pattern.chars().count() / 2)
                .map_or(pattern.len(), |(at, _)| at);
            let (head, tail) = pattern.split_at(middle);
            if let Some(head_parts) = parse_variables(&format!("{head}${{v}}{tail}")) {
                let mut substituted = tokens_of(head);
                push_literal(&mut substituted, &value, false);
                substituted.extend(tokens_of(tail));
                proptest::prop_assert_eq!(
                    Glob::from_parts(&head_parts).matches(text.as_bytes(), &[value.as_str()]),
                    reference_glob(&substituted, text.as_bytes(), false)
                );
            }
        }
    }

    #[test]
    fn chunked_glob_examples() {
        let g = |pattern: &str, text: &str| {
            Glob::from_tokens(&tokens_of(pattern)).matches(text.as_bytes(), &[])
        };
        assert!(g(
            "arn:aws:ecs:*:*:task/*/*",
            "arn:aws:ecs:us-east-1:1:task/c/t"
        ));
        assert!(!g(
            "arn:aws:ecs:*:*:task/*/*",
            "arn:aws:ecs:us-east-1:1:task/c"
        ));
        assert!(g("*é", "xxé"));
        assert!(g("a?c", "aéc"));
        assert!(!g("a?c", "ac"));
        assert!(g("", ""));
        assert!(!g("", "a"));
        assert!(g("**", ""));
        assert!(g("a*?", "aé"));
        assert!(!g("a*??", "aé"));
    }

    #[test]
    fn variables() {
        assert_eq!(parse_variables("plain"), None);
        assert_eq!(parse_variables("${unclosed"), None);
        let parts = parse_variables("home/${aws:username}/*").unwrap();
        assert_eq!(parts.len(), 3);
        assert!(
            matches!(&parts[1], Part::Variable { key, default: None, .. } if &**key == "aws:username")
        );
        let parts = parse_variables("${ aws:PrincipalTag/team , 'it''s' }x").unwrap();
        assert!(
            matches!(&parts[0], Part::Variable { key, default: Some(d), .. } if &**key == "aws:principaltag/team" && &**d == "it's")
        );
        assert_eq!(parts[1], Part::Text("x".into()));
        let parts = parse_variables("a${*}b${?}${$}").unwrap();
        assert_eq!(
            parts,
            vec![
                Part::Text("a".into()),
                Part::Literal('*'),
                Part::Text("b".into()),
                Part::Literal('?'),
                Part::Literal('$')
            ]
        );
    }

    // ---- Issue 13 item 3: matching costs linear work ----

    /// Runs `f` and returns its result with the matcher steps it took.
    fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
        STEPS.with(|steps| steps.set(0));
        let result = f();
        (result, STEPS.with(|steps| steps.get()))
    }

    /// Matches `pattern` (no variables) against `text` as `StringLike` does,
    /// returning the decision and the steps taken.
    fn glob_steps(pattern: &str, text: &str) -> (bool, u64) {
        let glob = Glob::from_tokens(&tokens_of(pattern));
        counted(|| glob.matches(text.as_bytes(), &[]))
    }

    /// The characters of the longest `?` chunk of `pattern` (0 without `?`).
    fn longest_wild_chunk(pattern: &str) -> usize {
        pattern
            .split('*')
            .filter(|chunk| chunk.contains('?'))
            .map(|chunk| chunk.chars().count())
            .max()
            .unwrap_or(0)
    }

    /// The work bound of the module documentation: linear in the pattern
    /// and the text, times ⌈k/64⌉ words for the text when a `?` chunk has k
    /// characters. C = 8 leaves room for the constant factors (a byte of
    /// pattern is read when compiled and when matched, a found needle is
    /// charged twice).
    fn bound(pattern: &str, text: &str) -> u64 {
        let words = longest_wild_chunk(pattern).div_ceil(64).max(1);
        8 * (pattern.len() + text.len() * words + 1) as u64
    }

    /// The adversarial families of issue 13, at the review's size (a
    /// 60,000-character pattern against a 120,000-character value): the old
    /// matchers took O(pattern × text) on each, seconds in release builds
    /// and minutes in debug builds; the step bound holds on every one.
    #[test]
    fn adversarial_patterns_cost_linear_work() {
        let text = "a".repeat(120_000);
        let long_literal = format!("*{}b*", "a".repeat(59_998));
        let stars = format!("{}*b", "*a".repeat(29_999));
        let stars_then_literal = format!("*{}{}b", "a*".repeat(20_000), "a".repeat(19_999));
        let short_wild = format!("{}b", "*a?a".repeat(15_000));
        let many_wild_chunks = format!(
            "*{}b*",
            "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a"
        )
        .repeat(900);
        let question_marks = format!("*{}", "?".repeat(59_999));
        for pattern in [
            &long_literal,
            &stars,
            &stars_then_literal,
            &short_wild,
            &many_wild_chunks,
            &question_marks,
        ] {
            let (matched, steps) = glob_steps(pattern, &text);
            assert_eq!(matched, pattern == &question_marks, "{}…", &pattern[..40]);
            let compiled = Pattern::compile(pattern, false);
            let (also, pattern_steps) = counted(|| compiled.matches(&text, false));
            assert_eq!(also, matched);
            assert!(pattern_steps <= bound(pattern, &text));
            assert!(
                steps <= bound(pattern, &text),
                "{}…: {steps} steps, bound {}",
                &pattern[..40],
                bound(pattern, &text)
            );
        }
        // The same through the case-insensitive form (actions).
        let pattern = Pattern::compile(&format!("*{}B*", "A?".repeat(31)), true);
        let (matched, steps) = counted(|| pattern.matches(&"A".repeat(120_000), true));
        assert!(!matched);
        assert!(steps <= 8 * (64 + 120_000 + 1));
    }

    /// A `?` chunk as long as AWS's limits let a chunk be compared with a
    /// value (a 4,096-character context value, the simulator's bound): the
    /// Shift-And reads the text once, 64 words a character.
    #[test]
    fn long_wild_chunk_work_is_bounded_by_the_words_of_its_state() {
        let text = "a".repeat(4_096);
        for pattern in [
            format!("*{}b*", "a?".repeat(2_047)),
            format!("*{}*", "?a".repeat(2_048) + "b"),
        ] {
            let (matched, steps) = glob_steps(&pattern, &text);
            assert!(!matched);
            assert!(steps <= bound(&pattern, &text), "{steps} steps");
        }
    }

    /// Characters outside the 64 that get a mask of their own are found
    /// through their positions, and more than 64 positions take more than
    /// one word of state.
    #[test]
    fn shift_and_with_many_characters_and_words() {
        let alphabet: Vec<char> = ('a'..='z')
            .chain('A'..='Z')
            .chain('α'..='ω')
            .chain('一'..='丙')
            .collect();
        assert!(alphabet.len() > DENSE_CLASSES);
        let word: String = alphabet.iter().collect();
        // The whole alphabet twice, every third character a `?`.
        let chunk: String = word
            .chars()
            .chain(word.chars())
            .enumerate()
            .map(|(index, c)| if index % 3 == 0 { '?' } else { c })
            .collect();
        let text = format!("xx{word}{word}{word}{word}yy");
        let pattern = format!("x*{chunk}*y");
        assert!(glob_steps(&pattern, &text).0);
        assert_eq!(
            glob_steps(&pattern, &text).0,
            reference_glob(&tokens_of(&pattern), text.as_bytes(), false)
        );
        let missing = format!("x*{chunk}ω*y");
        assert!(!glob_steps(&missing, &text).0);
        assert!(!reference_glob(
            &tokens_of(&missing),
            text.as_bytes(),
            false
        ));
    }

    /// A pattern made to match `text`: some characters turned into `?`, some
    /// runs into `*`, then perhaps one character changed.
    fn derived_pattern(text: &str, edits: &[u8]) -> String {
        let mut pattern = String::new();
        let mut edits = edits.iter().cycle();
        let mut skipping = false;
        for c in text.chars() {
            match edits.next().copied().unwrap_or(0) % 8 {
                0 => pattern.push('?'),
                1 if !skipping => {
                    pattern.push('*');
                    skipping = true;
                }
                1 => {}
                2 => pattern.push('!'),
                _ => {
                    skipping = false;
                    pattern.push(c);
                }
            }
        }
        pattern
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// The new matcher decides as the reference does, over multi-byte
        /// characters and in both case modes, on random small patterns.
        #[test]
        fn matcher_agrees_with_reference(
            pattern in "[aAbé中*?:/]{0,14}",
            text in "[aAbBé中:/]{0,16}",
        ) {
            let tokens = tokens_of(&pattern);
            proptest::prop_assert_eq!(
                Glob::from_tokens(&tokens).matches(text.as_bytes(), &[]),
                reference_glob(&tokens, text.as_bytes(), false)
            );
            proptest::prop_assert_eq!(
                Pattern::compile(&pattern, false).matches(&text, false),
                reference_glob(&tokens, text.as_bytes(), false)
            );
            let lowered = tokens_of(&pattern.to_ascii_lowercase());
            proptest::prop_assert_eq!(
                Pattern::compile(&pattern, true).matches(&text, true),
                reference_glob(&lowered, text.as_bytes(), true)
            );
        }

        /// Patterns derived from their text (so that they often match), with
        /// long `?` chunks over more than 64 distinct characters: decisions
        /// agree with the reference, and the work stays within the bound.
        #[test]
        fn derived_patterns_agree_and_stay_within_the_bound(
            text in "[a-zα-ω一-丙é]{0,200}",
            edits in proptest::collection::vec(0u8..64, 1..40),
        ) {
            let pattern = derived_pattern(&text, &edits);
            let tokens = tokens_of(&pattern);
            let (matched, steps) = glob_steps(&pattern, &text);
            proptest::prop_assert_eq!(matched, reference_glob(&tokens, text.as_bytes(), false));
            proptest::prop_assert!(steps <= bound(&pattern, &text), "{} steps", steps);
        }

        /// Adversarial shapes at random sizes: runs of one letter against
        /// patterns of that letter, `?` and `*`.
        #[test]
        fn repetitive_patterns_stay_within_the_bound(
            pieces in proptest::collection::vec(("[a?*]{1,3}", 1usize..40), 1..12),
            tail in "[ab?]{0,2}",
            length in 0usize..3_000,
        ) {
            let mut pattern: String = pieces.iter().map(|(piece, times)| piece.repeat(*times)).collect();
            pattern.push_str(&tail);
            let text = "a".repeat(length);
            let (matched, steps) = glob_steps(&pattern, &text);
            proptest::prop_assert!(steps <= bound(&pattern, &text), "{} steps", steps);
            if pattern.len() * length <= 200_000 {
                proptest::prop_assert_eq!(matched, reference_glob(&tokens_of(&pattern), text.as_bytes(), false));
            }
        }

        /// A variable's value is literal wherever it falls (between two `*`s
        /// it is searched for when matched), next to `?`s too.
        #[test]
        fn variables_between_stars_agree(
            head in "[ab?]{0,3}",
            tail in "[ab?]{0,3}",
            value in "[ab*?é]{0,3}",
            text in "[ab*?é]{0,12}",
        ) {
            let written = format!("*{head}${{v}}{tail}*");
            let parts = parse_variables(&written).unwrap_or_default();
            let mut substituted = vec![Token::AnyRun];
            substituted.extend(tokens_of(&head));
            push_literal(&mut substituted, &value, false);
            substituted.extend(tokens_of(&tail));
            substituted.push(Token::AnyRun);
            proptest::prop_assert_eq!(
                Glob::from_parts(&parts).matches(text.as_bytes(), &[value.as_str()]),
                reference_glob(&substituted, text.as_bytes(), false)
            );
        }
    }
    // ---- Issue 13 item 3: a request's matching work is bounded ----

    /// Matches every pattern against `text` inside a budget of `limit`
    /// units, returning whether the budget ran out and the steps taken.
    fn steps_within_budget(patterns: &[Pattern], text: &str, limit: u64) -> (bool, u64) {
        let (result, steps) = counted(|| {
            budget::run(limit, || {
                patterns
                    .iter()
                    .filter(|pattern| pattern.matches(text, false))
                    .count()
            })
        });
        (result.is_err(), steps)
    }

    /// The many-patterns families that a linear matcher alone does not
    /// bound (16,000 × `*a?b*` read a 4,096-character value each: 127 ms),
    /// and the long-chunk ones: whatever the family, the steps taken inside
    /// a budget stay within a constant times the budget, because each match
    /// is charged at least an eighth of its step bound before it starts and
    /// an exhausted budget makes every later match free.
    #[test]
    fn the_budget_bounds_the_work_of_many_patterns() {
        let value = "a".repeat(4_096);
        let families: Vec<(&str, Vec<String>)> = vec![
            ("short ? chunks", vec!["*a?b*".to_string(); 16_000]),
            ("literal chunks", vec!["*ab*".to_string(); 16_000]),
            ("stars", vec![format!("{}b*", "*a".repeat(20)); 4_000]),
            (
                "long ? chunk",
                vec![format!("*{}b*", "a?".repeat(2_047)); 100],
            ),
            (
                "question marks",
                vec![format!("*{}b*", "?".repeat(300)); 1_000],
            ),
        ];
        let limit = 1_000_000;
        for (name, patterns) in families {
            let compiled: Vec<Pattern> = patterns
                .iter()
                .map(|pattern| Pattern::compile(pattern, false))
                .collect();
            let (_, unlimited) = counted(|| {
                compiled
                    .iter()
                    .filter(|pattern| pattern.matches(&value, false))
                    .count()
            });
            assert!(
                unlimited > 8 * limit,
                "{name}: the family must outspend the budget"
            );
            let (exhausted, steps) = steps_within_budget(&compiled, &value, limit);
            assert!(exhausted, "{name}: the budget must run out");
            assert!(
                steps <= 8 * limit,
                "{name}: {steps} steps within a budget of {limit}"
            );
        }
        // A glob with a variable between stars is charged with its value.
        let glob = Glob::from_parts(&parse_variables("*${v}?b*").unwrap_or_default());
        let long = "a".repeat(3_000);
        let (result, steps) = counted(|| {
            budget::run(limit, || {
                (0..5_000)
                    .filter(|_| glob.matches(value.as_bytes(), &[long.as_str()]))
                    .count()
            })
        });
        assert!(result.is_err());
        assert!(steps <= 8 * limit, "variables: {steps} steps");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Random adversarial families (a repeated shape of `a`, `?` and `*`,
        /// many copies, a run of `a`s): inside a budget the steps never
        /// exceed 8 × the budget, and a family that fits the budget is
        /// decided as without one.
        #[test]
        fn budgeted_work_is_bounded_by_the_budget(
            shape in "[a?*]{1,4}",
            repeat in 1usize..200,
            copies in 1usize..2_000,
            length in 0usize..4_096,
            limit in 1_000u64..200_000,
        ) {
            let pattern = format!("*{}b*", shape.repeat(repeat));
            let compiled = vec![Pattern::compile(&pattern, false); copies];
            let text = "a".repeat(length);
            let (exhausted, steps) = steps_within_budget(&compiled, &text, limit);
            proptest::prop_assert!(steps <= 8 * limit, "{} steps, budget {}", steps, limit);
            if !exhausted {
                proptest::prop_assert_eq!(
                    budget::run(limit, || compiled.iter().filter(|p| p.matches(&text, false)).count()),
                    Ok(compiled.iter().filter(|p| p.matches(&text, false)).count())
                );
            }
        }
    }
}
