//! The IAM/STS domain of ironiam: entities, AWS's rules and quotas, and the
//! storage interface every backend implements. No HTTP, no XML here.

pub mod accounts;
pub mod authorize;
pub mod clock;
pub mod conformance;
pub mod console_session;
pub mod credentials;
pub mod crypto;
pub mod entities;
pub mod error;
pub mod faulty;
pub mod freshness;
pub mod groups;
pub mod holders;
pub mod ids;
pub mod instance_profiles;
pub mod login;
pub mod memory;
pub mod oidc;
pub mod password;
pub mod policies;
pub mod quotas;
pub mod rows;
pub mod service;
pub mod session;
pub mod simulate;
pub mod store;
pub mod sts;
pub mod tags;
pub mod trust;
pub mod users;

pub use error::{Found, IamError, IamResult};
