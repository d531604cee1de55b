//! Rendered XML of roles, reused until the role changes.
//!
//! The store replaces a role's `Arc` on every change, so the `Arc`'s address
//! identifies one version of a role. Entries hold a `Weak` to that version:
//! while the `Weak` lives the allocation cannot be reused, so an address match
//! is an exact version match, with no invalidation protocol to get wrong.
//! ListRoles with 100 roles spends most of its time rendering; this makes a
//! listing mostly memcpy.
//!
//! Only what depends on the role's version alone may be cached. A trust
//! policy naming a user or role that was deleted since it was saved shows
//! that principal's unique id instead of its ARN (as in AWS), which depends
//! on other entities: the roles handlers render such a role afresh and never
//! hand it to this cache (`IamService::trust_policy_document` tells them,
//! borrowing the stored document when nothing changed).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use ironiam_core::entities::Role;
use ironiam_protocol::XmlWriter;
use parking_lot::Mutex;

const SHARDS: usize = 16;
/// Past this many entries a shard drops the ones whose role version is gone.
const SHARD_SOFT_LIMIT: usize = 2048;

type Entry = (Weak<Role>, Arc<str>);

/// Cache of rendered role XML, keyed by role version and view.
pub(crate) struct RoleXmlCache {
    shards: Vec<Mutex<HashMap<(usize, u8), Entry>>>,
}

impl RoleXmlCache {
    pub fn new() -> Self {
        RoleXmlCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// The XML `render` writes for `role`, rendered at most once per version and view.
    pub fn get_or_render(
        &self,
        role: &Arc<Role>,
        view: u8,
        render: impl FnOnce(&mut XmlWriter),
    ) -> Arc<str> {
        let address = Arc::as_ptr(role) as usize;
        // Allocations are at least 8-byte aligned: skip the always-zero bits.
        let shard = &self.shards[(address >> 4) % SHARDS];
        if let Some((_, xml)) = shard.lock().get(&(address, view)) {
            return xml.clone();
        }
        let mut w = XmlWriter::with_capacity(768);
        render(&mut w);
        let xml: Arc<str> = Arc::from(w.into_string());
        let mut map = shard.lock();
        if map.len() >= SHARD_SOFT_LIMIT {
            map.retain(|_, (version, _)| version.strong_count() > 0);
        }
        map.insert((address, view), (Arc::downgrade(role), xml.clone()));
        xml
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> Arc<Role> {
        let mut r = ironiam_core::conformance::role(name);
        r.description = Some("d".into());
        Arc::new(r)
    }

    #[test]
    fn renders_once_per_version_and_view() {
        let cache = RoleXmlCache::new();
        let v1 = role("a");
        let first = cache.get_or_render(&v1, 0, |w| w.element("N", &v1.name));
        let again = cache.get_or_render(&v1, 0, |_| panic!("rendered twice"));
        assert!(Arc::ptr_eq(&first, &again));
        let other_view = cache.get_or_render(&v1, 1, |w| w.element("M", "x"));
        assert_eq!(&*other_view, "<M>x</M>");
        // A new version of the role is a new Arc: rendered afresh.
        let v2 = role("b");
        assert_eq!(
            &*cache.get_or_render(&v2, 0, |w| w.element("N", &v2.name)),
            "<N>b</N>"
        );
    }

    #[test]
    fn dead_versions_are_dropped_past_the_limit() {
        let cache = RoleXmlCache::new();
        for _ in 0..(SHARDS * SHARD_SOFT_LIMIT * 2) {
            let r = role("x");
            cache.get_or_render(&r, 0, |w| w.element("N", "x"));
        }
        let total: usize = cache.shards.iter().map(|s| s.lock().len()).sum();
        assert!(total <= SHARDS * SHARD_SOFT_LIMIT, "{total}");
    }
}
