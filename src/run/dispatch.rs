//! Starting cases as slots free up, and handing their results back in plan order.
//!
//! Cases are started by a task of their own on the runtime: when a case ends, the next starts
//! on the worker thread that ran it, without waiting for the thread that reports (on a busy
//! machine, the last to be scheduled), and a finished case never holds a slot while an earlier
//! one still runs. Results come back in the order the cases were planned, so every report
//! reads the same whatever finished first; how far the running may get ahead of the reporting
//! is bounded ([`AHEAD`]), so a case that takes long holds back at most that many finished
//! results.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Items started beyond the oldest one not yet handed over, at most (running or finished).
pub(super) const AHEAD: usize = 256;

/// The results of running a stream's items, handed over in the stream's order.
pub(super) struct Dispatched<R> {
    results: mpsc::UnboundedReceiver<(usize, R, OwnedSemaphorePermit)>,
    waiting: BTreeMap<usize, (R, OwnedSemaphorePermit)>,
    next: usize,
    starter: tokio::task::JoinHandle<()>,
}

/// Runs `run` on each of `items`, in order, at most `jobs` at once, each on a task of its own.
pub(super) fn dispatch<T, R, F>(
    items: impl Stream<Item = T> + Send + 'static,
    jobs: usize,
    run: impl Fn(T) -> F + Send + 'static,
) -> Dispatched<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Future<Output = R> + Send + 'static,
{
    let (done, results) = mpsc::unbounded_channel();
    let starter = tokio::spawn(async move {
        let running = Arc::new(Semaphore::new(jobs.max(1)));
        let ahead = Arc::new(Semaphore::new(AHEAD.max(jobs)));
        let mut items = std::pin::pin!(items);
        let mut seq = 0;
        while let Some(item) = items.next().await {
            let (Ok(unreported), Ok(slot)) = (
                Arc::clone(&ahead).acquire_owned().await,
                Arc::clone(&running).acquire_owned().await,
            ) else {
                return;
            };
            let (done, ran) = (done.clone(), run(item));
            tokio::spawn(async move {
                let result = ran.await;
                drop(slot);
                // The receiver may have stopped (`--fail-fast`): the result is not wanted.
                let _ = done.send((seq, result, unreported));
            });
            seq += 1;
        }
    });
    Dispatched {
        results,
        waiting: BTreeMap::new(),
        next: 0,
        starter,
    }
}

impl<R> Dispatched<R> {
    /// The next result in the items' order; `None` once every item's has been handed over.
    pub(super) async fn next(&mut self) -> Option<R> {
        loop {
            if let Some((result, unreported)) = self.waiting.remove(&self.next) {
                self.next += 1;
                // Its place among those ahead of the hand-over frees as it is handed over.
                drop(unreported);
                return Some(result);
            }
            match self.results.recv().await {
                Some((seq, result, unreported)) => {
                    self.waiting.insert(seq, (result, unreported));
                }
                // Every task has ended: nothing is missing unless one was cancelled (the
                // runtime shutting down); what did finish is still handed over.
                None => {
                    let (_, (result, _)) = self.waiting.pop_first()?;
                    return Some(result);
                }
            }
        }
    }
}

impl<R> Drop for Dispatched<R> {
    /// The results stopped being read (`--fail-fast`): nothing more starts.
    fn drop(&mut self) {
        self.starter.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Item `i` takes `10 - i` ms: later items finish first.
    async fn slower_first(i: usize) -> usize {
        tokio::time::sleep(Duration::from_millis(10 - i as u64)).await;
        i
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hands_results_over_in_order_whatever_finished_first() {
        let mut results = dispatch(futures::stream::iter(0..10), 4, slower_first);
        let mut got = Vec::new();
        while let Some(i) = results.next().await {
            got.push(i);
        }
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_at_most_jobs_at_once_and_starts_the_next_as_one_ends() {
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let before_the_first = Arc::new(AtomicUsize::new(usize::MAX));
        let shared = [&now, &most, &finished, &before_the_first].map(Arc::clone);
        let run = move |i: usize| {
            let [now, most, finished, before_the_first] = shared.clone();
            async move {
                let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(running, Ordering::SeqCst);
                // The first item is slow: the others must not wait for it to be handed over.
                let pause = if i == 0 { 300 } else { 1 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                let others = finished.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    before_the_first.store(others, Ordering::SeqCst);
                }
                i
            }
        };
        let mut results = dispatch(futures::stream::iter(0..40), 3, run);
        let mut got = Vec::new();
        while let Some(i) = results.next().await {
            got.push(i);
        }
        assert_eq!(got, (0..40).collect::<Vec<_>>());
        assert_eq!(
            most.load(Ordering::SeqCst),
            3,
            "never more than --jobs at once"
        );
        // The other 39 ran in the two slots the first left free, all before it ended.
        assert_eq!(before_the_first.load(Ordering::SeqCst), 39);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holds_back_at_most_so_many_finished_results_behind_a_slow_one() {
        let started = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&started);
        let run = move |i: usize| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if i == 0 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                i
            }
        };
        let mut results = dispatch(futures::stream::iter(0..AHEAD * 4), 4, run);
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Item 0 still runs: no more than AHEAD items may have been started.
        assert_eq!(started.load(Ordering::SeqCst), AHEAD);
        let mut got = 0;
        while let Some(i) = results.next().await {
            assert_eq!(i, got);
            got += 1;
        }
        assert_eq!(got, AHEAD * 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn starts_nothing_more_once_the_results_are_dropped() {
        let started = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&started);
        let run = move |i: usize| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                i
            }
        };
        let mut results = dispatch(futures::stream::iter(0..1000), 2, run);
        assert_eq!(results.next().await, Some(0));
        drop(results);
        let seen = started.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(started.load(Ordering::SeqCst) <= seen + 2, "kept starting");
    }
}
