//! Threads that serve `serve`'s connections, each running a single-threaded runtime of its own,
//! as nginx's workers and actix-web's do (how many is the caller's choice: `serve` starts two
//! per core, see `serving_threads` in the CLI).
//!
//! On tokio's shared multi-threaded runtime, every request of a busy server paid for the work
//! stealing that runtime does: a connection's task, woken by its socket, could be taken by the
//! other thread, and each time one thread went idle it woke the other to look for work. Under
//! the benchmark's load (32 connections, fresh keys, two cores) that was 0.12 context switches
//! and 0.05 futex calls per request. Here a connection stays on the thread it was handed to,
//! round-robin as it is accepted: 0.04 context switches and 0.003 futex calls per request, and
//! `serve`'s CPU time per request fell from 13.5 to 10.6 µs (medians of nine rounds, one thread
//! per core; two per core kept that CPU time and took the idle time off the cores). What is
//! given up is the balancing: a connection sending a request that takes long to answer delays
//! the others of its thread, which for a reference implementation answering in microseconds
//! does not arise.

use std::num::NonZeroUsize;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::{Semaphore, watch};

/// The serving threads, and which one takes the next connection.
pub(crate) struct Workers {
    runtimes: Vec<Handle>,
    next: usize,
}

impl Workers {
    /// Starts `count` threads. Once `stopped` changes, each keeps running until every
    /// connection is done, that is until all of `connections`' `permits` are back: a stopping
    /// server lets the requests under way finish, as on a shared runtime. Fewer threads when
    /// the system refuses more; `None` when it refuses any (the caller serves on its own
    /// runtime then).
    pub(crate) fn start(
        count: NonZeroUsize,
        stopped: &watch::Receiver<bool>,
        connections: &Arc<Semaphore>,
        permits: u32,
    ) -> Option<Workers> {
        let mut runtimes = Vec::with_capacity(count.get());
        for i in 0..count.get() {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                break;
            };
            let handle = runtime.handle().clone();
            let (mut stopped, connections) = (stopped.clone(), Arc::clone(connections));
            let drained = async move {
                let _ = stopped.changed().await;
                let _ = connections.acquire_many(permits).await;
            };
            let started = std::thread::Builder::new()
                .name(format!("conform-serve-{i}"))
                .spawn(move || runtime.block_on(drained));
            if started.is_err() {
                break;
            }
            runtimes.push(handle);
        }
        (!runtimes.is_empty()).then_some(Workers { runtimes, next: 0 })
    }

    /// Runs `connection` on the next thread in turn.
    pub(crate) fn spawn<F>(&mut self, connection: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.runtimes[self.next].spawn(connection);
        self.next = (self.next + 1) % self.runtimes.len();
    }
}
