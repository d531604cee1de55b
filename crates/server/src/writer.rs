//! The writer: one thread that runs every request that may write.
//!
//! Writes serialize on the store's lock anyway, and a durable one blocks on
//! its commit. Run on a runtime worker, a commit stalls that worker's other
//! connections (issue 13). Handing the worker over for each write with
//! `block_in_place` avoided that but cost a worker hand-off and several
//! thread wake-ups per write: perf showed 8 % of the server's CPU in context
//! switches, and durable CreateRole+DeleteRole ran at 0.67× of the build
//! that committed inline (2e67176), 1.15× with this thread (`bench/run
//! --only versus --baseline-bin <2e67176 build>`, run with `--rev` on
//! a87b236 and on 7f12ca8). One thread fed by a queue keeps the workers
//! free and costs one wake-up per write, none while writes queue up.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{channel, Sender};

/// A write to run, with its answer's way back inside.
type Job = Box<dyn FnOnce() + Send>;

/// The writer thread's queue. The thread ends when this is dropped.
pub(crate) struct Writer {
    queue: Sender<Job>,
}

impl Writer {
    /// Starts the thread.
    pub(crate) fn start() -> std::io::Result<Self> {
        let (queue, jobs) = channel::<Job>();
        std::thread::Builder::new()
            .name("ironiam-writer".into())
            .spawn(move || {
                for job in jobs {
                    // A job that panics drops its answer's sender, so its
                    // request is answered 500; the next job still runs.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                }
            })?;
        Ok(Writer { queue })
    }

    /// Runs `f` on the writer thread, after the writes queued before it.
    /// `None` if it panicked.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Option<R> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The request may have gone (its client hung up): the write
            // still happened, as it would have inline.
            let _ = answer.send(f());
        });
        self.queue.send(job).ok()?;
        answered.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_in_order_on_one_thread_and_survives_a_panic() {
        let writer = Writer::start().unwrap();
        let first = writer.run(|| std::thread::current().id()).await.unwrap();
        let panicked = writer.run(|| -> u8 { panic!("a bug in a handler") }).await;
        assert_eq!(panicked, None);
        let after = writer.run(|| std::thread::current().id()).await.unwrap();
        assert_eq!(first, after);
        assert_ne!(first, std::thread::current().id());
    }
}
