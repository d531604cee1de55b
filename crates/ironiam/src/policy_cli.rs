//! `ironiam policy validate | diff | simulate`: the policy engine
//! (`ironiam-policy`) from the command line, offline.
//!
//! * `validate FILE [--kind …]`: every problem AWS would reject the document
//!   for, with AWS's exact `MalformedPolicyDocument` message and the
//!   statement concerned, plus Access Analyzer-style warnings. Exit status
//!   0 valid (warnings allowed), 1 errors found, 2 cannot read / usage.
//! * `diff A B`: compares two policies by meaning, not spelling (the guide's
//!   two trust forms are equivalent). Exit status 0 equivalent, 1 different,
//!   2 error.
//! * `simulate`: decides requests against identity policies (files, or AWS
//!   managed policies from the embedded catalog), a boundary, session and
//!   resource or trust policies, and explains each decision. Exit status 0
//!   every request allowed, 1 at least one denied, 2 error.
//!
//! Human output by default, one JSON document on stdout with `--output json`.
//! A failure (exit status 2) is explained on stderr; with `--output json`
//! stdout also carries `{"error": {"message": …}}` so a script always gets
//! JSON.
//!
//! Layout: each subcommand's module parses its arguments, runs the engine and
//! builds a [`Report`] (both renderings and the exit status) without printing,
//! which keeps them testable; [`run`] is the only place that prints.

use std::fmt;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};

mod diff;
mod simulate;
mod validate;

/// `ironiam policy …`
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// What to do.
    #[command(subcommand)]
    command: PolicyCommand,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    output: Format,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Check a policy document the way AWS IAM does, with AWS's messages and
    /// Access Analyzer-style warnings (exit 0 valid, warnings allowed; 1
    /// errors found; 2 cannot read).
    Validate(validate::ValidateArgs),
    /// Compare two policies by meaning, not spelling (exit 0 equivalent, 1
    /// different, 2 error).
    Diff(diff::DiffArgs),
    /// Decide requests against policies as AWS evaluates them, with the
    /// statements that decided and the context keys that were missing (exit 0
    /// all allowed, 1 any denied, 2 error).
    Simulate(Box<simulate::SimulateArgs>),
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Text for people.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// What a subcommand found: both renderings and the exit status that goes
/// with them.
struct Report {
    human: String,
    json: Value,
    status: u8,
}

/// Why a subcommand could not answer (exit status 2): an unreadable file, a
/// document the engine cannot use, an unknown managed policy, a malformed
/// argument. The message is complete and lowercase, user input in backticks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure(String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exit status of a failure, for every subcommand.
const STATUS_FAILURE: u8 = 2;

/// Runs `ironiam policy …` and returns its exit status.
pub fn run(args: PolicyArgs) -> ExitCode {
    let outcome = match &args.command {
        PolicyCommand::Validate(a) => validate::run(a),
        PolicyCommand::Diff(a) => diff::run(a),
        PolicyCommand::Simulate(a) => simulate::run(a),
    };
    // Write errors (a closed pipe, as in `| head`) are ignored: the exit
    // status still tells the result, and printing must not panic.
    let mut stdout = std::io::stdout().lock();
    match outcome {
        Ok(report) => {
            let _ = match args.output {
                Format::Human => stdout.write_all(report.human.as_bytes()),
                Format::Json => writeln!(stdout, "{}", pretty(&report.json)),
            };
            ExitCode::from(report.status)
        }
        Err(failure) => {
            eprintln!("ironiam policy: {failure}");
            if args.output == Format::Json {
                let _ = writeln!(
                    stdout,
                    "{}",
                    pretty(&json!({"error": {"message": failure.0}}))
                );
            }
            ExitCode::from(STATUS_FAILURE)
        }
    }
}

fn pretty(value: &Value) -> String {
    // INVARIANT: a `Value` (string keys only) always serialises.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Reads a policy document; `-` is standard input.
fn read_document(path: &Path) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => {
            Failure(format!("cannot read `{}`: not UTF-8 text", path.display()))
        }
        _ => Failure(format!("cannot read `{}`: {e}", path.display())),
    })?;
    Ok(text)
}

/// A statement's position as Access Analyzer prints it: `Statement[0]`
/// (0-based, the index in the document's `Statement` list; a single
/// statement object is `Statement[0]`).
fn statement_label(index: usize) -> String {
    format!("Statement[{index}]")
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
