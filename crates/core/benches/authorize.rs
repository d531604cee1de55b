//! What `--auth enforce` adds to a request: `IamService::verdict` (and the
//! explained `IamService::authorize`) for a
//! user with the guide's two managed policies attached and one inline
//! policy — gathering the caller's policies (from the store and the
//! compiled-policy cache), building the principal's context, and the
//! decision. `cargo bench -p ironiam-core --bench authorize`.

use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ironiam_core::authorize::AuthzRequest;
use ironiam_core::clock::FixedClock;
use ironiam_core::holders::PrincipalKind;
use ironiam_core::memory::MemoryStore;
use ironiam_core::service::{Caller, IamService, Settings};
use ironiam_core::users::NewUser;
use ironiam_policy::Context;

fn authorize(c: &mut Criterion) {
    let s = IamService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(1_800_000_000)),
        Settings::default(),
    );
    let root = s.default_caller();
    let user = s
        .create_user(
            &root,
            NewUser {
                name: "worker".into(),
                ..Default::default()
            },
        )
        .unwrap();
    for arn in [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    ] {
        s.attach_policy(&root, PrincipalKind::User, "worker", arn)
            .unwrap();
    }
    let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/bench-role"}]}"#;
    s.put_inline_policy(
        &root,
        PrincipalKind::User,
        "worker",
        "get-role".into(),
        inline.into(),
    )
    .unwrap();
    let caller = Caller::user(&user);
    let mut group = c.benchmark_group("authorize");
    for (name, action, resource) in [
        (
            "inline_allows",
            "iam:GetRole",
            "arn:aws:iam::123456789012:role/bench-role",
        ),
        ("managed_allows", "ecs:RegisterContainerInstance", "*"),
        (
            "implicit_deny",
            "iam:CreateRole",
            "arn:aws:iam::123456789012:role/x",
        ),
    ] {
        let request = AuthzRequest {
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            context: Context::new(),
        };
        assert_eq!(
            s.authorize(&caller, &request).unwrap().is_allowed(),
            name != "implicit_deny"
        );
        assert_eq!(
            s.verdict(&caller, &request).unwrap().is_allowed(),
            name != "implicit_deny"
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                s.authorize(black_box(&caller), black_box(&request))
                    .unwrap()
            })
        });
        // What enforcement runs on every request: the verdict alone.
        group.bench_function(format!("{name}_verdict"), |b| {
            b.iter(|| s.verdict(black_box(&caller), black_box(&request)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, authorize);
criterion_main!(benches);
