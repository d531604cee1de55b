//! The storage conformance suite: every [`Store`] backend runs these same
//! checks, through [`store_conformance_tests!`](crate::store_conformance_tests).

use std::sync::Arc;
use std::thread;

use crate::entities::{CustomerPolicy, PolicyVersion, Role, Tag};
use crate::error::IamError;
use crate::store::{ListRange, PolicyChange, RoleChange, Store};

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
        versions: vec![PolicyVersion { version_id: "v1".into(), document: "{}".into(), create_date: 1_700_000_000 }],
        next_version: 2,
        tags: Vec::new(),
    }
}

fn all_roles(store: &dyn Store) -> Vec<Arc<Role>> {
    store
        .list_roles(ACCOUNT, ListRange { path_prefix: "/", marker: None, max_items: usize::MAX })
        .unwrap()
        .items
}

/// Names are unique ignoring case; lookups ignore case.
pub fn names_are_case_insensitive(store: &dyn Store) {
    store.create_role(role("ecsAnywhereRole"), 1000).unwrap();
    let err = store.create_role(role("ECSANYWHEREROLE"), 1000).unwrap_err();
    assert_eq!(err, IamError::EntityAlreadyExists("Role with name ECSANYWHEREROLE already exists.".into()));
    assert_eq!(store.get_role(ACCOUNT, "ecsanywhererole").unwrap().name, "ecsAnywhereRole");
    assert!(matches!(store.get_role(ACCOUNT, "other"), Err(IamError::NoSuchEntity(_))));
    assert!(matches!(store.get_role("999999999999", "ecsAnywhereRole"), Err(IamError::NoSuchEntity(_))));
}

/// A role round-trips every field.
pub fn role_round_trips(store: &dyn Store) {
    let mut r = role("full");
    r.path = "/team/".into();
    r.description = Some("d é 🙂".into());
    r.max_session_duration = 43200;
    r.tags = vec![Tag { key: "k".into(), value: "".into() }, Tag { key: "a".into(), value: "b".into() }];
    r.inline_policies.insert("p".into(), "{ \"x\": 1 }".into());
    r.attached_policies = vec![SSM_CORE.into()];
    r.permissions_boundary = Some(SSM_CORE.into());
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
            .list_roles(ACCOUNT, ListRange { path_prefix: "/", marker: marker.as_deref(), max_items: 7 })
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
    let five = store.list_roles(ACCOUNT, ListRange { path_prefix: "/five/", marker: None, max_items: 100 }).unwrap();
    assert_eq!(five.items.len(), 5);
    assert!(five.marker.is_none());
    assert!(matches!(
        store.list_roles(ACCOUNT, ListRange { path_prefix: "/", marker: Some("not a marker"), max_items: 10 }),
        Err(IamError::InvalidInput(_))
    ));
}

/// Every role change applies and the quota checks hold.
pub fn role_changes(store: &dyn Store) {
    store.create_role(role("r"), 1000).unwrap();
    let change = |c| store.update_role(ACCOUNT, "R", c);
    change(RoleChange::Update { description: Some("hello".into()), max_session_duration: Some(7200) }).unwrap();
    change(RoleChange::TrustPolicy("{}".into())).unwrap();
    change(RoleChange::Tag { tags: vec![Tag { key: "Env".into(), value: "x".into() }], max_tags: 2 }).unwrap();
    change(RoleChange::Tag { tags: vec![Tag { key: "env".into(), value: "y".into() }], max_tags: 2 }).unwrap();
    change(RoleChange::Tag { tags: vec![Tag { key: "b".into(), value: "".into() }], max_tags: 2 }).unwrap();
    assert!(matches!(
        change(RoleChange::Tag { tags: vec![Tag { key: "c".into(), value: "".into() }], max_tags: 2 }),
        Err(IamError::LimitExceeded(_))
    ));
    change(RoleChange::Untag(vec!["B".into(), "absent".into()])).unwrap();
    change(RoleChange::PutInlinePolicy { name: "p1".into(), document: "0123456789".into(), max_total_size: 15 }).unwrap();
    assert!(matches!(
        change(RoleChange::PutInlinePolicy { name: "p2".into(), document: "0123456789".into(), max_total_size: 15 }),
        Err(IamError::LimitExceeded(_))
    ));
    for i in 0..3 {
        change(RoleChange::AttachPolicy { arn: format!("arn:aws:iam::aws:policy/P{i}"), max_attached: 3 }).unwrap();
    }
    // Attaching an attached policy again changes nothing, even at the quota.
    change(RoleChange::AttachPolicy { arn: "arn:aws:iam::aws:policy/P0".into(), max_attached: 3 }).unwrap();
    assert_eq!(
        change(RoleChange::AttachPolicy { arn: "arn:aws:iam::aws:policy/P9".into(), max_attached: 3 }).unwrap_err(),
        IamError::LimitExceeded("Cannot exceed quota for PoliciesPerRole: 3".into())
    );
    assert!(matches!(
        change(RoleChange::AttachPolicy { arn: format!("arn:aws:iam::{ACCOUNT}:policy/Missing"), max_attached: 10 }),
        Err(IamError::NoSuchEntity(_))
    ));
    change(RoleChange::Boundary(Some(SSM_CORE.into()))).unwrap();
    let r = store.get_role(ACCOUNT, "r").unwrap();
    assert_eq!(r.description.as_deref(), Some("hello"));
    assert_eq!(r.max_session_duration, 7200);
    assert_eq!(r.assume_role_policy_document, "{}");
    assert_eq!(r.tags, vec![Tag { key: "env".into(), value: "y".into() }]);
    assert_eq!(r.inline_policies.len(), 1);
    assert_eq!(r.attached_policies.len(), 3);
    assert_eq!(r.permissions_boundary.as_deref(), Some(SSM_CORE));

    assert!(matches!(store.delete_role(ACCOUNT, "r"), Err(IamError::DeleteConflict(_))));
    for i in 0..3 {
        change(RoleChange::DetachPolicy(format!("arn:aws:iam::aws:policy/P{i}"))).unwrap();
    }
    assert!(matches!(change(RoleChange::DetachPolicy("arn:aws:iam::aws:policy/P0".into())), Err(IamError::NoSuchEntity(_))));
    assert!(matches!(store.delete_role(ACCOUNT, "r"), Err(IamError::DeleteConflict(_))));
    change(RoleChange::DeleteInlinePolicy("p1".into())).unwrap();
    assert!(matches!(change(RoleChange::DeleteInlinePolicy("p1".into())), Err(IamError::NoSuchEntity(_))));
    change(RoleChange::Boundary(None)).unwrap();
    store.delete_role(ACCOUNT, "r").unwrap();
    assert!(matches!(store.get_role(ACCOUNT, "r"), Err(IamError::NoSuchEntity(_))));
    assert!(matches!(change(RoleChange::Untag(vec![])), Err(IamError::NoSuchEntity(_))));
}

/// Customer policies: attach needs one to exist; delete needs it unattached; versions.
pub fn customer_policies(store: &dyn Store) {
    let p = store.create_policy(policy("Mine"), 10).unwrap();
    let arn = p.arn();
    assert!(matches!(store.create_policy(policy("MINE"), 10), Err(IamError::EntityAlreadyExists(_))));
    store.create_role(role("r"), 1000).unwrap();
    store.update_role(ACCOUNT, "r", RoleChange::AttachPolicy { arn: arn.clone(), max_attached: 10 }).unwrap();
    store.update_role(ACCOUNT, "r", RoleChange::AttachPolicy { arn: SSM_CORE.into(), max_attached: 10 }).unwrap();
    let usage = store.policy_usage(ACCOUNT).unwrap();
    assert_eq!(usage[&arn].attached_roles.len(), 1);
    assert_eq!(usage[SSM_CORE].attached_roles[0].name, "r");
    assert!(matches!(store.delete_policy(ACCOUNT, &arn), Err(IamError::DeleteConflict(_))));
    let add = |set_as_default| PolicyChange::AddVersion { document: "{\"v\":2}".into(), set_as_default, now: 1_800_000_000, max_versions: 3 };
    let p = store.update_policy(ACCOUNT, &arn, add(true)).unwrap();
    assert_eq!(p.default_version_id, "v2");
    store.update_policy(ACCOUNT, &arn, add(false)).unwrap();
    assert!(matches!(store.update_policy(ACCOUNT, &arn, add(false)), Err(IamError::LimitExceeded(_))));
    assert!(matches!(store.update_policy(ACCOUNT, &arn, PolicyChange::DeleteVersion("v2".into())), Err(IamError::DeleteConflict(_))));
    store.update_policy(ACCOUNT, &arn, PolicyChange::DeleteVersion("v1".into())).unwrap();
    store.update_policy(ACCOUNT, &arn, PolicyChange::SetDefault { version_id: "v3".into(), now: 1_800_000_001 }).unwrap();
    let p = store.get_policy(ACCOUNT, &arn).unwrap();
    assert_eq!(p.versions.iter().map(|v| v.version_id.as_str()).collect::<Vec<_>>(), ["v2", "v3"]);
    assert_eq!(p.default_version_id, "v3");
    assert_eq!(p.update_date, 1_800_000_001);
    store.update_role(ACCOUNT, "r", RoleChange::DetachPolicy(arn.clone())).unwrap();
    store.delete_policy(ACCOUNT, &arn).unwrap();
    assert!(matches!(store.get_policy(ACCOUNT, &arn), Err(IamError::NoSuchEntity(_))));
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
                    if store.create_role(role(&format!("t{t}-r{i}")), 10_000).is_ok() {
                        created += 1;
                    }
                    // Every thread races for the same names too: exactly one wins each.
                    let _ = store.create_role(role(&format!("race{i}")), 10_000);
                    let arn = format!("arn:aws:iam::aws:policy/T{t}P{i}");
                    let _ = store.update_role(ACCOUNT, "shared", RoleChange::AttachPolicy { arn, max_attached: 10 });
                    store
                        .update_role(ACCOUNT, "shared", RoleChange::Tag { tags: vec![Tag { key: format!("t{t}"), value: i.to_string() }], max_tags: 50 })
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
    assert_eq!(shared.attached_policies.len(), 10, "the quota holds under races");
    assert_eq!(shared.tags.len(), 8, "no tag update was lost");
    assert!(shared.tags.iter().all(|t| t.value == "24"));
}

/// Reset forgets everything.
pub fn reset_forgets(store: &dyn Store) {
    store.create_role(role("a"), 1000).unwrap();
    store.create_policy(policy("p"), 10).unwrap();
    store.reset().unwrap();
    assert!(all_roles(store).is_empty());
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
    assert!(matches!(store.create_policy(policy("q"), 1), Err(IamError::LimitExceeded(_))));
}

/// Declares one `#[test]` per conformance check for a backend. `$make` is an
/// expression giving a fresh, empty `Arc<dyn Store>` each time it is evaluated.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        #[test]
        fn conformance_names_are_case_insensitive() { $crate::conformance::names_are_case_insensitive(&*$make); }
        #[test]
        fn conformance_role_round_trips() { $crate::conformance::role_round_trips(&*$make); }
        #[test]
        fn conformance_listing_pages() { $crate::conformance::listing_pages(&*$make); }
        #[test]
        fn conformance_role_changes() { $crate::conformance::role_changes(&*$make); }
        #[test]
        fn conformance_customer_policies() { $crate::conformance::customer_policies(&*$make); }
        #[test]
        fn conformance_concurrent_writers() { $crate::conformance::concurrent_writers($make); }
        #[test]
        fn conformance_reset_forgets() { $crate::conformance::reset_forgets(&*$make); }
        #[test]
        fn conformance_account_quotas() { $crate::conformance::account_quotas(&*$make); }
    };
}

#[cfg(test)]
mod memory_backend {
    use std::sync::Arc;
    use crate::memory::MemoryStore;
    use crate::store::Store;

    fn fresh() -> Arc<dyn Store> {
        Arc::new(MemoryStore::new())
    }
    crate::store_conformance_tests!(fresh());
}
