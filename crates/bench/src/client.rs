//! A minimal HTTP/1.1 client connection: write a prepared request, read one response.
//!
//! It understands exactly what the servers under test send: a status line, headers,
//! `Content-Length` or `Transfer-Encoding: chunked` bodies (or read-to-close for HTTP/1.0), and
//! `Connection: close`. A server that closes after each response (Werkzeug, which moto_server
//! runs on, speaks HTTP/1.0 by default) is followed by reconnecting before the next request; the
//! reconnects are counted so the report can say so.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// No single exchange may take longer than this; a stuck server turns into an error, not a hang.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger headers than this mean the peer is not speaking HTTP as expected.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Larger bodies than this are refused (ListRoles of 100 roles is ~60 KB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// One keep-alive connection to `addr`, reconnected on demand.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    body: Vec<u8>,
    /// Connections opened after the first one (server closed, or an I/O error).
    pub reconnects: u64,
    opened: u64,
}

impl Conn {
    /// A connection to `addr`; nothing is opened until the first request.
    pub fn new(addr: SocketAddr) -> Self {
        Conn {
            addr,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
            body: Vec::new(),
            reconnects: 0,
            opened: 0,
        }
    }

    /// The body of the last response (de-chunked).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Forget the current connection (after an error).
    pub fn reset(&mut self) {
        self.stream = None;
    }

    /// Send `request` (complete HTTP/1.1 bytes) and read the response; returns its status code.
    ///
    /// If a reused keep-alive connection turns out to have been closed by the server before it
    /// answered a single byte, the request is sent once more on a fresh connection (what every
    /// HTTP client does for a stale pooled connection).
    pub async fn send(&mut self, request: &[u8]) -> io::Result<u16> {
        let result = tokio::time::timeout(IO_TIMEOUT, self.exchange(request)).await;
        match result {
            Ok(Ok(status)) => Ok(status),
            Ok(Err(e)) => {
                self.stream = None;
                Err(e)
            }
            Err(_) => {
                self.stream = None;
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no response within the I/O timeout",
                ))
            }
        }
    }

    async fn exchange(&mut self, request: &[u8]) -> io::Result<u16> {
        let reused = self.stream.is_some();
        match self.exchange_once(request).await {
            Err(e) if reused && self.buf.is_empty() && is_stale_connection(&e) => {
                self.stream = None;
                self.exchange_once(request).await
            }
            other => other,
        }
    }

    async fn connect(&mut self) -> io::Result<()> {
        let stream = TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        if self.opened > 0 {
            self.reconnects += 1;
        }
        self.opened += 1;
        self.stream = Some(stream);
        Ok(())
    }

    async fn exchange_once(&mut self, request: &[u8]) -> io::Result<u16> {
        if self.stream.is_none() {
            self.connect().await?;
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "not connected"));
        };
        self.buf.clear();
        stream.write_all(request).await?;
        let head = read_head(stream, &mut self.buf).await?;
        self.body.clear();
        let mut keep_alive = head.keep_alive;
        match head.framing {
            Framing::Length(len) => {
                if len > MAX_BODY_BYTES {
                    return Err(invalid("response body too large"));
                }
                let end = head.body_start + len;
                while self.buf.len() < end {
                    read_more(stream, &mut self.buf).await?;
                }
                self.body.extend_from_slice(&self.buf[head.body_start..end]);
            }
            Framing::Chunked => {
                read_chunked(stream, &mut self.buf, head.body_start, &mut self.body).await?
            }
            Framing::UntilClose => {
                loop {
                    self.buf.reserve(16 * 1024);
                    if stream.read_buf(&mut self.buf).await? == 0 {
                        break;
                    }
                    if self.buf.len() > MAX_BODY_BYTES {
                        return Err(invalid("response body too large"));
                    }
                }
                self.body.extend_from_slice(&self.buf[head.body_start..]);
                keep_alive = false;
            }
        }
        if !keep_alive {
            self.stream = None;
        }
        Ok(head.status)
    }
}

/// The errors a keep-alive connection closed by the server shows before any response byte.
fn is_stale_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

struct Head {
    status: u16,
    body_start: usize,
    framing: Framing,
    keep_alive: bool,
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.reserve(16 * 1024);
    if stream.read_buf(buf).await? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "server closed the connection",
        ));
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Head> {
    let mut scanned: usize = 0;
    let header_end = loop {
        if let Some(pos) = find(buf, b"\r\n\r\n", scanned.saturating_sub(3)) {
            break pos;
        }
        scanned = buf.len();
        if buf.len() > MAX_HEADER_BYTES {
            return Err(invalid("response headers too large"));
        }
        read_more(stream, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..header_end])
        .map_err(|_| invalid("response head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("malformed status line"))?;
    let mut keep_alive = version == "HTTP/1.1";
    let mut framing = if version == "HTTP/1.1" || version == "HTTP/1.0" {
        Framing::UntilClose
    } else {
        return Err(invalid("not an HTTP/1.x response"));
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            if !matches!(framing, Framing::Chunked) {
                framing =
                    Framing::Length(value.parse().map_err(|_| invalid("bad Content-Length"))?);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if value.to_ascii_lowercase().contains("chunked") {
                framing = Framing::Chunked;
            }
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                keep_alive = false;
            } else if value.contains("keep-alive") {
                keep_alive = true;
            }
        }
    }
    // Responses to which no body belongs.
    if status == 204 || status == 304 || (100..200).contains(&status) {
        framing = Framing::Length(0);
    }
    Ok(Head {
        status,
        body_start: header_end + 4,
        framing,
        keep_alive,
    })
}

async fn read_chunked(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    start: usize,
    body: &mut Vec<u8>,
) -> io::Result<()> {
    let mut pos = start;
    // Every chunk consumes at least 5 bytes, so the loop ends within MAX_BODY_BYTES / 5 turns
    // of the outer loop or on an error.
    loop {
        let line_end = loop {
            if let Some(p) = find(buf, b"\r\n", pos) {
                break p;
            }
            if buf.len() - pos > 1024 {
                return Err(invalid("chunk size line too long"));
            }
            read_more(stream, buf).await?;
        };
        let size_text =
            std::str::from_utf8(&buf[pos..line_end]).map_err(|_| invalid("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size > MAX_BODY_BYTES || body.len() + size > MAX_BODY_BYTES {
            return Err(invalid("response body too large"));
        }
        let data_start = line_end + 2;
        if size == 0 {
            // Trailers (none expected) end with an empty line.
            let mut trailer_pos = data_start;
            loop {
                if let Some(p) = find(buf, b"\r\n", trailer_pos) {
                    if p == trailer_pos {
                        return Ok(());
                    }
                    trailer_pos = p + 2;
                    continue;
                }
                if buf.len() - trailer_pos > MAX_HEADER_BYTES {
                    return Err(invalid("trailers too large"));
                }
                read_more(stream, buf).await?;
            }
        }
        while buf.len() < data_start + size + 2 {
            read_more(stream, buf).await?;
        }
        body.extend_from_slice(&buf[data_start..data_start + size]);
        pos = data_start + size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn serve_once(responses: Vec<&'static [u8]>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            for response in responses {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut request = vec![0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(response).await;
                // Close after each response: the client must reconnect.
            }
        });
        addr
    }

    #[tokio::test]
    async fn reads_length_chunked_and_until_close_bodies() {
        let addr = serve_once(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\nuntil close",
        ])
        .await;
        let mut conn = Conn::new(addr);
        assert_eq!(
            conn.send(b"GET / HTTP/1.1\r\n\r\n").await.expect("first"),
            200
        );
        assert_eq!(conn.body(), b"hello");
        assert_eq!(
            conn.send(b"GET / HTTP/1.1\r\n\r\n").await.expect("second"),
            404
        );
        assert_eq!(conn.body(), b"abcde");
        assert_eq!(
            conn.send(b"GET / HTTP/1.1\r\n\r\n").await.expect("third"),
            200
        );
        assert_eq!(conn.body(), b"until close");
        assert!(conn.reconnects >= 1);
    }
}
