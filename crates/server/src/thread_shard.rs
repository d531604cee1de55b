//! Which of several per-thread slots the current thread writes to.
//!
//! Counters and buffers that every request updates (metrics, the audit
//! log) are split into slots so that the runtime's worker threads, each on
//! its own core, never write to the same cache line (a shared line moves
//! between the cores on every request). Readers (the metrics page, the audit writer) visit
//! every slot.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    /// This thread's number, given out on first use.
    static THREAD_NUMBER: Cell<Option<usize>> = const { Cell::new(None) };
}

static NEXT_THREAD_NUMBER: AtomicUsize = AtomicUsize::new(0);

/// The current thread's slot among `slots` (> 0). Threads are numbered in
/// the order they first ask, so the first `slots` threads (the runtime's
/// workers, in practice) each get their own slot; later ones share.
pub(crate) fn of_current_thread(slots: usize) -> usize {
    let number = THREAD_NUMBER.with(|cell| match cell.get() {
        Some(n) => n,
        None => {
            let n = NEXT_THREAD_NUMBER.fetch_add(1, Ordering::Relaxed);
            cell.set(Some(n));
            n
        }
    });
    number % slots.max(1)
}

/// Aligned to its own pair of cache lines, so that neighbouring slots
/// never share one (128 bytes: adjacent-line prefetching pairs lines).
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Padded<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_slot_and_threads_spread() {
        let here = of_current_thread(4);
        assert_eq!(of_current_thread(4), here);
        let others: std::collections::HashSet<usize> = (0..4)
            .map(|_| {
                std::thread::spawn(|| of_current_thread(1 << 20))
                    .join()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            others.len(),
            4,
            "consecutive new threads get distinct numbers"
        );
        assert_eq!(of_current_thread(1), 0);
    }
}
