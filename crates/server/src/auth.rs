//! The authenticate step of the pipeline: who signed the request, checked
//! with SigV4 (`ironiam-sigv4`) against the secret of the access key it
//! names — a root key from the configuration, an IAM user's active key, or
//! the secret inside a session token.

use std::fmt;
use std::str::FromStr;

use ironiam_core::credentials::CredentialError;
use ironiam_core::service::{Caller, IamService};
use ironiam_core::session::SessionKind;
use ironiam_sigv4::{AuthError, HttpRequest, Secret, SigningKeyCache};

/// How much of AWS's access control ironiam applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// No checks: requests signed with credentials ironiam knows act as
    /// their principal (unverified), any others as the default account's
    /// root — what test suites written for moto or LocalStack expect.
    #[default]
    Off,
    /// Signatures are verified (SigV4, AWS's errors); every signed caller
    /// may call every operation. Trust policies still decide AssumeRole.
    Verify,
    /// As `enforce`, but a request the policies would deny is logged and allowed.
    Soft,
    /// Signatures are verified and every IAM and STS request is authorized
    /// with the caller's policies; AccessDenied as AWS words it.
    Enforce,
}

impl AuthMode {
    /// Whether signatures are checked.
    pub fn verifies(self) -> bool {
        !matches!(self, AuthMode::Off)
    }

    /// Whether requests are authorized (denials enforced or logged).
    pub fn authorizes(self) -> bool {
        matches!(self, AuthMode::Soft | AuthMode::Enforce)
    }

    /// The flag's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Off => "off",
            AuthMode::Verify => "verify",
            AuthMode::Soft => "soft",
            AuthMode::Enforce => "enforce",
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(AuthMode::Off),
            "verify" => Ok(AuthMode::Verify),
            "soft" => Ok(AuthMode::Soft),
            "enforce" => Ok(AuthMode::Enforce),
            other => Err(format!(
                "unknown auth mode `{other}` (expected off, verify, soft or enforce)"
            )),
        }
    }
}

/// An authenticated request.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    /// The principal.
    pub caller: Caller,
    /// The region of the signature's credential scope (`aws:RequestedRegion`).
    pub region: Option<String>,
    /// Whether the request came over TLS (`aws:SecureTransport`); set by
    /// the HTTP layer, which knows the connection.
    pub secure: bool,
}

/// Verifies signatures, remembering derived signing keys.
#[derive(Default)]
pub(crate) struct Authenticator {
    keys: SigningKeyCache,
}

fn credential_error(e: CredentialError) -> AuthError {
    match e {
        CredentialError::UnknownAccessKey => AuthError::InvalidClientTokenId,
        CredentialError::InvalidToken => AuthError::InvalidSecurityToken,
        CredentialError::Expired => AuthError::ExpiredToken,
    }
}

/// An internal failure while looking credentials up: logged, and answered
/// as a signature failure rather than letting the request through.
fn lookup_failed(e: ironiam_core::IamError) -> AuthError {
    tracing::error!(error = %e, "credential lookup failed");
    AuthError::InvalidClientTokenId
}

impl Authenticator {
    /// Who made `req`. With [`AuthMode::Off`] nothing is verified and this
    /// never fails.
    pub(crate) fn authenticate(
        &self,
        service: &IamService,
        mode: AuthMode,
        req: &HttpRequest<'_>,
    ) -> Result<Authenticated, AuthError> {
        self.authenticate_at(service, mode, req, service.clock().now())
    }

    /// [`Self::authenticate`], judging the signature's date against `now`
    /// (epoch seconds) instead of the service clock.
    pub(crate) fn authenticate_at(
        &self,
        service: &IamService,
        mode: AuthMode,
        req: &HttpRequest<'_>,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        if !mode.verifies() {
            return Ok(identify_unverified(service, req));
        }
        let signed = ironiam_sigv4::parse(req)?.ok_or(AuthError::MissingAuthenticationToken)?;
        let credentials = service
            .resolve_credentials(signed.access_key_id(), signed.security_token())
            .map_err(lookup_failed)?
            .map_err(credential_error)?;
        let secret = Secret::new(credentials.secret.expose());
        self.keys.verify(req, &signed, &secret, now)?;
        // AWS: credentials from GetSessionToken "cannot call any IAM API
        // operations unless MFA authentication information is included";
        // ironiam has no MFA devices, so they never can, and IAM answers
        // such requests as it answers an invalid token.
        let from_get_session_token = credentials
            .caller
            .session
            .as_ref()
            .is_some_and(|s| s.kind == SessionKind::SessionToken);
        if from_get_session_token && signed.service() == "iam" {
            return Err(AuthError::InvalidClientTokenId);
        }
        if credentials.is_user_key {
            if let Err(e) = service.note_access_key_use(
                signed.access_key_id(),
                signed.service(),
                signed.region(),
            ) {
                tracing::warn!(error = %e, "could not record an access key's use");
            }
        }
        if let Some(session) = &credentials.caller.session {
            // A role session's request, authenticated: a use of the role
            // (see `IamService::note_role_session_use` for what counts).
            if let Err(e) = service.note_role_session_use(session, Some(signed.region())) {
                tracing::warn!(error = %e, "could not record a role's use");
            }
        }
        Ok(Authenticated {
            caller: credentials.caller,
            region: Some(signed.region().to_string()),
            secure: false,
        })
    }
}

/// `--auth off`: the principal of credentials ironiam knows, unverified;
/// the default account's root for anything else.
fn identify_unverified(service: &IamService, req: &HttpRequest<'_>) -> Authenticated {
    let Ok(Some(signed)) = ironiam_sigv4::parse(req) else {
        return Authenticated {
            caller: service.default_caller(),
            region: None,
            secure: false,
        };
    };
    let caller = match service.resolve_credentials(signed.access_key_id(), signed.security_token())
    {
        Ok(Ok(credentials)) => credentials.caller,
        _ => service.default_caller(),
    };
    Authenticated {
        caller,
        region: Some(signed.region().to_string()),
        secure: false,
    }
}
