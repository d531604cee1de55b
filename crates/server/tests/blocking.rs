//! Issue 13: a write that blocks on storage (a durable commit) does not
//! stall the other tasks of its runtime worker.
//!
//! The journal below blocks its commit until another task of the same
//! runtime has run. On a runtime with one worker, that can only happen if
//! the write hands its worker over while it blocks; inline on the worker,
//! the commit would wait for a task that never runs, and give up.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use ironiam_core::clock::FixedClock;
use ironiam_core::error::{IamError, IamResult};
use ironiam_core::memory::{Change, Journal, MemoryStore, Snapshot};
use ironiam_core::service::{IamService, Settings};
use ironiam_server::{App, AppConfig};
use parking_lot::Mutex;
use tokio::sync::Notify;

/// A journal whose commit waits for a signal from another task.
struct WaitsForAnotherTask {
    /// Told when a commit has started (and is blocking its thread).
    entered: Arc<Notify>,
    /// The other task's signal.
    signal: Mutex<Receiver<()>>,
}

impl Journal for WaitsForAnotherTask {
    fn record(&self, _: Change<'_>) -> IamResult<()> {
        self.entered.notify_one();
        match self.signal.lock().recv_timeout(Duration::from_secs(10)) {
            Ok(()) => Ok(()),
            Err(_) => Err(IamError::Internal(
                "no other task ran while the commit blocked".into(),
            )),
        }
    }
}

fn app() -> (Arc<App>, Arc<Notify>, Sender<()>) {
    let entered = Arc::new(Notify::new());
    let (send, receive) = channel();
    let journal = WaitsForAnotherTask {
        entered: entered.clone(),
        signal: Mutex::new(receive),
    };
    let store = MemoryStore::with_journal(journal, Snapshot::default());
    let service = IamService::new(
        Arc::new(store),
        Arc::new(FixedClock::new(1_795_998_080)),
        Settings::default(),
    );
    (
        App::new(Arc::new(service), AppConfig::default()),
        entered,
        send,
    )
}

#[test]
fn a_blocking_commit_leaves_the_worker_to_other_tasks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (app, entered, signal) = app();
        // The other task: runs once the commit has started, and signals it.
        let other = tokio::spawn(async move {
            entered.notified().await;
            signal.send(()).unwrap();
        });
        let writer = tokio::spawn(async move {
            let req = Request::post("/")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(
                    "Action=CreateUser&Version=2010-05-08&UserName=alice",
                )))
                .unwrap();
            let resp = app.handle(req).await;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        });
        let (status, body) = writer.await.unwrap();
        assert_eq!(status, 200, "{body}");
        other.await.unwrap();
    });
}
