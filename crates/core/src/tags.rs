//! Tags: AWS's rules for every taggable IAM resource (users, roles,
//! customer managed policies, OIDC providers, instance profiles…; AWS's
//! groups have none), in one place so that each resource and each backend
//! applies the same ones. Pure functions: no store, no I/O.
//!
//! AWS matches tag keys ignoring case (a new value for `Env` overwrites
//! `env`; UntagX removes `ENV`), refuses a request naming one key twice,
//! and caps the tags a resource holds at 50 (`TagsPer<Resource>`).

use crate::entities::Tag;
use crate::error::{IamError, IamResult};

/// A change to a resource's tags (TagX / UntagX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    /// Adds or overwrites, failing past `max_tags`.
    Tag {
        /// Tags to add or overwrite.
        tags: Vec<Tag>,
        /// The resource's tag quota.
        max_tags: usize,
    },
    /// Removes keys; absent keys are ignored, as AWS ignores them.
    Untag(Vec<String>),
}

/// Applies `change` to `tags`. `quota` is AWS's quota name for the resource
/// (`TagsPerRole`, `TagsPerUser`, …), used in the `LimitExceeded` message.
/// On error `tags` may be partly changed: callers apply changes to a copy.
pub fn apply(tags: &mut Vec<Tag>, change: TagChange, quota: &str) -> IamResult<()> {
    match change {
        TagChange::Tag {
            tags: new,
            max_tags,
        } => {
            merge(tags, new);
            check_count(tags, max_tags, quota)
        }
        TagChange::Untag(keys) => {
            tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok(())
        }
    }
}

/// Adds or overwrites tags; an existing key is matched ignoring case.
pub fn merge(existing: &mut Vec<Tag>, tags: Vec<Tag>) {
    for tag in tags {
        match existing
            .iter_mut()
            .find(|t| t.key.eq_ignore_ascii_case(&tag.key))
        {
            Some(found) => *found = tag,
            None => existing.push(tag),
        }
    }
}

/// The checks on the tags given to a CreateX or TagX request: no key twice
/// (ignoring case), and no more than the quota.
pub fn check_new(tags: &[Tag], max_tags: usize, quota: &str) -> IamResult<()> {
    check_no_duplicate_keys(tags)?;
    check_count(tags, max_tags, quota)
}

/// AWS's answer to a request naming one tag key twice.
pub fn check_no_duplicate_keys(tags: &[Tag]) -> IamResult<()> {
    for (i, a) in tags.iter().enumerate() {
        if tags[..i].iter().any(|b| b.key.eq_ignore_ascii_case(&a.key)) {
            return Err(IamError::InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                    .to_string(),
            ));
        }
    }
    Ok(())
}

/// `LimitExceeded` once a resource would hold more than `max_tags`.
pub fn check_count(tags: &[Tag], max_tags: usize, quota: &str) -> IamResult<()> {
    if tags.len() > max_tags {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for {quota}: {max_tags}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn keys_match_ignoring_case() {
        let mut tags = vec![tag("env", "dev")];
        apply(
            &mut tags,
            TagChange::Tag {
                tags: vec![tag("ENV", "prod"), tag("team", "a")],
                max_tags: 50,
            },
            "TagsPerRole",
        )
        .unwrap();
        assert_eq!(tags, vec![tag("ENV", "prod"), tag("team", "a")]);
        apply(
            &mut tags,
            TagChange::Untag(vec!["Env".into(), "absent".into()]),
            "TagsPerRole",
        )
        .unwrap();
        assert_eq!(tags, vec![tag("team", "a")]);
    }

    #[test]
    fn quota_counts_the_merged_tags() {
        let mut tags = vec![tag("a", "1"), tag("b", "2")];
        // Overwriting keeps the count: allowed at the quota.
        let overwrite = TagChange::Tag {
            tags: vec![tag("A", "3")],
            max_tags: 2,
        };
        apply(&mut tags, overwrite, "TagsPerUser").unwrap();
        let add = TagChange::Tag {
            tags: vec![tag("c", "3")],
            max_tags: 2,
        };
        assert_eq!(
            apply(&mut tags, add, "TagsPerUser"),
            Err(IamError::LimitExceeded(
                "Cannot exceed quota for TagsPerUser: 2".into()
            ))
        );
    }

    #[test]
    fn a_request_naming_a_key_twice_is_refused() {
        let err = check_new(&[tag("k", "1"), tag("K", "2")], 50, "TagsPerRole").unwrap_err();
        assert!(matches!(err, IamError::InvalidInput(m) if m.starts_with("Duplicate tag keys")));
        assert!(check_new(&[tag("k", "1")], 0, "TagsPerRole").is_err());
        assert!(check_new(&[tag("k", "1")], 1, "TagsPerRole").is_ok());
    }
}
