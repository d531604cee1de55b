//! The real `ironiam serve` on a free loopback port, for the SDK tests;
//! killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub endpoint: String,
    /// The default account's root key (`--root-access-key AKID:SECRET`),
    /// which signs requests to the test-suite endpoints.
    root_key: Option<(String, String)>,
    /// The data directory, when the server keeps one.
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a fresh data directory.
    #[allow(dead_code)] // not every test binary uses both constructors
    pub fn on_disk() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_string();
        Server::spawn(&["--data-dir", &path], Some(dir))
    }

    /// A server on a fresh database of the PostgreSQL server named by
    /// `IRONIAM_TEST_DATABASE_URL` (created with `psql`, as the e2e tests
    /// do); `None` without one, and a failure instead under
    /// `IRONIAM_REQUIRE_POSTGRES=1` (`scripts/test`).
    #[allow(dead_code)]
    pub fn on_postgres() -> Option<Server> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let base = match std::env::var("IRONIAM_TEST_DATABASE_URL") {
            Ok(url) => url,
            Err(_) if std::env::var_os("IRONIAM_REQUIRE_POSTGRES").is_some() => panic!(
                "IRONIAM_REQUIRE_POSTGRES is set but IRONIAM_TEST_DATABASE_URL is not: \
                 the PostgreSQL runs need a server (scripts/test starts one)"
            ),
            Err(_) => {
                eprintln!("skipped: IRONIAM_TEST_DATABASE_URL is not set");
                return None;
            }
        };
        let name = format!(
            "sdk_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let created = Command::new("psql")
            .args([base.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
            .status()
            .expect("psql runs");
        assert!(created.success(), "CREATE DATABASE {name}");
        let (server, _) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
        Some(Server::spawn(
            &["--database", &format!("{server}/{name}")],
            None,
        ))
    }

    /// A server with `--in-memory` and `args`.
    #[allow(dead_code)]
    pub fn in_memory(args: &[&str]) -> Server {
        let mut all = vec!["--in-memory"];
        all.extend_from_slice(args);
        Server::spawn(&all, None)
    }

    fn spawn(args: &[&str], dir: Option<tempfile::TempDir>) -> Server {
        // With --auth on, the test-suite endpoints must be asked for.
        let auth_on = args.windows(2).any(|w| w[0] == "--auth" && w[1] != "off");
        let root_key = args
            .windows(2)
            .find(|w| {
                w[0] == "--root-access-key" && !w[1].split(':').next().unwrap_or("").contains('=')
            })
            .and_then(|w| w[1].split_once(':'))
            .map(|(id, secret)| (id.to_string(), secret.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ironiam"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .args(if auth_on {
                &["--test-endpoints"][..]
            } else {
                &[][..]
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let endpoint = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{line}");
        Server {
            child,
            endpoint,
            root_key,
            _dir: dir,
        }
    }

    /// `POST /_ironiam/clock?offset=SECONDS`, over a plain socket; signed
    /// as the default account's root when the server has its key.
    #[allow(dead_code)]
    pub fn set_clock(&self, offset: i64) {
        let address = self.endpoint.trim_start_matches("http://");
        let query = format!("offset={offset}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let date = ironiam_sigv4::amz_date(now);
        let mut extra = String::new();
        if let Some((id, secret)) = &self.root_key {
            let headers = [("host", address), ("x-amz-date", date.as_str())];
            let req = ironiam_sigv4::HttpRequest {
                method: "POST",
                path: "/_ironiam/clock",
                query: &query,
                headers: &headers,
                body: b"",
            };
            let secret = ironiam_sigv4::Secret::new(secret);
            let params = ironiam_sigv4::SigningParams {
                access_key_id: id,
                secret_access_key: &secret,
                region: "us-east-1",
                service: "iam",
            };
            let authorization = ironiam_sigv4::sign(&req, &params).unwrap();
            extra = format!("X-Amz-Date: {date}\r\nAuthorization: {authorization}\r\n");
        }
        let mut stream = TcpStream::connect(address).unwrap();
        write!(stream, "POST /_ironiam/clock?{query} HTTP/1.1\r\nHost: {address}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
