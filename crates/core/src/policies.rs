//! Customer managed policies: AWS's rules for a change to one policy
//! (versions, the default version, tags), as a pure function every storage
//! backend applies inside its own transaction.

use crate::entities::{CustomerPolicy, PolicyVersion};
use crate::error::{IamError, IamResult};
use crate::store::PolicyChange;
use crate::tags::{self, TagChange};

/// AWS's quota name for a customer managed policy's tags, after
/// `TagsPerRole` and `TagsPerUser`; this name is unverified.
pub const TAG_QUOTA: &str = "TagsPerPolicy";

/// Applies `change` to `policy` (whose ARN is `arn`, for messages). On an
/// error `policy` may be half changed: a store applies the change to a copy
/// and keeps it only on success.
pub fn apply_change(policy: &mut CustomerPolicy, change: PolicyChange, arn: &str) -> IamResult<()> {
    match change {
        PolicyChange::AddVersion {
            document,
            set_as_default,
            now,
            max_versions,
        } => {
            if policy.versions.len() >= max_versions {
                return Err(IamError::LimitExceeded(format!(
                    "A managed policy can have up to {max_versions} versions. Before you create a new version, you must delete an existing version."
                )));
            }
            let version_id = format!("v{}", policy.next_version);
            policy.next_version += 1;
            policy.versions.push(PolicyVersion {
                version_id: version_id.clone(),
                document,
                create_date: now,
            });
            if set_as_default {
                policy.default_version_id = version_id;
            }
            policy.update_date = now;
        }
        PolicyChange::SetDefault { version_id, now } => {
            if !policy.versions.iter().any(|v| v.version_id == version_id) {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} version {version_id} does not exist or is not attachable."
                )));
            }
            policy.default_version_id = version_id;
            policy.update_date = now;
        }
        PolicyChange::DeleteVersion(version_id) => {
            if policy.default_version_id == version_id {
                return Err(IamError::DeleteConflict(
                    "Cannot delete the default version of a policy.".to_string(),
                ));
            }
            let before = policy.versions.len();
            policy.versions.retain(|v| v.version_id != version_id);
            if policy.versions.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} version {version_id} does not exist or is not deletable."
                )));
            }
        }
        // Tagging changes neither UpdateDate nor the versions (AWS's
        // UpdateDate follows the policy's versions).
        PolicyChange::Tag { tags, max_tags } => tags::apply(
            &mut policy.tags,
            TagChange::Tag { tags, max_tags },
            TAG_QUOTA,
        )?,
        PolicyChange::Untag(keys) => {
            tags::apply(&mut policy.tags, TagChange::Untag(keys), TAG_QUOTA)?
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::policy;
    use crate::entities::Tag;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn tags_merge_ignoring_case_up_to_the_quota_and_leave_the_rest_alone() {
        let mut p = policy("P");
        p.tags.clear();
        let before = p.clone();
        let arn = p.arn();
        let add = |tags: Vec<Tag>, max_tags| PolicyChange::Tag { tags, max_tags };
        apply_change(
            &mut p,
            add(vec![tag("env", "a"), tag("team", "x")], 2),
            &arn,
        )
        .unwrap();
        apply_change(&mut p, add(vec![tag("ENV", "b")], 2), &arn).unwrap();
        assert_eq!(p.tags, vec![tag("ENV", "b"), tag("team", "x")]);
        assert_eq!(
            (p.update_date, &p.versions, &p.default_version_id),
            (
                before.update_date,
                &before.versions,
                &before.default_version_id
            )
        );
        assert_eq!(
            apply_change(&mut p.clone(), add(vec![tag("three", "")], 2), &arn),
            Err(IamError::LimitExceeded(
                "Cannot exceed quota for TagsPerPolicy: 2".into()
            ))
        );
        apply_change(
            &mut p,
            PolicyChange::Untag(vec!["env".into(), "absent".into()]),
            &arn,
        )
        .unwrap();
        assert_eq!(p.tags, vec![tag("team", "x")]);
    }

    #[test]
    fn versions_keep_their_rules() {
        let mut p = policy("P");
        let arn = p.arn();
        assert_eq!(
            apply_change(&mut p, PolicyChange::DeleteVersion("v1".into()), &arn),
            Err(IamError::DeleteConflict(
                "Cannot delete the default version of a policy.".into()
            ))
        );
        assert_eq!(
            apply_change(
                &mut p,
                PolicyChange::SetDefault {
                    version_id: "v9".into(),
                    now: 1
                },
                &arn
            ),
            Err(IamError::NoSuchEntity(format!(
                "Policy {arn} version v9 does not exist or is not attachable."
            )))
        );
    }

    mod service {
        use std::sync::Arc;

        use crate::clock::FixedClock;
        use crate::entities::Tag;
        use crate::error::IamError;
        use crate::memory::MemoryStore;
        use crate::service::{Caller, IamService, NewPolicy, Settings};

        const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;

        fn tags(n: usize) -> Vec<Tag> {
            (0..n)
                .map(|i| Tag {
                    key: format!("k{i}"),
                    value: format!("v{i}"),
                })
                .collect()
        }

        fn setup() -> (IamService, Caller, String) {
            let s = IamService::new(
                Arc::new(MemoryStore::new()),
                Arc::new(FixedClock::new(1_800_000_000)),
                Settings::default(),
            );
            let root = Caller::root("123456789012");
            let p = s
                .create_policy(
                    &root,
                    NewPolicy {
                        name: "P".into(),
                        document: DOC.into(),
                        tags: tags(2),
                        ..NewPolicy::default()
                    },
                )
                .unwrap();
            (s, root, p.arn)
        }

        #[test]
        fn create_policy_checks_tags_like_tag_policy() {
            let (s, root, _) = setup();
            let new = |name: &str, tags| NewPolicy {
                name: name.into(),
                document: DOC.into(),
                tags,
                ..NewPolicy::default()
            };
            assert_eq!(
                s.create_policy(&root, new("Q", tags(51))).unwrap_err(),
                IamError::LimitExceeded("Cannot exceed quota for TagsPerPolicy: 50".into())
            );
            let mut dup = tags(1);
            dup.push(Tag {
                key: "K0".into(),
                value: "x".into(),
            });
            assert!(matches!(
                s.create_policy(&root, new("Q", dup)).unwrap_err(),
                IamError::InvalidInput(m) if m.starts_with("Duplicate tag keys")
            ));
            assert_eq!(
                s.create_policy(&root, new("Q", tags(50)))
                    .unwrap()
                    .tags
                    .len(),
                50
            );
        }

        #[test]
        fn tag_untag_and_list_a_policy() {
            let (s, root, arn) = setup();
            assert_eq!(
                s.tag_policy(&root, &arn, tags(51)[2..].to_vec())
                    .unwrap_err(),
                IamError::LimitExceeded("Cannot exceed quota for TagsPerPolicy: 50".into()),
                "49 new tags beside the two make 51"
            );
            s.tag_policy(&root, &arn, tags(50)).unwrap();
            let first = s.list_policy_tags(&root, &arn, None, Some(20)).unwrap();
            assert_eq!(first.items, tags(20));
            let rest = s
                .list_policy_tags(&root, &arn, first.marker.as_deref(), None)
                .unwrap();
            assert_eq!((rest.items.len(), rest.marker), (30, None));
            s.untag_policy(&root, &arn, vec!["K0".into(), "nope".into()])
                .unwrap();
            assert_eq!(s.get_policy(&root, &arn).unwrap().tags, tags(50)[1..]);

            let missing = "arn:aws:iam::123456789012:policy/Missing";
            let not_found = IamError::NoSuchEntity(format!("Policy {missing} was not found."));
            assert_eq!(
                s.tag_policy(&root, missing, tags(1)).unwrap_err(),
                not_found
            );
            assert_eq!(
                s.untag_policy(&root, missing, vec![]).unwrap_err(),
                not_found
            );
            assert_eq!(
                s.list_policy_tags(&root, missing, None, None).unwrap_err(),
                not_found
            );
            let invalid = IamError::InvalidInput("ARN nope is not valid.".into());
            assert_eq!(s.tag_policy(&root, "nope", tags(1)).unwrap_err(), invalid);
            assert_eq!(s.untag_policy(&root, "nope", vec![]).unwrap_err(), invalid);
            assert_eq!(
                s.list_policy_tags(&root, "nope", None, None).unwrap_err(),
                invalid
            );
            let aws = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
            assert!(matches!(
                s.tag_policy(&root, aws, tags(1)),
                Err(IamError::UnmodifiableEntity(_))
            ));
            assert!(s
                .list_policy_tags(&root, aws, None, None)
                .unwrap()
                .items
                .is_empty());
        }
    }
}
