//! The slow-client guard (slowloris): a connection that has waited longer
//! than the limit for the rest of a request's headers — or, idle after an
//! answer, for the next request — is closed.
//!
//! hyper's own `header_read_timeout` arms a timer for every request: on two
//! cores that cost about 5 % of the server's CPU under GetRole load (perf:
//! timer wheel insert and removal, a clock read, a waker; commit 6a303e8).
//! Here the
//! connection's bytes are watched instead: its reader notes where a
//! request's head ends (the blank line after the headers), its writer notes
//! each answer, and one watchdog per connection wakes every half limit to
//! see whether anything happened since it last looked. Nothing is timed
//! per request; a stalled connection is closed between 1 and 1.5 limits
//! after it stalled.
//!
//! What counts as progress: the end of a request's head, and every write of
//! an answer (including `100 Continue`). A body is not watched byte by byte:
//! a body still arriving a whole limit after the last progress is cut off
//! too (at the default ten seconds, a 1 MiB body at under 100 KiB/s).

use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;

/// What the connection's reader and writer tell its watchdog.
#[derive(Debug)]
pub(crate) struct Progress {
    /// Bumped at every head's end and every write of an answer.
    steps: AtomicU64,
    /// Whether the connection is waiting for (the rest of) a request head.
    waiting_for_head: AtomicBool,
}

impl Progress {
    /// A new connection's: waiting for its first request's head.
    pub(crate) fn new() -> Arc<Progress> {
        Arc::new(Progress {
            steps: AtomicU64::new(0),
            waiting_for_head: AtomicBool::new(true),
        })
    }
}

/// A connection's I/O, watched for the end of each request head.
pub(crate) struct Watched<I> {
    inner: I,
    progress: Arc<Progress>,
    /// The stream's last bytes (up to three) while a head is awaited, for
    /// a blank line split between two reads.
    carried: [u8; 3],
    carried_len: usize,
}

/// Closes the connection (aborts its task) once it has waited for a request
/// head with no progress for at least `limit`; returns when the connection
/// ends by itself. Runs as its own task, waking every half limit, so that
/// serving a request never touches a timer.
pub(crate) async fn watchdog(progress: Arc<Progress>, connection: AbortHandle, limit: Duration) {
    if stalled(&progress, limit, || connection.is_finished()).await {
        tracing::debug!("no request head within the limit: connection closed");
        connection.abort();
    }
}

/// Whether the connection stalled (for at least `limit`, at most 1.5 ×
/// `limit`) before `ended` said it was over.
async fn stalled(progress: &Progress, limit: Duration, ended: impl Fn() -> bool) -> bool {
    let half = (limit / 2).max(Duration::from_millis(1));
    let mut last_seen = progress.steps.load(Ordering::SeqCst);
    let mut stalled_looks = 0;
    loop {
        tokio::time::sleep(half).await;
        if ended() {
            return false;
        }
        let waiting = progress.waiting_for_head.load(Ordering::SeqCst);
        let steps = progress.steps.load(Ordering::SeqCst);
        if waiting && steps == last_seen {
            stalled_looks += 1;
            // Two looks half a limit apart with nothing between, after one
            // that saw the same step: stalled for at least a whole limit.
            if stalled_looks >= 2 {
                return true;
            }
        } else {
            stalled_looks = 0;
            last_seen = steps;
        }
    }
}

impl<I> Watched<I> {
    pub(crate) fn new(inner: I, progress: Arc<Progress>) -> Self {
        Watched {
            inner,
            progress,
            carried: [0; 3],
            carried_len: 0,
        }
    }

    /// Looks for the blank line that ends a head in bytes just read.
    fn saw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || !self.progress.waiting_for_head.load(Ordering::Relaxed) {
            return;
        }
        let ended = memchr::memmem::find(bytes, b"\r\n\r\n").is_some() || {
            // The blank line may straddle this read and the one before.
            let mut joined = [0u8; 6];
            let (carried, head) = (self.carried_len, bytes.len().min(3));
            joined[..carried].copy_from_slice(&self.carried[..carried]);
            joined[carried..carried + head].copy_from_slice(&bytes[..head]);
            memchr::memmem::find(&joined[..carried + head], b"\r\n\r\n").is_some()
        };
        if ended {
            self.carried_len = 0;
            self.progress.steps.fetch_add(1, Ordering::SeqCst);
            self.progress
                .waiting_for_head
                .store(false, Ordering::SeqCst);
            return;
        }
        // Keep the stream's last three bytes: the old ones, then the new.
        let mut tail = [0u8; 6];
        let (old, new) = (self.carried_len, bytes.len().min(3));
        tail[..old].copy_from_slice(&self.carried[..old]);
        tail[old..old + new].copy_from_slice(&bytes[bytes.len() - new..]);
        let from = (old + new).saturating_sub(3);
        self.carried_len = old + new - from;
        self.carried[..self.carried_len].copy_from_slice(&tail[from..old + new]);
    }

    /// An answer (or part of one) went out: the next head is awaited.
    fn wrote(&mut self) {
        self.carried_len = 0;
        self.progress.steps.fetch_add(1, Ordering::SeqCst);
        self.progress.waiting_for_head.store(true, Ordering::SeqCst);
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let this = &mut *self;
            this.saw(&buf.filled()[before..]);
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = polled {
            if n > 0 {
                self.wrote();
            }
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, data);
        if let Poll::Ready(Ok(n)) = polled {
            if n > 0 {
                self.wrote();
            }
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn watch<I>(io: I) -> (Watched<I>, Arc<Progress>) {
        let progress = Progress::new();
        (Watched::new(io, progress.clone()), progress)
    }

    fn ended_heads(chunks: &[&[u8]]) -> u64 {
        let (mut watched, progress) = watch(());
        for chunk in chunks {
            watched.saw(chunk);
        }
        progress.steps.load(Ordering::SeqCst)
    }

    #[test]
    fn a_head_ends_at_the_blank_line_however_it_is_split() {
        let head = b"POST / HTTP/1.1\r\nHost: x\r\n\r\nAction=GetRole";
        assert_eq!(ended_heads(&[head]), 1);
        for cut in 1..head.len() {
            assert_eq!(
                ended_heads(&[&head[..cut], &head[cut..]]),
                1,
                "cut at {cut}"
            );
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = head.chunks(1).collect();
        assert_eq!(ended_heads(&bytes), 1);
        assert_eq!(ended_heads(&[b"POST / HTTP/1.1\r\nX-Slow: \r\n"]), 0);
        assert_eq!(ended_heads(&[b"\r\n\r", b"x\n"]), 0);
    }

    #[test]
    fn after_its_head_a_request_s_body_is_not_searched() {
        // A second blank line in the body is not a second head.
        assert_eq!(ended_heads(&[b"POST / HTTP/1.1\r\n\r\n", b"a\r\n\r\nb"]), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_that_never_ends_is_cut_off_after_the_limit() {
        let (client, server) = tokio::io::duplex(1024);
        let (mut watched, progress) = watch(server);
        let limit = Duration::from_secs(10);
        let start = tokio::time::Instant::now();
        let mut client = client;
        // A byte every second: bytes arrive, but the head never ends.
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            while watched.read(&mut buf).await.unwrap_or(0) > 0 {}
        });
        let slow = tokio::spawn(async move {
            for _ in 0..60 {
                if client.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        assert!(stalled(&progress, limit, || false).await);
        let waited = start.elapsed();
        assert!(waited >= limit && waited <= limit * 3 / 2, "{waited:?}");
        reader.abort();
        slow.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn the_watch_ends_with_the_connection() {
        let progress = Progress::new();
        let start = tokio::time::Instant::now();
        assert!(!stalled(&progress, Duration::from_secs(10), || true).await);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_keeps_answering_is_never_cut_off() {
        let (client, server) = tokio::io::duplex(4096);
        let (mut watched, progress) = watch(server);
        let limit = Duration::from_secs(10);
        let mut client = client;
        // A request every 4 s for a minute, each answered.
        let serving = tokio::spawn(async move {
            let mut buf = [0u8; 256];
            loop {
                match watched.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if watched.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let dog = tokio::spawn(async move { stalled(&progress, limit, || false).await });
        for _ in 0..15 {
            client
                .write_all(b"GET /h HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut answer = [0u8; 19];
            client.read_exact(&mut answer).await.unwrap();
            tokio::time::sleep(Duration::from_secs(4)).await;
            assert!(!dog.is_finished(), "cut off while answering");
        }
        // Then idle: cut off within 1.5 limits.
        tokio::time::sleep(limit * 3 / 2 + Duration::from_millis(1)).await;
        tokio::task::yield_now().await;
        assert!(dog.is_finished(), "an idle connection stays open");
        serving.abort();
    }
}
