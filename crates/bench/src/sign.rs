//! SigV4 signing of AWS Query requests with the `aws-sigv4` crate, serialised to raw HTTP/1.1 bytes.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Dummy credentials (the default): emulators accept any key, and real AWS is never a target.
pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnr/K7MDENG/bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The AWS service a request is signed for; it names the credential scope, which is also how a
/// multi-service emulator on one port tells IAM from STS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Iam,
    Sts,
}

impl Service {
    /// The signing name in the credential scope.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }
}

/// Signs requests for one target host with one access key (dummy by default).
pub struct Signer {
    identity: Identity,
    host: String,
}

/// A signing failure, as text (the bench tools only ever print it).
#[derive(Debug)]
pub struct SignError(pub String);

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sigv4 signing failed: {}", self.0)
    }
}

impl std::error::Error for SignError {}

impl Signer {
    /// A signer for requests to `host` (`127.0.0.1:PORT`, sent as the `Host` header).
    pub fn new(host: &str) -> Self {
        Self::with_credentials(host, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    }

    /// A signer for requests to `host` with the given access key (e.g. one the target created,
    /// for servers that verify signatures).
    pub fn with_credentials(host: &str, access_key_id: &str, secret_access_key: &str) -> Self {
        let credentials = Credentials::new(
            access_key_id.to_string(),
            secret_access_key.to_string(),
            None,
            None,
            "ironiam-bench",
        );
        Signer {
            identity: credentials.into(),
            host: host.to_string(),
        }
    }

    /// A complete signed `POST /` request carrying the form-encoded `body`, as raw HTTP/1.1 bytes
    /// ready to write to a keep-alive connection. Signed at `time`.
    pub fn signed_post(
        &self,
        service: Service,
        body: &str,
        time: SystemTime,
    ) -> Result<Vec<u8>, SignError> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(REGION)
            .name(service.signing_name())
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| SignError(e.to_string()))?
            .into();
        let url = format!("http://{}/", self.host);
        let headers = [("host", self.host.as_str()), ("content-type", CONTENT_TYPE)];
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.into_iter(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| SignError(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| SignError(e.to_string()))?
            .into_parts();

        let mut out = Vec::with_capacity(body.len() + 512);
        out.extend_from_slice(b"POST / HTTP/1.1\r\nHost: ");
        out.extend_from_slice(self.host.as_bytes());
        out.extend_from_slice(b"\r\nContent-Type: ");
        out.extend_from_slice(CONTENT_TYPE.as_bytes());
        out.extend_from_slice(b"\r\nContent-Length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        for (name, value) in instructions.headers() {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
        }
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body.as_bytes());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_request_carries_scope_date_and_body() {
        let signer = Signer::new("127.0.0.1:9");
        let raw = signer
            .signed_post(
                Service::Sts,
                "Action=GetCallerIdentity&Version=2011-06-15",
                SystemTime::UNIX_EPOCH,
            )
            .expect("signing works");
        let text = String::from_utf8(raw).expect("ascii");
        assert!(text.starts_with("POST / HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
        assert!(text.contains("Content-Length: 43\r\n"));
        assert!(text.contains("x-amz-date: 19700101T000000Z\r\n"));
        assert!(
            text.contains("Credential=AKIAIOSFODNN7EXAMPLE/19700101/us-east-1/sts/aws4_request")
        );
        assert!(text.ends_with("\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15"));
    }
}
