//! The AWS Query protocol of IAM (API version 2010-05-08) and STS (2011-06-15).
//!
//! This crate is the line where HTTP and XML end: handlers get a typed, validated
//! [`Input`] and hand back closures that write XML; they never see a form body or an
//! envelope. One pipeline serves every operation:
//!
//! ```
//! use ironiam_protocol::{decode_input, parse_form, resolve_operation, write_success, Service};
//!
//! let body = b"Action=GetRole&Version=2010-05-08&RoleName=admin";
//! let params = parse_form(body)?;
//! let op = resolve_operation(Some(Service::Iam), &params)?;
//! let input = decode_input(op, &params)?;
//! assert_eq!(input.str("RoleName"), Some("admin"));
//!
//! let xml = write_success(Service::Iam, op.name, "req-1", Some(&|w| {
//!     w.nested("Role", |w| w.element("RoleName", "admin"));
//! }));
//! assert!(xml.starts_with("<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role>"));
//! # Ok::<(), ironiam_protocol::QueryError>(())
//! ```
//!
//! * [`model`]: every operation and input shape of both services, generated from
//!   botocore's service models by `scripts/gen-model.py` (never edited by hand).
//! * [`parse_form`]: strict `application/x-www-form-urlencoded` parsing.
//! * [`resolve_operation`] and [`decode_input`]: `Action`/`Version` to an operation, then the
//!   parameters to an [`Input`], validated the way AWS's Coral framework does, with its
//!   error messages.
//! * [`dto`]: per operation a typed input decoded from the [`Input`] and a typed output
//!   that writes AWS's XML, generated from the same models.
//! * [`xml`]: [`XmlWriter`], the success and error envelopes, and the percent-encoding IAM
//!   applies to policy documents inside XML.
//!
//! Nothing here does I/O or keeps state beyond the lazily compiled patterns, so every
//! function can be fuzzed (see `fuzz/`) and property-tested.

mod decode;
pub mod dto;
mod error;
mod form;
pub mod model;
pub mod scan;
pub mod xml;

pub use decode::{decode_input, resolve_operation, Input, Value, PROTOCOL_PARAMETERS};
pub use error::QueryError;
pub use form::parse_form;
pub use model::{common_error_status, error_status, operation, ErrorDef, OperationDef, Service};
pub use xml::{url_encode_policy, write_error, write_success, SuccessBody, XmlWriter};
