#!/usr/bin/env bash
# Fuzzes one ironiam-policy target (parse_policy or evaluate) with libFuzzer
# for a bounded time (default 60 s), on the stable toolchain, exactly like
# scripts/fuzz does for the request decoder: the instrumentation cargo-fuzz
# would add is passed as stable -C flags. A crash fails the run and leaves
# its input in crates/policy/fuzz/artifacts/.
#
#   crates/policy/fuzz/fuzz.sh parse_policy 60
#   crates/policy/fuzz/fuzz.sh evaluate 60
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: fuzz.sh parse_policy|evaluate [SECONDS]}"
seconds="${2:-60}"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps the instrumentation out of build scripts.
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --locked --target "$host" --bin "$target"
mkdir -p artifacts "corpus/$target"
# Work on a copy of the committed seed corpus so runs leave the tree clean.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "corpus/$target/." "$work/"
./target/"$host"/release/"$target" "$work" -max_total_time="$seconds" -rss_limit_mb=2048 \
  -max_len=8192 -artifact_prefix=artifacts/ -print_final_stats=1 2>&1 | tail -n 15
