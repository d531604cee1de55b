//! One console request, read once: path, query, form, cookies and the
//! headers the CSRF check needs.

use bytes::Bytes;
use hyper::http::request::Parts;
use hyper::Method;

use crate::csrf;

/// A console request with its body read.
pub(crate) struct Req {
    /// `GET` or `POST` (anything else is answered 405 by the router).
    pub method: Method,
    /// The path after `/console`, percent-encoded as received (`""`, `/roles/x`).
    pub path: String,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Form parameters of a `POST` (`application/x-www-form-urlencoded`), decoded.
    pub form: Vec<(String, String)>,
    /// The raw body (JSON for `/console/api/*`).
    pub body: Bytes,
    /// The browser's CSRF nonce: from its cookie, or newly minted.
    pub nonce: String,
    /// Whether `nonce` was minted for this request (no valid cookie came).
    pub fresh_nonce: bool,
    /// The secret CSRF tokens are made with (the console's shared state's).
    pub csrf_secret: [u8; 32],
    /// `X-CSRF-Token`, sent by the script with JSON requests.
    pub header_token: Option<String>,
    /// `Origin`, when the browser sent one.
    pub origin: Option<String>,
    /// `Host`.
    pub host: Option<String>,
    /// `Sec-Fetch-Site`, when the browser sent one.
    pub fetch_site: Option<String>,
    /// `X-Forwarded-Proto`, set by a TLS-terminating proxy in front.
    pub forwarded_proto: Option<String>,
    /// Every cookie the browser sent, in order.
    pub cookies: Vec<(String, String)>,
}

fn header(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn decode_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Req {
    /// Reads `parts` and `body`.
    pub fn from_parts(parts: &Parts, body: Bytes, csrf_secret: [u8; 32]) -> Req {
        let path = parts
            .uri
            .path()
            .strip_prefix(crate::PREFIX)
            .unwrap_or("")
            .to_string();
        let query = decode_pairs(parts.uri.query().unwrap_or("").as_bytes());
        let is_form = header(parts, "content-type").is_some_and(|c| {
            c.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        let form = if parts.method == Method::POST && is_form {
            decode_pairs(&body)
        } else {
            Vec::new()
        };
        let cookies: Vec<(String, String)> = parts
            .headers
            .get_all(hyper::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let cookie_nonce = cookies
            .iter()
            .find(|(k, _)| k == csrf::COOKIE)
            .map(|(_, v)| v.to_string())
            .filter(|v| csrf::is_nonce(v));
        let (nonce, fresh_nonce) = match cookie_nonce {
            Some(n) => (n, false),
            None => (csrf::new_nonce(), true),
        };
        Req {
            method: parts.method.clone(),
            path,
            query,
            form,
            body,
            nonce,
            fresh_nonce,
            csrf_secret,
            header_token: header(parts, "x-csrf-token"),
            origin: header(parts, "origin"),
            host: header(parts, "host"),
            fetch_site: header(parts, "sec-fetch-site"),
            forwarded_proto: header(parts, "x-forwarded-proto"),
            cookies,
        }
    }

    /// The first cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter `name`.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter `name`, trimmed, or `""`.
    pub fn q_or_empty(&self, name: &str) -> &str {
        self.q(name).map(str::trim).unwrap_or("")
    }

    /// The first form parameter `name`.
    pub fn f(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first form parameter `name`, or `""`.
    pub fn f_or_empty(&self, name: &str) -> &str {
        self.f(name).unwrap_or("")
    }

    /// Every form parameter `name`, in order.
    pub fn f_all(&self, name: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The CSRF token this browser's forms must carry.
    pub fn token(&self) -> String {
        csrf::token(&self.csrf_secret, &self.nonce)
    }
}
