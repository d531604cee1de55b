//! The real `ironiam serve` on a free loopback port, for the SDK tests;
//! killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub endpoint: String,
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

    /// A server with `--in-memory` and `args`.
    #[allow(dead_code)]
    pub fn in_memory(args: &[&str]) -> Server {
        let mut all = vec!["--in-memory"];
        all.extend_from_slice(args);
        Server::spawn(&all, None)
    }

    fn spawn(args: &[&str], dir: Option<tempfile::TempDir>) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ironiam"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let endpoint = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{line}");
        Server { child, endpoint, _dir: dir }
    }

    /// `POST /_ironiam/clock?offset=SECONDS`, over a plain socket.
    #[allow(dead_code)]
    pub fn set_clock(&self, offset: i64) {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).unwrap();
        write!(stream, "POST /_ironiam/clock?offset={offset} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
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
