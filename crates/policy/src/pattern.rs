//! Wildcard patterns (`*`, `?`) and policy variables (`${aws:username}`),
//! compiled once and matched many times.
//!
//! IAM matches action names case-insensitively and resources (ARNs) and
//! `StringLike` values case-sensitively. `*` matches any run of characters,
//! including none and including `/` and `:`; `?` matches exactly one
//! character. A pattern is split at compile time into the cheapest form that
//! can match it (everything, an exact string, a prefix, or the general
//! token list), so the common cases never run the backtracking matcher.
//!
//! Policy variables (IAM User Guide, "IAM policy elements: Variables and
//! tags") are substituted at evaluation time from the request context. A
//! substituted value is always literal: a `*` that comes from a variable is a
//! character, not a wildcard, and so are `${*}`, `${?}` and `${$}`.

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
    General(Box<[Token]>),
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
        Pattern::General(tokens_of(&text).into_boxed_slice())
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
            Pattern::General(tokens) => glob(tokens, text.as_bytes(), case_insensitive),
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

/// The classic iterative glob: on a mismatch, go back to the last `*` and let
/// it swallow one more character. Linear in practice, never recursive.
///
/// `text` is valid UTF-8 and every literal run in `tokens` is made of whole
/// characters, so `?` and the backtracking step always move by whole
/// characters.
pub(crate) fn glob(tokens: &[Token], text: &[u8], case_insensitive: bool) -> bool {
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
/// that backtracking would find. Variable values are compared in place, not
/// substituted into a new pattern, so matching never allocates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    /// The text between `*`s. Without `*`, one chunk anchored at both ends.
    chunks: Box<[Box<[Piece]>]>,
    starred: bool,
    variables: Box<[GlobVariable]>,
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
        Glob {
            chunks: self.chunks.into_boxed_slice(),
            starred: self.starred,
            variables: self.variables.into_boxed_slice(),
        }
    }
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
        match self.chunks.first()?.first()? {
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
    pub(crate) fn matches(&self, text: &[u8], values: &[&str]) -> bool {
        let Some((first, rest)) = self.chunks.split_first() else {
            return text.is_empty();
        };
        let Some(mut at) = match_chunk(first, text, 0, values) else {
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
        match_suffix(last, text, at, values)
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
                let &lead = text.get(at)?;
                at = (at + char_len(lead)).min(text.len());
            }
            literal => {
                let bytes = piece_bytes(literal, values)?;
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

/// The leftmost match of `chunk` starting at a character boundary at or
/// after `from`, returning where it ends.
fn find_chunk(chunk: &[Piece], text: &[u8], from: usize, values: &[&str]) -> Option<usize> {
    let first = chunk
        .first()
        .and_then(|piece| piece_bytes(piece, values))
        .and_then(|bytes| bytes.first().copied());
    let mut start = from;
    while start <= text.len() {
        if let Some(first) = first {
            // Skip to the next occurrence of the chunk's first byte (never a
            // continuation byte, so always at a character boundary).
            start += text.get(start..)?.iter().position(|&byte| byte == first)?;
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

/// Whether `chunk` matches at the very end of `text`, starting at or after `from`.
fn match_suffix(chunk: &[Piece], text: &[u8], from: usize, values: &[&str]) -> bool {
    // A chunk matches a fixed number of characters: find where that many
    // characters before the end start.
    let mut characters = 0usize;
    let mut fixed_bytes = Some(0usize);
    for piece in chunk {
        match piece_bytes(piece, values) {
            Some(bytes) => {
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
                while start > 0 && is_continuation(text[start]) {
                    start -= 1;
                }
            }
            start
        }
    };
    start >= from && match_chunk(chunk, text, start, values) == Some(text.len())
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
                glob(&tokens, text.as_bytes(), false)
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
                    glob(&substituted, text.as_bytes(), false)
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
}
