//! POSIX shell quoting for the commands `--dry-run` prints.

/// `word` as one POSIX shell word: bare when it has only characters no shell
/// treats specially, otherwise in single quotes (a `'` inside becomes `'\''`).
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '+' | ',' | '=')
        });
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Words joined into one command line, each quoted.
pub fn join<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words
        .into_iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `aws iam detach-role-policy …` for a policy `ensure` leaves attached.
pub fn detach_command(role_name: &str, policy_arn: &str, global: &[String]) -> String {
    let mut words = vec![
        "aws",
        "iam",
        "detach-role-policy",
        "--role-name",
        role_name,
        "--policy-arn",
        policy_arn,
    ];
    words.extend(global.iter().map(String::as_str));
    join(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("ecsAnywhereRole"), "ecsAnywhereRole");
        assert_eq!(
            quote("arn:aws:iam::aws:policy/service-role/X"),
            "arn:aws:iam::aws:policy/service-role/X"
        );
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote(r#"{"a":"it's"}"#), r#"'{"a":"it'\''s"}'"#);
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(join(["aws", "iam", "x y"]), "aws iam 'x y'");
    }
}
