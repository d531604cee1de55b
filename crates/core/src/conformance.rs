//! The storage conformance suite: every [`Store`] backend runs these same
//! checks, through [`store_conformance_tests!`](crate::store_conformance_tests).

use std::sync::Arc;
use std::thread;

use crate::entities::{
    AccessKey, AccessKeyStatus, AccessKeyUse, CustomerPolicy, Group, InstanceProfile, LoginProfile,
    OidcProvider, PolicyVersion, PrincipalBinding, Role, RoleLastUsed, Tag, User,
};
use crate::error::{IamError, IamResult};
use crate::holders::{Holder, HolderChange, PrincipalKind};
use crate::password::{PasswordHash, PasswordPolicy};
use crate::store::{
    GroupChange, InstanceProfileChange, ListRange, OidcChange, PolicyChange, RoleChange, Store,
    UserChange,
};
use crate::tags::TagChange;

const ACCOUNT: &str = "123456789012";
const SSM_CORE: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// A role named `name` in the test account.
pub fn role(name: &str) -> Role {
    Role {
        account_id: ACCOUNT.to_string(),
        role_id: crate::ids::unique_id("AROA"),
        name: name.to_string(),
        path: "/".to_string(),
        create_date: 1_700_000_000,
        assume_role_policy_document: r#"{"Version":"2012-10-17","Statement":[]}"#.to_string(),
        trust_principals: Vec::new(),
        description: None,
        max_session_duration: 3600,
        permissions_boundary: None,
        tags: Vec::new(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
    }
}

/// A customer managed policy named `name` in the test account.
pub fn policy(name: &str) -> CustomerPolicy {
    CustomerPolicy {
        account_id: ACCOUNT.to_string(),
        policy_id: crate::ids::unique_id("ANPA"),
        name: name.to_string(),
        path: "/".to_string(),
        description: None,
        create_date: 1_700_000_000,
        update_date: 1_700_000_000,
        default_version_id: "v1".to_string(),
        versions: vec![PolicyVersion {
            version_id: "v1".into(),
            document: "{}".into(),
            create_date: 1_700_000_000,
        }],
        next_version: 2,
        tags: Vec::new(),
    }
}

/// A user named `name` in the test account.
pub fn user(name: &str) -> User {
    User {
        account_id: ACCOUNT.to_string(),
        user_id: crate::ids::unique_id("AIDA"),
        name: name.to_string(),
        path: "/".to_string(),
        create_date: 1_700_000_000,
        permissions_boundary: None,
        tags: Vec::new(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        access_keys: Vec::new(),
        login_profile: None,
    }
}

/// A group named `name` in the test account.
pub fn group(name: &str) -> Group {
    Group {
        account_id: ACCOUNT.to_string(),
        group_id: crate::ids::unique_id("AGPA"),
        name: name.to_string(),
        path: "/".to_string(),
        create_date: 1_700_000_000,
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        members: Vec::new(),
    }
}

/// A small account holding one entity of each kind a bulk import carries
/// (a role with a tag, an inline and an attached policy; a user; a
/// customer managed policy; a group with the user as member), as the
/// snapshot the backends' import tests write and read back.
pub fn small_account() -> crate::memory::Snapshot {
    let source = crate::memory::MemoryStore::new();
    let mut r = role("Imported");
    r.tags.push(Tag {
        key: "team".into(),
        value: "blue".into(),
    });
    r.inline_policies.insert("inline".into(), "{}".into());
    r.attached_policies.push("arn:aws:iam::aws:policy/X".into());
    source.create_role(r, 10).unwrap();
    let someone = source.create_user(user("Someone"), 10).unwrap();
    source.create_policy(policy("Pol"), 10).unwrap();
    let mut g = group("Team");
    g.members.push(someone.user_id.clone());
    source.create_group(g, 10).unwrap();
    source.snapshot()
}

/// An access key with an opaque "sealed" secret (the store never opens it).
pub fn access_key(id: &str) -> AccessKey {
    AccessKey {
        access_key_id: id.to_string(),
        sealed_secret: vec![0, 1, 2, 255, b'"'],
        status: AccessKeyStatus::Active,
        create_date: 1_700_000_000,
    }
}

/// A login profile whose "hash" is the opaque text `phc` (the store never
/// hashes or verifies).
pub fn login_profile(phc: &str) -> LoginProfile {
    LoginProfile {
        create_date: 1_700_000_000,
        password_hash: PasswordHash::from_phc(phc),
        password_reset_required: true,
    }
}

fn all_roles(store: &dyn Store) -> Vec<Arc<Role>> {
    store
        .list_roles(
            ACCOUNT,
            ListRange {
                path_prefix: "/",
                marker: None,
                max_items: usize::MAX,
            },
        )
        .unwrap()
        .items
}

/// Names are unique ignoring case; lookups ignore case.
pub fn names_are_case_insensitive(store: &dyn Store) {
    store.create_role(role("ecsAnywhereRole"), 1000).unwrap();
    let err = store
        .create_role(role("ECSANYWHEREROLE"), 1000)
        .unwrap_err();
    assert_eq!(
        err,
        IamError::EntityAlreadyExists("Role with name ECSANYWHEREROLE already exists.".into())
    );
    assert_eq!(
        store.get_role(ACCOUNT, "ecsanywhererole").unwrap().name,
        "ecsAnywhereRole"
    );
    assert!(matches!(
        store.get_role(ACCOUNT, "other"),
        Err(IamError::NoSuchEntity(_))
    ));
    assert!(matches!(
        store.get_role("999999999999", "ecsAnywhereRole"),
        Err(IamError::NoSuchEntity(_))
    ));
}

/// A role round-trips every field.
pub fn role_round_trips(store: &dyn Store) {
    let mut r = role("full");
    r.path = "/team/".into();
    r.description = Some("d é 🙂".into());
    r.max_session_duration = 43200;
    r.tags = vec![
        Tag {
            key: "k".into(),
            value: "".into(),
        },
        Tag {
            key: "a".into(),
            value: "b".into(),
        },
    ];
    r.inline_policies.insert("p".into(), "{ \"x\": 1 }".into());
    r.attached_policies = vec![SSM_CORE.into()];
    r.permissions_boundary = Some(SSM_CORE.into());
    r.trust_principals = vec![
        PrincipalBinding {
            arn: format!("arn:aws:iam::{ACCOUNT}:user/team/bob"),
            id: "AIDABOB".into(),
        },
        PrincipalBinding {
            arn: format!("arn:aws:iam::{ACCOUNT}:role/x"),
            id: "AROAX".into(),
        },
    ];
    store.create_role(r.clone(), 1000).unwrap();
    assert_eq!(*store.get_role(ACCOUNT, "full").unwrap(), r);
}

/// Listing pages through everything exactly once, in name order, with path prefixes.
pub fn listing_pages(store: &dyn Store) {
    for i in (0..25).rev() {
        let mut r = role(&format!("Role{i:02}"));
        if i % 5 == 0 {
            r.path = "/five/".into();
        }
        store.create_role(r, 1000).unwrap();
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = store
            .list_roles(
                ACCOUNT,
                ListRange {
                    path_prefix: "/",
                    marker: marker.as_deref(),
                    max_items: 7,
                },
            )
            .unwrap();
        assert!(page.items.len() <= 7);
        seen.extend(page.items.iter().map(|r| r.name.clone()));
        match page.marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("Role{i:02}")).collect();
    assert_eq!(seen, expected);
    let five = store
        .list_roles(
            ACCOUNT,
            ListRange {
                path_prefix: "/five/",
                marker: None,
                max_items: 100,
            },
        )
        .unwrap();
    assert_eq!(five.items.len(), 5);
    assert!(five.marker.is_none());
    assert!(matches!(
        store.list_roles(
            ACCOUNT,
            ListRange {
                path_prefix: "/",
                marker: Some("not a marker"),
                max_items: 10
            }
        ),
        Err(IamError::InvalidInput(_))
    ));
}

/// Every role change applies.
pub fn role_changes(store: &dyn Store) {
    store.create_role(role("r"), 1000).unwrap();
    let change = |c| store.update_role(ACCOUNT, "R", c);
    change(RoleChange::Update {
        description: Some("hello".into()),
        max_session_duration: Some(7200),
    })
    .unwrap();
    let bound = vec![PrincipalBinding {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/bob"),
        id: "AIDABOB".into(),
    }];
    change(RoleChange::TrustPolicy {
        document: "{}".into(),
        principals: bound.clone(),
    })
    .unwrap();
    let r = store.get_role(ACCOUNT, "r").unwrap();
    assert_eq!(r.description.as_deref(), Some("hello"));
    assert_eq!(r.max_session_duration, 7200);
    assert_eq!(r.assume_role_policy_document, "{}");
    assert_eq!(r.trust_principals, bound);
    store.delete_role(ACCOUNT, "r").unwrap();
    assert!(matches!(
        store.get_role(ACCOUNT, "r"),
        Err(IamError::NoSuchEntity(_))
    ));
    assert!(matches!(
        change(RoleChange::Update {
            description: None,
            max_session_duration: None
        }),
        Err(IamError::NoSuchEntity(_))
    ));
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

/// Creates the user, role or group `name`.
fn create_holder(store: &dyn Store, kind: PrincipalKind, name: &str) {
    match kind {
        PrincipalKind::User => store.create_user(user(name), 100).map(|_| ()),
        PrincipalKind::Role => store.create_role(role(name), 100).map(|_| ()),
        PrincipalKind::Group => store.create_group(group(name), 100).map(|_| ()),
    }
    .unwrap()
}

/// Reads the user, role or group `name`.
fn read_holder(store: &dyn Store, kind: PrincipalKind, name: &str) -> IamResult<Holder> {
    Ok(match kind {
        PrincipalKind::User => Holder::User(store.get_user(ACCOUNT, name)?),
        PrincipalKind::Role => Holder::Role(store.get_role(ACCOUNT, name)?),
        PrincipalKind::Group => Holder::Group(store.get_group(ACCOUNT, name)?),
    })
}

/// Deletes the user, role or group `name`.
fn delete_holder(store: &dyn Store, kind: PrincipalKind, name: &str) -> IamResult<()> {
    match kind {
        PrincipalKind::User => store.delete_user(ACCOUNT, name),
        PrincipalKind::Role => store.delete_role(ACCOUNT, name),
        PrincipalKind::Group => store.delete_group(ACCOUNT, name),
    }
}

/// Every change to a holder's policies and tags applies, with AWS's quotas
/// and messages for its kind, and a holder with policies cannot be deleted:
/// the same rules for users, roles and groups.
pub fn holder_changes(store: &dyn Store, kind: PrincipalKind) {
    create_holder(store, kind, "h");
    let change = |c| store.update_holder(ACCOUNT, kind, "H", c);
    let noun = kind.noun();
    if kind.has_tags() {
        let add = |tags| HolderChange::Tags(TagChange::Tag { tags, max_tags: 2 });
        change(add(vec![tag("Env", "x")])).unwrap();
        change(add(vec![tag("env", "y"), tag("b", "")])).unwrap();
        assert_eq!(
            change(add(vec![tag("c", "")])).unwrap_err(),
            IamError::LimitExceeded(format!("Cannot exceed quota for {}: 2", kind.tag_quota()))
        );
        change(HolderChange::Tags(TagChange::Untag(vec![
            "B".into(),
            "absent".into(),
        ])))
        .unwrap();
    }
    let put = |name: &str| HolderChange::PutInlinePolicy {
        name: name.into(),
        document: "01234 56789".into(),
        max_total_size: 15,
    };
    change(put("p1")).unwrap();
    assert_eq!(
        change(put("p2")).unwrap_err(),
        IamError::LimitExceeded(format!(
            "Maximum policy size of 15 bytes exceeded for {noun} h"
        ))
    );
    let attach = |arn: String| HolderChange::AttachPolicy {
        arn,
        max_attached: 2,
    };
    let aws = |i: u32| format!("arn:aws:iam::aws:policy/P{i}");
    for i in 0..2 {
        change(attach(aws(i))).unwrap();
    }
    // Attaching an attached policy again changes nothing, even at the quota.
    change(attach(aws(0))).unwrap();
    assert_eq!(
        change(attach(aws(9))).unwrap_err(),
        IamError::LimitExceeded(match kind {
            PrincipalKind::User => "Cannot exceed quota for PoliciesPerUser: 2".into(),
            PrincipalKind::Role => "Cannot exceed quota for PoliciesPerRole: 2".into(),
            PrincipalKind::Group => "Cannot exceed quota for PoliciesPerGroup: 2".into(),
        })
    );
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/Missing");
    assert_eq!(
        change(attach(missing.clone())).unwrap_err(),
        IamError::NoSuchEntity(format!(
            "Policy {missing} does not exist or is not attachable."
        ))
    );
    if kind.has_boundary() {
        change(HolderChange::Boundary(Some(SSM_CORE.into()))).unwrap();
        assert!(matches!(
            change(HolderChange::Boundary(Some(missing.clone()))),
            Err(IamError::NoSuchEntity(_))
        ));
    }
    let read = read_holder(store, kind, "h").unwrap();
    let h = read.get();
    if kind.has_tags() {
        assert_eq!(h.tags(), [tag("env", "y")]);
    }
    assert_eq!(h.inline_policies().len(), 1);
    assert_eq!(h.attached_policies(), [aws(0), aws(1)]);
    assert_eq!(
        h.permissions_boundary(),
        kind.has_boundary().then_some(SSM_CORE)
    );

    let conflict = |m: &str| IamError::DeleteConflict(m.to_string());
    assert_eq!(
        delete_holder(store, kind, "h").unwrap_err(),
        conflict("Cannot delete entity, must detach all policies first.")
    );
    for i in 0..2 {
        change(HolderChange::DetachPolicy(aws(i))).unwrap();
    }
    assert_eq!(
        change(HolderChange::DetachPolicy(aws(0))).unwrap_err(),
        IamError::NoSuchEntity(format!("Policy {} was not found.", aws(0)))
    );
    assert_eq!(
        delete_holder(store, kind, "h").unwrap_err(),
        conflict("Cannot delete entity, must delete policies first.")
    );
    change(HolderChange::DeleteInlinePolicy("p1".into())).unwrap();
    assert_eq!(
        change(HolderChange::DeleteInlinePolicy("p1".into())).unwrap_err(),
        IamError::NoSuchEntity(format!("The {noun} policy with name p1 cannot be found."))
    );
    // A boundary does not block deletion.
    delete_holder(store, kind, "h").unwrap();
    assert_eq!(
        read_holder(store, kind, "h").unwrap_err(),
        kind.no_such("h")
    );
    assert_eq!(
        change(HolderChange::DeleteInlinePolicy("p1".into())).unwrap_err(),
        kind.no_such("H")
    );
}

/// Customer policies: attach needs one to exist; delete needs it unattached; versions.
pub fn customer_policies(store: &dyn Store) {
    let p = store.create_policy(policy("Mine"), 10).unwrap();
    let arn = p.arn();
    assert!(matches!(
        store.create_policy(policy("MINE"), 10),
        Err(IamError::EntityAlreadyExists(_))
    ));
    store.create_role(role("r"), 1000).unwrap();
    let attach = |kind, name, arn: &str| {
        let change = HolderChange::AttachPolicy {
            arn: arn.to_string(),
            max_attached: 10,
        };
        store.update_holder(ACCOUNT, kind, name, change).unwrap()
    };
    attach(PrincipalKind::Role, "r", &arn);
    attach(PrincipalKind::Role, "r", SSM_CORE);
    let usage = store.policy_usage(ACCOUNT).unwrap();
    assert_eq!(usage[&arn].attached_roles.len(), 1);
    assert_eq!(usage[SSM_CORE].attached_roles[0].name, "r");
    assert!(matches!(
        store.delete_policy(ACCOUNT, &arn),
        Err(IamError::DeleteConflict(_))
    ));
    let add = |set_as_default| PolicyChange::AddVersion {
        document: "{\"v\":2}".into(),
        set_as_default,
        now: 1_800_000_000,
        max_versions: 3,
    };
    let p = store.update_policy(ACCOUNT, &arn, add(true)).unwrap();
    assert_eq!(p.default_version_id, "v2");
    store.update_policy(ACCOUNT, &arn, add(false)).unwrap();
    assert!(matches!(
        store.update_policy(ACCOUNT, &arn, add(false)),
        Err(IamError::LimitExceeded(_))
    ));
    assert!(matches!(
        store.update_policy(ACCOUNT, &arn, PolicyChange::DeleteVersion("v2".into())),
        Err(IamError::DeleteConflict(_))
    ));
    store
        .update_policy(ACCOUNT, &arn, PolicyChange::DeleteVersion("v1".into()))
        .unwrap();
    store
        .update_policy(
            ACCOUNT,
            &arn,
            PolicyChange::SetDefault {
                version_id: "v3".into(),
                now: 1_800_000_001,
            },
        )
        .unwrap();
    let p = store.get_policy(ACCOUNT, &arn).unwrap();
    assert_eq!(
        p.versions
            .iter()
            .map(|v| v.version_id.as_str())
            .collect::<Vec<_>>(),
        ["v2", "v3"]
    );
    assert_eq!(p.default_version_id, "v3");
    assert_eq!(p.update_date, 1_800_000_001);
    store
        .update_holder(
            ACCOUNT,
            PrincipalKind::Role,
            "r",
            HolderChange::DetachPolicy(arn.clone()),
        )
        .unwrap();
    store.delete_policy(ACCOUNT, &arn).unwrap();
    assert!(matches!(
        store.get_policy(ACCOUNT, &arn),
        Err(IamError::NoSuchEntity(_))
    ));
    assert_eq!(store.list_policies(ACCOUNT).unwrap().len(), 0);
}

/// Concurrent writers never lose an update or break an invariant.
pub fn concurrent_writers(store: Arc<dyn Store>) {
    store.create_role(role("shared"), 10_000).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            thread::spawn(move || {
                let mut created = 0;
                for i in 0..25 {
                    if store
                        .create_role(role(&format!("t{t}-r{i}")), 10_000)
                        .is_ok()
                    {
                        created += 1;
                    }
                    // Every thread races for the same names too: exactly one wins each.
                    let _ = store.create_role(role(&format!("race{i}")), 10_000);
                    let arn = format!("arn:aws:iam::aws:policy/T{t}P{i}");
                    let change = |c| store.update_holder(ACCOUNT, PrincipalKind::Role, "shared", c);
                    let _ = change(HolderChange::AttachPolicy {
                        arn,
                        max_attached: 10,
                    });
                    change(HolderChange::Tags(TagChange::Tag {
                        tags: vec![tag(&format!("t{t}"), &i.to_string())],
                        max_tags: 50,
                    }))
                    .unwrap();
                }
                created
            })
        })
        .collect();
    let created: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(created, 200);
    let roles = all_roles(&*store);
    assert_eq!(roles.len(), 1 + 200 + 25);
    let shared = store.get_role(ACCOUNT, "shared").unwrap();
    assert_eq!(
        shared.attached_policies.len(),
        10,
        "the quota holds under races"
    );
    assert_eq!(shared.tags.len(), 8, "no tag update was lost");
    assert!(shared.tags.iter().all(|t| t.value == "24"));
}

/// Reset forgets everything.
pub fn reset_forgets(store: &dyn Store) {
    store.create_role(role("a"), 1000).unwrap();
    store.create_policy(policy("p"), 10).unwrap();
    let mut u = user("u");
    u.access_keys.push(access_key("AKIAAAAAAAAAAAAAAAA1"));
    store.create_user(u, 10).unwrap();
    store.reset().unwrap();
    assert!(all_roles(store).is_empty());
    assert!(matches!(
        store.get_user(ACCOUNT, "u"),
        Err(IamError::NoSuchEntity(_))
    ));
    assert!(store
        .find_access_key("AKIAAAAAAAAAAAAAAAA1")
        .unwrap()
        .is_none());
    assert!(store.list_policies(ACCOUNT).unwrap().is_empty());
    store.create_role(role("a"), 1000).unwrap();
}

/// Quotas of roles and policies per account.
pub fn account_quotas(store: &dyn Store) {
    store.create_role(role("a"), 2).unwrap();
    store.create_role(role("b"), 2).unwrap();
    assert_eq!(
        store.create_role(role("c"), 2).unwrap_err(),
        IamError::LimitExceeded("Cannot exceed quota for RolesPerAccount: 2".into())
    );
    store.create_policy(policy("p"), 1).unwrap();
    assert!(matches!(
        store.create_policy(policy("q"), 1),
        Err(IamError::LimitExceeded(_))
    ));
}

/// Users: names ignore case, every field round-trips, listing pages with path prefixes.
pub fn users_round_trip_and_list(store: &dyn Store) {
    let mut u = user("Alice");
    u.path = "/team/".into();
    u.tags = vec![Tag {
        key: "k".into(),
        value: "é 🙂".into(),
    }];
    u.inline_policies.insert("p".into(), "{ \"x\": 1 }".into());
    u.attached_policies = vec![SSM_CORE.into()];
    u.permissions_boundary = Some(SSM_CORE.into());
    u.access_keys = vec![access_key("AKIAAAAAAAAAAAAAAAA1")];
    store.create_user(u.clone(), 100).unwrap();
    assert_eq!(*store.get_user(ACCOUNT, "ALICE").unwrap(), u);
    assert_eq!(
        store.create_user(user("alice"), 100).unwrap_err(),
        IamError::EntityAlreadyExists("User with name alice already exists.".into())
    );
    assert_eq!(
        store.get_user(ACCOUNT, "bob").unwrap_err(),
        IamError::NoSuchEntity("The user with name bob cannot be found.".into())
    );
    // A user and a role may share a name.
    store.create_role(role("Alice"), 100).unwrap();
    for i in (0..12).rev() {
        store.create_user(user(&format!("u{i:02}")), 100).unwrap();
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = store
            .list_users(
                ACCOUNT,
                ListRange {
                    path_prefix: "/",
                    marker: marker.as_deref(),
                    max_items: 5,
                },
            )
            .unwrap();
        seen.extend(page.items.iter().map(|u| u.name.clone()));
        match page.marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    let mut expected = vec!["Alice".to_string()];
    expected.extend((0..12).map(|i| format!("u{i:02}")));
    assert_eq!(seen, expected);
    let team = store
        .list_users(
            ACCOUNT,
            ListRange {
                path_prefix: "/team/",
                marker: None,
                max_items: 100,
            },
        )
        .unwrap();
    assert_eq!(team.items.len(), 1);
    assert_eq!(
        store.create_user(user("one-too-many"), 13).unwrap_err(),
        IamError::LimitExceeded("Cannot exceed quota for UsersPerAccount: 13".into())
    );
}

/// Every user change applies, quotas and AWS's messages hold, and a user
/// with a login profile, keys, policies or groups cannot be deleted, the
/// first of these named in AWS's order.
pub fn user_changes(store: &dyn Store) {
    store.create_user(user("u"), 100).unwrap();
    let change = |c| store.update_user(ACCOUNT, "U", c);
    change(UserChange::AddAccessKey {
        key: access_key("AKIAAAAAAAAAAAAAAAA1"),
        max_keys: 2,
    })
    .unwrap();
    change(UserChange::AddAccessKey {
        key: access_key("AKIAAAAAAAAAAAAAAAA2"),
        max_keys: 2,
    })
    .unwrap();
    assert_eq!(
        change(UserChange::AddAccessKey {
            key: access_key("AKIAAAAAAAAAAAAAAAA3"),
            max_keys: 2
        })
        .unwrap_err(),
        IamError::LimitExceeded("Cannot exceed quota for AccessKeysPerUser: 2".into())
    );
    change(UserChange::SetAccessKeyStatus {
        access_key_id: "AKIAAAAAAAAAAAAAAAA2".into(),
        status: AccessKeyStatus::Inactive,
    })
    .unwrap();
    assert_eq!(
        change(UserChange::DeleteAccessKey("AKIAAAAAAAAAAAAAAAA9".into())).unwrap_err(),
        IamError::NoSuchEntity(
            "The Access Key with id AKIAAAAAAAAAAAAAAAA9 cannot be found.".into()
        )
    );
    let u = store.get_user(ACCOUNT, "u").unwrap();
    assert_eq!(
        u.access_keys.iter().map(|k| k.status).collect::<Vec<_>>(),
        [AccessKeyStatus::Active, AccessKeyStatus::Inactive]
    );
    assert_eq!(
        store
            .find_access_key("AKIAAAAAAAAAAAAAAAA2")
            .unwrap()
            .unwrap()
            .name,
        "u"
    );
    let holder = |c| store.update_holder(ACCOUNT, PrincipalKind::User, "u", c);
    holder(HolderChange::AttachPolicy {
        arn: SSM_CORE.into(),
        max_attached: 10,
    })
    .unwrap();
    store.create_group(group("g"), 10).unwrap();
    store
        .update_group(
            ACCOUNT,
            "g",
            GroupChange::AddUser {
                user_name: "u".into(),
                max_groups_per_user: 10,
            },
        )
        .unwrap();

    // DeleteUser names the first dependent object, in AWS's order.
    let conflict = |m: &str| IamError::DeleteConflict(m.to_string());
    assert_eq!(
        store.delete_user(ACCOUNT, "u").unwrap_err(),
        conflict("Cannot delete entity, must delete access keys first.")
    );
    change(UserChange::DeleteAccessKey("AKIAAAAAAAAAAAAAAAA1".into())).unwrap();
    change(UserChange::DeleteAccessKey("AKIAAAAAAAAAAAAAAAA2".into())).unwrap();
    assert!(store
        .find_access_key("AKIAAAAAAAAAAAAAAAA2")
        .unwrap()
        .is_none());
    assert_eq!(
        store.delete_user(ACCOUNT, "u").unwrap_err(),
        conflict("Cannot delete entity, must detach all policies first.")
    );
    holder(HolderChange::DetachPolicy(SSM_CORE.into())).unwrap();
    assert_eq!(
        store.delete_user(ACCOUNT, "u").unwrap_err(),
        conflict("Cannot delete entity, must remove users from group first.")
    );
    store
        .update_group(ACCOUNT, "g", GroupChange::RemoveUser("u".into()))
        .unwrap();
    store.delete_user(ACCOUNT, "u").unwrap();
    assert!(matches!(
        store.get_user(ACCOUNT, "u"),
        Err(IamError::NoSuchEntity(_))
    ));
}

/// Renaming keeps access keys findable under the new name; a taken name is refused.
pub fn user_rename_keeps_keys(store: &dyn Store) {
    let mut u = user("before");
    u.access_keys.push(access_key("AKIAAAAAAAAAAAAAAAA1"));
    store.create_user(u, 100).unwrap();
    store.create_user(user("taken"), 100).unwrap();
    assert_eq!(
        store
            .update_user(
                ACCOUNT,
                "before",
                UserChange::Rename {
                    new_name: Some("TAKEN".into()),
                    new_path: None
                }
            )
            .unwrap_err(),
        IamError::EntityAlreadyExists("User with name TAKEN already exists.".into())
    );
    // A change of case only is a rename to the same slot.
    store
        .update_user(
            ACCOUNT,
            "before",
            UserChange::Rename {
                new_name: Some("Before".into()),
                new_path: None,
            },
        )
        .unwrap();
    let renamed = store
        .update_user(
            ACCOUNT,
            "Before",
            UserChange::Rename {
                new_name: Some("after".into()),
                new_path: Some("/new/".into()),
            },
        )
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.path.as_str()),
        ("after", "/new/")
    );
    assert!(matches!(
        store.get_user(ACCOUNT, "before"),
        Err(IamError::NoSuchEntity(_))
    ));
    let owner = store
        .find_access_key("AKIAAAAAAAAAAAAAAAA1")
        .unwrap()
        .unwrap();
    assert_eq!(owner.name, "after");
    assert_eq!(
        owner.arn(),
        format!("arn:aws:iam::{ACCOUNT}:user/new/after")
    );
}

/// A user is found by its unique id whatever its name now, and not once it
/// is deleted, even if another user takes its name.
pub fn users_by_id(store: &dyn Store) {
    let first = store.create_user(user("bob"), 100).unwrap();
    assert_eq!(
        store.user_by_id(ACCOUNT, &first.user_id).unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.user_by_id("210987654321", &first.user_id).unwrap(),
        None,
        "per account"
    );
    let renamed = store
        .update_user(
            ACCOUNT,
            "bob",
            UserChange::Rename {
                new_name: Some("robert".into()),
                new_path: None,
            },
        )
        .unwrap();
    assert_eq!(
        store.user_by_id(ACCOUNT, &first.user_id).unwrap(),
        Some(renamed)
    );
    store.delete_user(ACCOUNT, "robert").unwrap();
    let second = store.create_user(user("robert"), 100).unwrap();
    assert_eq!(store.user_by_id(ACCOUNT, &first.user_id).unwrap(), None);
    assert_eq!(
        store.user_by_id(ACCOUNT, &second.user_id).unwrap(),
        Some(second)
    );
}

/// Policies attached to users count as attachments: usage, and DeletePolicy conflicts.
pub fn user_policy_usage(store: &dyn Store) {
    let p = store.create_policy(policy("Mine"), 10).unwrap();
    let arn = p.arn();
    store.create_user(user("u"), 100).unwrap();
    let change = |c| store.update_holder(ACCOUNT, PrincipalKind::User, "u", c);
    change(HolderChange::AttachPolicy {
        arn: arn.clone(),
        max_attached: 10,
    })
    .unwrap();
    change(HolderChange::Boundary(Some(arn.clone()))).unwrap();
    let usage = store.policy_usage(ACCOUNT).unwrap();
    assert_eq!(usage[&arn].attached_users[0].name, "u");
    assert_eq!(usage[&arn].attachment_count(), 1);
    assert_eq!(usage[&arn].boundary_count, 1);
    assert!(matches!(
        store.delete_policy(ACCOUNT, &arn),
        Err(IamError::DeleteConflict(_))
    ));
    change(HolderChange::DetachPolicy(arn.clone())).unwrap();
    change(HolderChange::Boundary(None)).unwrap();
    store.delete_policy(ACCOUNT, &arn).unwrap();
}

/// Access key last use is recorded and forgotten with the key's user.
pub fn access_key_last_use(store: &dyn Store) {
    let mut u = user("u");
    u.access_keys.push(access_key("AKIAAAAAAAAAAAAAAAA1"));
    store.create_user(u, 100).unwrap();
    assert_eq!(
        store.access_key_last_used("AKIAAAAAAAAAAAAAAAA1").unwrap(),
        None
    );
    let used = |date| AccessKeyUse {
        date,
        service: "iam".into(),
        region: "us-east-1".into(),
    };
    store
        .record_access_key_use("AKIAAAAAAAAAAAAAAAA1", used(1_800_000_000))
        .unwrap();
    store
        .record_access_key_use("AKIAAAAAAAAAAAAAAAA1", used(1_800_000_005))
        .unwrap();
    assert_eq!(
        store.access_key_last_used("AKIAAAAAAAAAAAAAAAA1").unwrap(),
        Some(used(1_800_000_005))
    );
    store
        .update_user(
            ACCOUNT,
            "u",
            UserChange::DeleteAccessKey("AKIAAAAAAAAAAAAAAAA1".into()),
        )
        .unwrap();
    store.reset().unwrap();
    assert_eq!(
        store.access_key_last_used("AKIAAAAAAAAAAAAAAAA1").unwrap(),
        None
    );
    assert!(store
        .find_access_key("AKIAAAAAAAAAAAAAAAA1")
        .unwrap()
        .is_none());
}

/// Role last use is recorded by role id, only for a role that exists, is
/// forgotten with the role, and is never inherited by a role re-created
/// under the same name (AWS gives it a new RoleId and no history).
pub fn role_last_use(store: &dyn Store) {
    let used = |date, region: &str| RoleLastUsed {
        date,
        region: region.to_string(),
    };
    let first = store.create_role(role("Worker"), 100).unwrap();
    assert_eq!(store.role_last_used(&first.role_id).unwrap(), None);
    // Names are matched ignoring case, as everywhere.
    store
        .record_role_use(
            ACCOUNT,
            "WORKER",
            &first.role_id,
            used(1_800_000_000, "us-east-1"),
        )
        .unwrap();
    assert_eq!(
        store.role_last_used(&first.role_id).unwrap(),
        Some(used(1_800_000_000, "us-east-1"))
    );
    store
        .record_role_use(
            ACCOUNT,
            "Worker",
            &first.role_id,
            used(1_800_000_005, "eu-west-1"),
        )
        .unwrap();
    assert_eq!(
        store.role_last_used(&first.role_id).unwrap(),
        Some(used(1_800_000_005, "eu-west-1"))
    );
    // A session of a role that does not exist (any more) records nothing.
    store
        .record_role_use(
            ACCOUNT,
            "Missing",
            "AROAMISSING",
            used(1_800_000_006, "us-east-1"),
        )
        .unwrap();
    assert_eq!(store.role_last_used("AROAMISSING").unwrap(), None);

    store.delete_role(ACCOUNT, "worker").unwrap();
    assert_eq!(store.role_last_used(&first.role_id).unwrap(), None);
    let second = store.create_role(role("Worker"), 100).unwrap();
    assert_ne!(second.role_id, first.role_id);
    assert_eq!(store.role_last_used(&second.role_id).unwrap(), None);
    // The old role's sessions still sign requests: they do not count for the new role.
    store
        .record_role_use(
            ACCOUNT,
            "Worker",
            &first.role_id,
            used(1_800_000_100, "us-east-1"),
        )
        .unwrap();
    assert_eq!(store.role_last_used(&first.role_id).unwrap(), None);
    assert_eq!(store.role_last_used(&second.role_id).unwrap(), None);

    store
        .record_role_use(
            ACCOUNT,
            "Worker",
            &second.role_id,
            used(1_800_000_200, "ap-south-1"),
        )
        .unwrap();
    assert_eq!(
        store.role_last_used(&second.role_id).unwrap(),
        Some(used(1_800_000_200, "ap-south-1"))
    );
    store.reset().unwrap();
    assert_eq!(store.role_last_used(&second.role_id).unwrap(), None);
}

/// Concurrent key creation never exceeds the per-user quota.
pub fn concurrent_access_keys(store: Arc<dyn Store>) {
    store.create_user(user("shared"), 100).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            thread::spawn(move || {
                let key = access_key(&format!("AKIAAAAAAAAAAAAAAAT{t}"));
                store
                    .update_user(
                        ACCOUNT,
                        "shared",
                        UserChange::AddAccessKey { key, max_keys: 2 },
                    )
                    .is_ok()
            })
        })
        .collect();
    let created = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(created, 2);
    assert_eq!(
        store.get_user(ACCOUNT, "shared").unwrap().access_keys.len(),
        2
    );
}

/// An OpenID Connect provider for `url` in the test account.
pub fn oidc_provider(url: &str) -> OidcProvider {
    OidcProvider {
        account_id: ACCOUNT.to_string(),
        url: url.to_string(),
        client_ids: vec!["sts.amazonaws.com".into()],
        thumbprints: vec!["0123456789abcdef0123456789abcdef01234567".into()],
        tags: vec![Tag {
            key: "k".into(),
            value: "v".into(),
        }],
        create_date: 1_700_000_000,
    }
}

/// OpenID Connect providers: one per URL, changes, deletion.
pub fn oidc_providers(store: &dyn Store) {
    let p = store
        .create_oidc_provider(oidc_provider("https://token.example.com/path"))
        .unwrap();
    let arn = p.arn();
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com/path")
    );
    assert_eq!(
        store
            .create_oidc_provider(oidc_provider("https://token.example.com/path"))
            .unwrap_err(),
        IamError::EntityAlreadyExists(
            "Provider with url https://token.example.com/path already exists.".into()
        )
    );
    store
        .create_oidc_provider(oidc_provider("https://accounts.example.org"))
        .unwrap();
    assert_eq!(
        *store.get_oidc_provider(ACCOUNT, &arn).unwrap(),
        oidc_provider("https://token.example.com/path")
    );
    assert_eq!(store.list_oidc_providers(ACCOUNT).unwrap().len(), 2);
    store
        .update_oidc_provider(ACCOUNT, &arn, OidcChange::AddClientId("app".into()))
        .unwrap();
    store
        .update_oidc_provider(ACCOUNT, &arn, OidcChange::AddClientId("app".into()))
        .unwrap();
    store
        .update_oidc_provider(
            ACCOUNT,
            &arn,
            OidcChange::RemoveClientId("sts.amazonaws.com".into()),
        )
        .unwrap();
    store
        .update_oidc_provider(ACCOUNT, &arn, OidcChange::Thumbprints(vec![]))
        .unwrap();
    let p = store.get_oidc_provider(ACCOUNT, &arn).unwrap();
    assert_eq!(
        (p.client_ids.clone(), p.thumbprints.len()),
        (vec!["app".to_string()], 0)
    );
    store.delete_oidc_provider(ACCOUNT, &arn).unwrap();
    assert_eq!(
        store.get_oidc_provider(ACCOUNT, &arn).unwrap_err(),
        IamError::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
    );
    assert!(matches!(
        store.delete_oidc_provider(ACCOUNT, &arn),
        Err(IamError::NoSuchEntity(_))
    ));
    store.reset().unwrap();
    assert!(store.list_oidc_providers(ACCOUNT).unwrap().is_empty());
}

/// Tags of customer managed policies and OIDC providers: merged ignoring
/// case, bounded by the quota (a refused change leaves them as they were),
/// removed, and kept by the store.
pub fn policy_and_oidc_provider_tags(store: &dyn Store) {
    let tag = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    let p = store.create_policy(policy("Tagged"), 10).unwrap();
    let arn = p.arn();
    let add = |tags: Vec<Tag>| PolicyChange::Tag { tags, max_tags: 2 };
    store
        .update_policy(
            ACCOUNT,
            &arn,
            add(vec![tag("env", "dev"), tag("team", "a")]),
        )
        .unwrap();
    store
        .update_policy(ACCOUNT, &arn, add(vec![tag("ENV", "prod")]))
        .unwrap();
    assert_eq!(
        store.update_policy(ACCOUNT, &arn, add(vec![tag("third", "x")])),
        Err(IamError::LimitExceeded(
            "Cannot exceed quota for TagsPerPolicy: 2".into()
        ))
    );
    let p = store.get_policy(ACCOUNT, &arn).unwrap();
    assert_eq!(p.tags, vec![tag("ENV", "prod"), tag("team", "a")]);
    assert_eq!(p.update_date, policy("Tagged").update_date);
    store
        .update_policy(ACCOUNT, &arn, PolicyChange::Untag(vec!["env".into()]))
        .unwrap();
    assert_eq!(
        store.get_policy(ACCOUNT, &arn).unwrap().tags,
        vec![tag("team", "a")]
    );
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/Missing");
    assert_eq!(
        store.update_policy(ACCOUNT, &missing, add(vec![])),
        Err(IamError::NoSuchEntity(format!(
            "Policy {missing} was not found."
        )))
    );

    let o = store
        .create_oidc_provider(oidc_provider("https://tags.example.com"))
        .unwrap();
    let arn = o.arn();
    let add = |tags: Vec<Tag>| OidcChange::Tag { tags, max_tags: 2 };
    store
        .update_oidc_provider(ACCOUNT, &arn, add(vec![tag("K", "w"), tag("team", "b")]))
        .unwrap();
    assert_eq!(
        store.update_oidc_provider(ACCOUNT, &arn, add(vec![tag("third", "x")])),
        Err(IamError::LimitExceeded(
            "Cannot exceed quota for TagsPerOpenIDConnectProvider: 2".into()
        ))
    );
    assert_eq!(
        store.get_oidc_provider(ACCOUNT, &arn).unwrap().tags,
        vec![tag("K", "w"), tag("team", "b")]
    );
    store
        .update_oidc_provider(ACCOUNT, &arn, OidcChange::Untag(vec!["k".into()]))
        .unwrap();
    assert_eq!(
        store.get_oidc_provider(ACCOUNT, &arn).unwrap().tags,
        vec![tag("team", "b")]
    );
    let missing = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/missing.example.com");
    assert_eq!(
        store.update_oidc_provider(ACCOUNT, &missing, OidcChange::Untag(vec![])),
        Err(IamError::NoSuchEntity(format!(
            "OpenIDConnect Provider not found for arn {missing}"
        )))
    );
}

/// Login profiles: one per user, updated and deleted only when present,
/// changed only from the hash the old password was verified against, and
/// blocking DeleteUser.
pub fn login_profiles(store: &dyn Store) {
    store.create_user(user("Pat"), 10).unwrap();
    let missing = IamError::NoSuchEntity("Login Profile for User pat cannot be found.".into());
    let update =
        |password_hash: Option<&str>, password_reset_required| UserChange::UpdateLoginProfile {
            password_hash: password_hash.map(PasswordHash::from_phc),
            password_reset_required,
        };
    assert_eq!(
        store
            .update_user(ACCOUNT, "pat", update(Some("$h2"), None))
            .unwrap_err(),
        missing
    );
    assert_eq!(
        store
            .update_user(ACCOUNT, "pat", UserChange::DeleteLoginProfile)
            .unwrap_err(),
        missing
    );
    let profile = login_profile("$h1");
    let u = store
        .update_user(
            ACCOUNT,
            "pat",
            UserChange::CreateLoginProfile(profile.clone()),
        )
        .unwrap();
    assert_eq!(u.login_profile.as_ref(), Some(&profile));
    assert_eq!(
        store
            .update_user(
                ACCOUNT,
                "PAT",
                UserChange::CreateLoginProfile(login_profile("$other"))
            )
            .unwrap_err(),
        IamError::EntityAlreadyExists("Login Profile for user PAT already exists.".into())
    );
    assert_eq!(
        store
            .get_user(ACCOUNT, "pat")
            .unwrap()
            .login_profile
            .as_ref(),
        Some(&profile)
    );
    // Only the members given change.
    let u = store
        .update_user(ACCOUNT, "pat", update(None, Some(false)))
        .unwrap();
    assert_eq!(
        u.login_profile
            .as_ref()
            .map(|p| (p.password_hash.phc(), p.password_reset_required)),
        Some(("$h1", false))
    );
    let u = store
        .update_user(ACCOUNT, "pat", update(Some("$h2"), None))
        .unwrap();
    assert_eq!(
        u.login_profile
            .as_ref()
            .map(|p| (p.password_hash.phc(), p.password_reset_required)),
        Some(("$h2", false))
    );
    store
        .update_user(ACCOUNT, "pat", update(None, Some(true)))
        .unwrap();
    // ChangePassword applies only over the verified hash, and clears the reset flag.
    let change = |verified: &str, new: &str| UserChange::ChangePassword {
        verified: PasswordHash::from_phc(verified),
        new_hash: PasswordHash::from_phc(new),
    };
    assert_eq!(
        store
            .update_user(ACCOUNT, "pat", change("$h1", "$h3"))
            .unwrap_err()
            .code(),
        "InvalidUserType"
    );
    let u = store
        .update_user(ACCOUNT, "pat", change("$h2", "$h3"))
        .unwrap();
    assert_eq!(
        u.login_profile
            .as_ref()
            .map(|p| (p.password_hash.phc(), p.password_reset_required)),
        Some(("$h3", false))
    );
    // A rename keeps the profile.
    store
        .update_user(
            ACCOUNT,
            "pat",
            UserChange::Rename {
                new_name: Some("Patricia".into()),
                new_path: None,
            },
        )
        .unwrap();
    assert!(store
        .get_user(ACCOUNT, "patricia")
        .unwrap()
        .login_profile
        .is_some());
    assert_eq!(
        store.delete_user(ACCOUNT, "patricia").unwrap_err(),
        IamError::DeleteConflict("Cannot delete entity, must delete login profile first.".into())
    );
    store
        .update_user(ACCOUNT, "patricia", UserChange::DeleteLoginProfile)
        .unwrap();
    assert!(store
        .get_user(ACCOUNT, "patricia")
        .unwrap()
        .login_profile
        .is_none());
    store.delete_user(ACCOUNT, "patricia").unwrap();
}

/// Password policies: one per account, replaced whole, deleted once, reset.
pub fn password_policies(store: &dyn Store) {
    const OTHER: &str = "210987654321";
    assert_eq!(store.get_password_policy(ACCOUNT).unwrap(), None);
    assert_eq!(
        store.delete_password_policy(ACCOUNT).unwrap_err(),
        IamError::NoSuchEntity(
            "The account policy with name PasswordPolicy cannot be found.".into()
        )
    );
    let strict = PasswordPolicy {
        minimum_password_length: 14,
        require_symbols: true,
        require_numbers: true,
        require_uppercase_characters: true,
        require_lowercase_characters: true,
        allow_users_to_change_password: true,
        max_password_age: Some(90),
        password_reuse_prevention: Some(24),
        hard_expiry: Some(true),
    };
    store.put_password_policy(ACCOUNT, strict.clone()).unwrap();
    assert_eq!(store.get_password_policy(ACCOUNT).unwrap(), Some(strict));
    assert_eq!(store.get_password_policy(OTHER).unwrap(), None);
    store
        .put_password_policy(ACCOUNT, PasswordPolicy::default())
        .unwrap();
    assert_eq!(
        store.get_password_policy(ACCOUNT).unwrap(),
        Some(PasswordPolicy::default())
    );
    store.delete_password_policy(ACCOUNT).unwrap();
    assert_eq!(store.get_password_policy(ACCOUNT).unwrap(), None);
    assert!(store.delete_password_policy(ACCOUNT).is_err());
    store
        .put_password_policy(OTHER, PasswordPolicy::default())
        .unwrap();
    store.reset().unwrap();
    assert_eq!(store.get_password_policy(OTHER).unwrap(), None);
}

/// An instance profile named `name` in the test account, without roles.
pub fn instance_profile(name: &str) -> InstanceProfile {
    InstanceProfile {
        account_id: ACCOUNT.to_string(),
        instance_profile_id: crate::ids::unique_id("AIPA"),
        name: name.to_string(),
        path: "/".to_string(),
        create_date: 1_700_000_000,
        roles: Vec::new(),
        tags: Vec::new(),
    }
}

/// Instance profiles: unique names ignoring case, the account quota, one
/// role per profile, tags, listings by path and by role, and the delete
/// conflicts both ways (a profile with a role, a role in a profile).
pub fn instance_profiles(store: &dyn Store) {
    let add = |profile: &str, role: &str| {
        store.update_instance_profile(
            ACCOUNT,
            profile,
            InstanceProfileChange::AddRole {
                role_name: role.into(),
                max_roles: crate::instance_profiles::ROLES_PER_INSTANCE_PROFILE,
            },
        )
    };
    let created = store
        .create_instance_profile(instance_profile("Web"), 3)
        .unwrap();
    assert_eq!(
        *store.get_instance_profile(ACCOUNT, "WEB").unwrap(),
        *created
    );
    assert!(matches!(
        store.create_instance_profile(instance_profile("web"), 3),
        Err(IamError::EntityAlreadyExists(_))
    ));
    let mut deep = instance_profile("Deep");
    deep.path = "/a/b/".into();
    store.create_instance_profile(deep, 3).unwrap();
    store
        .create_instance_profile(instance_profile("Batch"), 3)
        .unwrap();
    assert_eq!(
        store
            .create_instance_profile(instance_profile("Fourth"), 3)
            .err(),
        Some(IamError::LimitExceeded(
            "Cannot exceed quota for InstanceProfilesPerAccount: 3".into()
        ))
    );
    assert!(matches!(
        store.get_instance_profile(ACCOUNT, "nope"),
        Err(IamError::NoSuchEntity(_))
    ));

    // Listing: name order ignoring case, pages, path prefix.
    let all = |prefix: &str, max: usize| {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..10 {
            let page = store
                .list_instance_profiles(
                    ACCOUNT,
                    ListRange {
                        path_prefix: prefix,
                        marker: marker.as_deref(),
                        max_items: max,
                    },
                )
                .unwrap();
            names.extend(page.items.iter().map(|p| p.name.clone()));
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        names
    };
    assert_eq!(all("/", 1), vec!["Batch", "Deep", "Web"]);
    assert_eq!(all("/a/", 10), vec!["Deep"]);

    // Roles: the role must exist; one per profile.
    store.create_role(role("AppRole"), 10).unwrap();
    store.create_role(role("Other"), 10).unwrap();
    assert!(matches!(
        add("Web", "ghost"),
        Err(IamError::NoSuchEntity(_))
    ));
    assert!(matches!(
        add("ghost", "AppRole"),
        Err(IamError::NoSuchEntity(_))
    ));
    assert_eq!(
        add("Web", "approle").unwrap().roles,
        vec!["AppRole".to_string()]
    );
    assert!(matches!(
        add("Web", "Other"),
        Err(IamError::LimitExceeded(_))
    ));
    add("Deep", "AppRole").unwrap();
    let for_role = |role: &str, max: usize, marker: Option<&str>| {
        store.list_instance_profiles_for_role(
            ACCOUNT,
            role,
            ListRange {
                path_prefix: "/",
                marker,
                max_items: max,
            },
        )
    };
    let first = for_role("APPROLE", 1, None).unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Deep"]
    );
    let rest = for_role("AppRole", 1, first.marker.as_deref()).unwrap();
    assert_eq!(
        rest.items
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Web"]
    );
    assert!(rest.marker.is_none());
    assert!(for_role("Other", 10, None).unwrap().items.is_empty());
    assert!(matches!(
        for_role("ghost", 10, None),
        Err(IamError::NoSuchEntity(_))
    ));

    // Delete conflicts, both ways.
    let conflict = Err(IamError::DeleteConflict(
        crate::instance_profiles::REMOVE_ROLES_FIRST.into(),
    ));
    assert_eq!(store.delete_instance_profile(ACCOUNT, "web"), conflict);
    assert_eq!(store.delete_role(ACCOUNT, "AppRole"), conflict);
    store
        .update_instance_profile(
            ACCOUNT,
            "Web",
            InstanceProfileChange::RemoveRole("approle".into()),
        )
        .unwrap();
    assert!(matches!(
        store.update_instance_profile(
            ACCOUNT,
            "Web",
            InstanceProfileChange::RemoveRole("AppRole".into())
        ),
        Err(IamError::NoSuchEntity(_))
    ));
    assert_eq!(
        store.delete_role(ACCOUNT, "AppRole"),
        conflict,
        "still in Deep"
    );
    store
        .update_instance_profile(
            ACCOUNT,
            "Deep",
            InstanceProfileChange::RemoveRole("AppRole".into()),
        )
        .unwrap();
    store.delete_role(ACCOUNT, "AppRole").unwrap();
    store.delete_instance_profile(ACCOUNT, "WEB").unwrap();
    assert!(matches!(
        store.get_instance_profile(ACCOUNT, "Web"),
        Err(IamError::NoSuchEntity(_))
    ));
    assert!(matches!(
        store.delete_instance_profile(ACCOUNT, "Web"),
        Err(IamError::NoSuchEntity(_))
    ));

    // Tags.
    let tag = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    let tagged = store
        .update_instance_profile(
            ACCOUNT,
            "Batch",
            InstanceProfileChange::Tag {
                tags: vec![tag("env", "prod"), tag("team", "a")],
                max_tags: 2,
            },
        )
        .unwrap();
    assert_eq!(tagged.tags, vec![tag("env", "prod"), tag("team", "a")]);
    assert!(matches!(
        store.update_instance_profile(
            ACCOUNT,
            "Batch",
            InstanceProfileChange::Tag {
                tags: vec![tag("x", "")],
                max_tags: 2
            }
        ),
        Err(IamError::LimitExceeded(_))
    ));
    assert_eq!(
        store
            .get_instance_profile(ACCOUNT, "Batch")
            .unwrap()
            .tags
            .len(),
        2,
        "a refused change leaves the profile as it was"
    );
    store
        .update_instance_profile(
            ACCOUNT,
            "Batch",
            InstanceProfileChange::Untag(vec!["ENV".into()]),
        )
        .unwrap();
    assert_eq!(
        store.get_instance_profile(ACCOUNT, "Batch").unwrap().tags,
        vec![tag("team", "a")]
    );

    store.reset().unwrap();
    assert!(store
        .list_instance_profiles(
            ACCOUNT,
            ListRange {
                path_prefix: "/",
                marker: None,
                max_items: 10
            }
        )
        .unwrap()
        .items
        .is_empty());
}

fn everything() -> ListRange<'static> {
    ListRange {
        path_prefix: "/",
        marker: None,
        max_items: usize::MAX,
    }
}

fn names<T>(items: &[Arc<T>], name: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| name(i).to_string()).collect()
}

/// Groups: names ignore case, every field round-trips, listing pages with
/// path prefixes, the account quota, renames keep members and policies,
/// memberships follow users through renames, and DeleteGroup's conflicts.
pub fn groups(store: &dyn Store) {
    let mut g = group("Admins");
    g.path = "/ops/".into();
    g.inline_policies.insert("p".into(), "{ \"x\": 1 }".into());
    g.attached_policies = vec![SSM_CORE.into()];
    store.create_group(g.clone(), 3).unwrap();
    assert_eq!(*store.get_group(ACCOUNT, "ADMINS").unwrap(), g);
    assert_eq!(
        store.create_group(group("admins"), 3).unwrap_err(),
        IamError::EntityAlreadyExists("Group with name admins already exists.".into())
    );
    store.create_group(group("b"), 3).unwrap();
    store.create_group(group("c"), 3).unwrap();
    assert_eq!(
        store.create_group(group("d"), 3).unwrap_err(),
        IamError::LimitExceeded("Cannot exceed quota for GroupsPerAccount: 3".into())
    );
    let page = store
        .list_groups(
            ACCOUNT,
            ListRange {
                path_prefix: "/",
                marker: None,
                max_items: 2,
            },
        )
        .unwrap();
    assert_eq!(names(&page.items, |g| &g.name), ["Admins", "b"]);
    let rest = store
        .list_groups(
            ACCOUNT,
            ListRange {
                path_prefix: "/",
                marker: page.marker.as_deref(),
                max_items: 2,
            },
        )
        .unwrap();
    assert_eq!(names(&rest.items, |g| &g.name), ["c"]);
    assert!(rest.marker.is_none());
    let ops = store
        .list_groups(
            ACCOUNT,
            ListRange {
                path_prefix: "/ops/",
                marker: None,
                max_items: 10,
            },
        )
        .unwrap();
    assert_eq!(names(&ops.items, |g| &g.name), ["Admins"]);

    // Members, in name order, paginated.
    for name in ["zed", "amy", "Bob"] {
        store.create_user(user(name), 100).unwrap();
    }
    let add = |group: &str, user: &str, max| {
        store.update_group(
            ACCOUNT,
            group,
            GroupChange::AddUser {
                user_name: user.into(),
                max_groups_per_user: max,
            },
        )
    };
    for name in ["zed", "AMY", "bob"] {
        add("admins", name, 10).unwrap();
    }
    add("admins", "amy", 1).unwrap(); // already a member: no quota, no change
    assert_eq!(
        add("b", "amy", 1).unwrap_err(),
        IamError::LimitExceeded("Cannot exceed quota for GroupsPerUser: 1".into())
    );
    assert_eq!(
        add("b", "nobody", 10).unwrap_err(),
        IamError::NoSuchEntity("The user with name nobody cannot be found.".into())
    );
    assert_eq!(
        add("nogroup", "amy", 10).unwrap_err(),
        IamError::NoSuchEntity("The group with name nogroup cannot be found.".into())
    );
    add("b", "amy", 10).unwrap();
    let range = |marker| ListRange {
        path_prefix: "/",
        marker,
        max_items: 2,
    };
    let (found, first) = store.group_users(ACCOUNT, "Admins", range(None)).unwrap();
    assert_eq!(found.name, "Admins");
    assert_eq!(names(&first.items, |u| &u.name), ["amy", "Bob"]);
    let (_, second) = store
        .group_users(ACCOUNT, "Admins", range(first.marker.as_deref()))
        .unwrap();
    assert_eq!(names(&second.items, |u| &u.name), ["zed"]);
    assert!(second.marker.is_none());
    let of_amy = store.groups_for_user(ACCOUNT, "AMY", everything()).unwrap();
    assert_eq!(names(&of_amy.items, |g| &g.name), ["Admins", "b"]);
    assert_eq!(
        store
            .groups_for_user(ACCOUNT, "nobody", everything())
            .unwrap_err(),
        IamError::NoSuchEntity("The user with name nobody cannot be found.".into())
    );

    // Renaming a user keeps its memberships; renaming a group keeps its
    // members and policies, and frees the old name.
    store
        .update_user(
            ACCOUNT,
            "amy",
            UserChange::Rename {
                new_name: Some("amelia".into()),
                new_path: None,
            },
        )
        .unwrap();
    let rename = |name: &str, new_name: &str| {
        store.update_group(
            ACCOUNT,
            name,
            GroupChange::Rename {
                new_name: Some(new_name.into()),
                new_path: Some("/".into()),
            },
        )
    };
    assert_eq!(
        rename("admins", "B").unwrap_err(),
        IamError::EntityAlreadyExists("Group with name B already exists.".into())
    );
    let renamed = rename("admins", "Operators").unwrap();
    assert_eq!(renamed.group_id, g.group_id);
    assert_eq!(renamed.attached_policies, g.attached_policies);
    assert_eq!(
        renamed.arn(),
        format!("arn:aws:iam::{ACCOUNT}:group/Operators")
    );
    assert_eq!(
        store.get_group(ACCOUNT, "admins").unwrap_err(),
        IamError::NoSuchEntity("The group with name admins cannot be found.".into())
    );
    // A new case of the same name is no conflict with itself.
    rename("operators", "OPERATORS").unwrap();
    let (_, members) = store
        .group_users(ACCOUNT, "operators", everything())
        .unwrap();
    assert_eq!(names(&members.items, |u| &u.name), ["amelia", "Bob", "zed"]);
    let of_amelia = store
        .groups_for_user(ACCOUNT, "amelia", everything())
        .unwrap();
    assert_eq!(names(&of_amelia.items, |g| &g.name), ["b", "OPERATORS"]);

    // Attached to a group counts as an attachment.
    let usage = store.policy_usage(ACCOUNT).unwrap();
    assert_eq!(usage[SSM_CORE].attached_groups[0].name, "OPERATORS");
    assert_eq!(usage[SSM_CORE].attachment_count(), 1);
    let p = store.create_policy(policy("Mine"), 10).unwrap();
    store
        .update_holder(
            ACCOUNT,
            PrincipalKind::Group,
            "b",
            HolderChange::AttachPolicy {
                arn: p.arn(),
                max_attached: 10,
            },
        )
        .unwrap();
    assert_eq!(
        store.delete_policy(ACCOUNT, &p.arn()).unwrap_err(),
        IamError::DeleteConflict("Cannot delete a policy attached to entities.".into())
    );

    // DeleteGroup: users first, then policies.
    let conflict = |m: &str| IamError::DeleteConflict(m.to_string());
    assert_eq!(
        store.delete_group(ACCOUNT, "operators").unwrap_err(),
        conflict("Cannot delete entity, must remove users from group first.")
    );
    for name in ["amelia", "bob", "ZED"] {
        store
            .update_group(ACCOUNT, "operators", GroupChange::RemoveUser(name.into()))
            .unwrap();
    }
    assert_eq!(
        store
            .update_group(ACCOUNT, "operators", GroupChange::RemoveUser("zed".into()))
            .unwrap_err(),
        IamError::NoSuchEntity("User zed not in group OPERATORS".into())
    );
    assert_eq!(
        store.delete_group(ACCOUNT, "operators").unwrap_err(),
        conflict("Cannot delete entity, must detach all policies first.")
    );
    let change = |c| store.update_holder(ACCOUNT, PrincipalKind::Group, "operators", c);
    change(HolderChange::DetachPolicy(SSM_CORE.into())).unwrap();
    assert_eq!(
        store.delete_group(ACCOUNT, "operators").unwrap_err(),
        conflict("Cannot delete entity, must delete policies first.")
    );
    change(HolderChange::DeleteInlinePolicy("p".into())).unwrap();
    store.delete_group(ACCOUNT, "operators").unwrap();
    assert!(store
        .groups_for_user(ACCOUNT, "zed", everything())
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        store.delete_group(ACCOUNT, "operators").unwrap_err(),
        IamError::NoSuchEntity("The group with name operators cannot be found.".into())
    );
    store.reset().unwrap();
    assert!(store
        .list_groups(ACCOUNT, everything())
        .unwrap()
        .items
        .is_empty());
}

/// Declares one `#[test]` per conformance check for a backend. `$make` is an
/// expression giving a fresh, empty `Arc<dyn Store>` each time it is evaluated.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        #[test]
        fn conformance_names_are_case_insensitive() {
            $crate::conformance::names_are_case_insensitive(&*$make);
        }
        #[test]
        fn conformance_role_round_trips() {
            $crate::conformance::role_round_trips(&*$make);
        }
        #[test]
        fn conformance_listing_pages() {
            $crate::conformance::listing_pages(&*$make);
        }
        #[test]
        fn conformance_role_changes() {
            $crate::conformance::role_changes(&*$make);
        }
        #[test]
        fn conformance_holder_changes_of_users() {
            $crate::conformance::holder_changes(&*$make, $crate::holders::PrincipalKind::User);
        }
        #[test]
        fn conformance_holder_changes_of_roles() {
            $crate::conformance::holder_changes(&*$make, $crate::holders::PrincipalKind::Role);
        }
        #[test]
        fn conformance_holder_changes_of_groups() {
            $crate::conformance::holder_changes(&*$make, $crate::holders::PrincipalKind::Group);
        }
        #[test]
        fn conformance_groups() {
            $crate::conformance::groups(&*$make);
        }
        #[test]
        fn conformance_customer_policies() {
            $crate::conformance::customer_policies(&*$make);
        }
        #[test]
        fn conformance_concurrent_writers() {
            $crate::conformance::concurrent_writers($make);
        }
        #[test]
        fn conformance_reset_forgets() {
            $crate::conformance::reset_forgets(&*$make);
        }
        #[test]
        fn conformance_account_quotas() {
            $crate::conformance::account_quotas(&*$make);
        }
        #[test]
        fn conformance_users_round_trip_and_list() {
            $crate::conformance::users_round_trip_and_list(&*$make);
        }
        #[test]
        fn conformance_user_changes() {
            $crate::conformance::user_changes(&*$make);
        }
        #[test]
        fn conformance_user_rename_keeps_keys() {
            $crate::conformance::user_rename_keeps_keys(&*$make);
        }
        #[test]
        fn conformance_users_by_id() {
            $crate::conformance::users_by_id(&*$make);
        }
        #[test]
        fn conformance_user_policy_usage() {
            $crate::conformance::user_policy_usage(&*$make);
        }
        #[test]
        fn conformance_access_key_last_use() {
            $crate::conformance::access_key_last_use(&*$make);
        }
        #[test]
        fn conformance_role_last_use() {
            $crate::conformance::role_last_use(&*$make);
        }
        #[test]
        fn conformance_oidc_providers() {
            $crate::conformance::oidc_providers(&*$make);
        }
        #[test]
        fn conformance_policy_and_oidc_provider_tags() {
            $crate::conformance::policy_and_oidc_provider_tags(&*$make);
        }
        #[test]
        fn conformance_concurrent_access_keys() {
            $crate::conformance::concurrent_access_keys($make);
        }
        #[test]
        fn conformance_login_profiles() {
            $crate::conformance::login_profiles(&*$make);
        }
        #[test]
        fn conformance_password_policies() {
            $crate::conformance::password_policies(&*$make);
        }
        #[test]
        fn conformance_instance_profiles() {
            $crate::conformance::instance_profiles(&*$make);
        }
    };
}

#[cfg(test)]
mod memory_backend {
    use crate::memory::MemoryStore;
    use crate::store::Store;
    use std::sync::Arc;

    fn fresh() -> Arc<dyn Store> {
        Arc::new(MemoryStore::new())
    }
    crate::store_conformance_tests!(fresh());
}
