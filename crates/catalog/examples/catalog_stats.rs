//! Prints what the embedded catalog holds and what building it costs:
//! `cargo run --release -p ironiam-catalog --example catalog_stats`.

use std::time::Instant;

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let before = resident_kib();
    let started = Instant::now();
    let catalog = ironiam_catalog::catalog();
    let built = started.elapsed();
    let after = resident_kib();
    println!(
        "{}@{}: {} policies, index built in {built:?}, RSS {before:?} -> {after:?} KiB",
        ironiam_catalog::SOURCE_PACKAGE,
        ironiam_catalog::SOURCE_VERSION,
        catalog.len()
    );

    let started = Instant::now();
    let policy = catalog.get("arn:aws:iam::aws:policy/ReadOnlyAccess");
    let document = policy.map(|p| catalog.document(p)).unwrap_or_default();
    println!(
        "ReadOnlyAccess: {} bytes of document in {:?}",
        document.len(),
        started.elapsed()
    );
    let started = Instant::now();
    let oldest =
        policy.and_then(|p| catalog.version_document(p, catalog.versions(p).first()?.version_id));
    println!(
        "its oldest recorded version: {:?} bytes in {:?}",
        oldest.map(|d| d.len()),
        started.elapsed()
    );

    let started = Instant::now();
    let versions: usize = catalog.iter().map(|p| catalog.versions(p).len()).sum();
    println!("{versions} versions listed in {:?}", started.elapsed());
    println!("RSS at exit {:?} KiB", resident_kib());
}
