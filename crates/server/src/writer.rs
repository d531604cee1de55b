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
//!
//! **Group commit** (issue 12). The writes waiting in the queue when the
//! thread takes the next one run together, as one group of the store
//! ([`Store::in_one_commit`]): on SQLite their changes reach the disk in one
//! commit, and most of a commit's cost (WAL frames, locks, the WAL index) is
//! paid per commit, not per change. Nothing is acknowledged before it is
//! durable: every answer of a group waits for the group's commit, and a
//! failed commit answers each of them 500. A write that finds the queue
//! empty runs alone, as before, so a lone write waits for no one.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use ironiam_core::store::Store;

/// A write to run. Running it answers how to deliver its answer once the
/// commit that makes it durable is known to have succeeded (`true`) or not.
type Job = Box<dyn FnOnce() -> Deliver + Send>;

/// Sends a job's answer: the answer if its commit succeeded, else none
/// (the request is answered 500).
type Deliver = Box<dyn FnOnce(bool) + Send>;

/// The most writes one group takes. The group holds the store's write
/// lock while its writes run, so reads elsewhere wait for a whole group:
/// at about 30 µs a write here, 32 keeps that under a millisecond and
/// already takes a whole queue of a client at concurrency 32.
const MAX_GROUP: usize = 32;

/// The writer thread's queue. The thread ends when this is dropped.
pub(crate) struct Writer {
    queue: Sender<Job>,
}

impl Writer {
    /// Starts the thread, writing to `store`.
    pub(crate) fn start(store: Arc<dyn Store>) -> std::io::Result<Self> {
        let (queue, jobs) = channel::<Job>();
        std::thread::Builder::new()
            .name("ironiam-writer".into())
            .spawn(move || write_all(&*store, jobs))?;
        Ok(Writer { queue })
    }

    /// Runs `f` on the writer thread, after the writes queued before it
    /// (it is queued at once, before the future is awaited), and answers
    /// once what it wrote is durable. `None` if it panicked or its group's
    /// commit failed.
    pub(crate) fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> impl std::future::Future<Output = Option<R>> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let result = f();
            Box::new(move |durable| {
                // The request may have gone (its client hung up): the write
                // still happened, as it would have inline.
                let _ = answer.send(durable.then_some(result));
            })
        });
        let queued = self.queue.send(job).is_ok();
        async move {
            if !queued {
                return None;
            }
            answered.await.ok().flatten()
        }
    }
}

/// The writer thread: takes the next write, and with it those already
/// waiting, and runs them as one group.
fn write_all(store: &dyn Store, jobs: Receiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    let mut answers = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = jobs.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if group.len() == 1 {
            // Alone: each of its changes commits as it is written.
            answers.extend(group.drain(..).filter_map(run));
            deliver(&mut answers, true);
            continue;
        }
        let committed = store
            .in_one_commit(&mut || answers.extend(group.drain(..).filter_map(run)))
            .is_ok();
        deliver(&mut answers, committed);
    }
}

/// Runs a job. A job that panics drops its answer's sender, so its request
/// is answered 500; the next job still runs.
fn run(job: Job) -> Option<Deliver> {
    std::panic::catch_unwind(AssertUnwindSafe(job)).ok()
}

fn deliver(answers: &mut Vec<Deliver>, durable: bool) {
    for answer in answers.drain(..) {
        answer(durable);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironiam_core::faulty::FaultyStore;
    use ironiam_core::memory::MemoryStore;

    fn writer() -> Writer {
        Writer::start(Arc::new(MemoryStore::new())).unwrap()
    }

    /// Holds the writer thread until the returned sender is dropped or
    /// sent to: the writes queued meanwhile then run as one group.
    fn hold(
        writer: &Writer,
    ) -> (
        std::sync::mpsc::Sender<()>,
        impl std::future::Future<Output = Option<bool>>,
    ) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        (release, writer.run(move || held.recv().is_ok()))
    }

    /// Writes queued behind a held one (one group) are all answered, and
    /// run in the order queued; a lone write is answered too. (That they
    /// share a commit: `a_failed_group_commit_answers_none_of_its_writes`
    /// here, and store-sqlite's `a_group_is_observed_as_one_commit`.)
    #[tokio::test]
    async fn queued_writes_are_all_answered_in_order() {
        let writer = writer();
        let (release, held) = hold(&writer);
        let order = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let queued: Vec<_> = (0..10)
            .map(|i| {
                let order = order.clone();
                writer.run(move || order.lock().push(i))
            })
            .collect();
        release.send(()).unwrap();
        assert_eq!(held.await, Some(true));
        for q in queued {
            assert_eq!(q.await, Some(()));
        }
        assert_eq!(*order.lock(), (0..10).collect::<Vec<_>>());
        assert_eq!(writer.run(|| 7).await, Some(7));
    }

    /// A group whose commit fails answers none of its writes (each request
    /// gets a 500): nothing is acknowledged that is not durable.
    #[tokio::test]
    async fn a_failed_group_commit_answers_none_of_its_writes() {
        let store = Arc::new(FaultyStore::new());
        store.fail("in_one_commit", "*");
        let writer = Writer::start(store.clone()).unwrap();
        let (release, held) = hold(&writer);
        let a = writer.run(|| 'a');
        let b = writer.run(|| 'b');
        release.send(()).unwrap();
        // Whether the held write ran alone or with a and b, a and b were
        // queued together, so they share a group, and it failed.
        let _ = held.await;
        assert_eq!(a.await, None);
        assert_eq!(b.await, None);
        // Healed, a group commits and is answered again.
        store.heal();
        let (release, held) = hold(&writer);
        let c = writer.run(|| 'c');
        let d = writer.run(|| 'd');
        drop(release);
        let _ = held.await;
        assert_eq!((c.await, d.await), (Some('c'), Some('d')));
    }

    #[tokio::test]
    async fn runs_in_order_on_one_thread_and_survives_a_panic() {
        let writer = writer();
        let first = writer.run(|| std::thread::current().id()).await.unwrap();
        let panicked = writer.run(|| -> u8 { panic!("a bug in a handler") }).await;
        assert_eq!(panicked, None);
        let after = writer.run(|| std::thread::current().id()).await.unwrap();
        assert_eq!(first, after);
        assert_ne!(first, std::thread::current().id());
    }
}
