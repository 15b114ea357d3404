//! The time limit on request heads (`--read-timeout`), kept by one sweeper per server rather
//! than a timer per request.
//!
//! hyper's own header time-out arms a timer for every request head and disarms it when the
//! head is in: a timer-wheel insertion and removal per request, about a twentieth of what
//! `serve` spent per request. Here each connection only notes, in two atomics, whether it is
//! waiting for a head and since when (on a clock the sweeper advances); the sweeper looks at
//! every connection a few times per time-out and ends those past it: a client that had started
//! a request gets `408 Request Timeout`, an idle keep-alive connection is closed quietly. The
//! limit is therefore kept to within a quarter of itself (at most a second).

use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Every open connection's head deadline.
pub(crate) struct Deadlines {
    connections: Mutex<HashMap<u64, Arc<Watch>>>,
    next_id: AtomicU64,
    epoch: Instant,
    /// Milliseconds since `epoch`, advanced by the sweeper: reading it costs no system call.
    clock: AtomicU64,
    timeout: Duration,
}

/// One connection, as the sweeper sees it.
pub(crate) struct Watch {
    /// When it began waiting for a request head (on the sweeper's clock, plus one), or 0 while
    /// a request is being handled.
    waiting_since: AtomicU64,
    /// Whether bytes of a request arrived since the last answer was written.
    mid_request: AtomicBool,
    /// A second handle on the socket, to answer 408 and shut it down on.
    socket: TcpStream,
    /// Whether a 408 can be written on the socket as is (not under TLS).
    plain: bool,
}

/// A connection's place among the deadlines; leaves it when dropped.
pub(crate) struct Registration {
    deadlines: Arc<Deadlines>,
    id: u64,
    /// The connection's state, shared with the sweeper.
    pub watch: Arc<Watch>,
}

impl Deadlines {
    /// Deadlines of `timeout` for heads.
    pub(crate) fn new(timeout: Duration) -> Arc<Self> {
        Arc::new(Deadlines {
            connections: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
            clock: AtomicU64::new(0),
            timeout,
        })
    }

    /// Starts watching a connection (now waiting for its first head) through `spare`;
    /// `plain` when it is not TLS, so a 408 can be written on it.
    pub(crate) fn register(self: &Arc<Self>, spare: TcpStream, plain: bool) -> Registration {
        let watch = Arc::new(Watch {
            waiting_since: AtomicU64::new(self.now() + 1),
            mid_request: AtomicBool::new(false),
            socket: spare,
            plain,
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, Arc::clone(&watch));
        Registration {
            deadlines: Arc::clone(self),
            id,
            watch,
        }
    }

    /// Ends the connections past their deadline, every quarter of the time-out, until the
    /// server stops.
    pub(crate) async fn sweep(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let tick = (self.timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut ticks = tokio::time::interval(tick);
        loop {
            tokio::select! {
                _ = stopped.changed() => return,
                _ = ticks.tick() => {}
            }
            let now = self.epoch.elapsed().as_millis() as u64;
            self.clock.store(now, Ordering::Relaxed);
            let timeout = self.timeout.as_millis() as u64;
            let expired: Vec<Arc<Watch>> = self
                .lock()
                .values()
                .filter(|w| w.waiting_for(now).is_some_and(|waited| waited > timeout))
                .cloned()
                .collect();
            for watch in expired {
                watch.expire(self.timeout);
            }
        }
    }

    fn now(&self) -> u64 {
        self.clock.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Watch>>> {
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Registration {
    /// A request head is in: no deadline while it is handled.
    pub(crate) fn handling(&self) {
        self.watch.waiting_since.store(0, Ordering::Relaxed);
    }

    /// Bytes arrived: a request is under way.
    pub(crate) fn read_some(&self) {
        self.watch.mid_request.store(true, Ordering::Relaxed);
    }

    /// An answer is being written: the connection waits for its next head from now on.
    pub(crate) fn wrote_some(&self) {
        let watch = &self.watch;
        watch.mid_request.store(false, Ordering::Relaxed);
        let since = self.deadlines.now() + 1;
        watch.waiting_since.store(since, Ordering::Relaxed);
    }
}

impl Registration {
    /// The connection's socket as a tokio stream with its write side shut down, for reading
    /// what the client still sends after hyper refused its request (see [`super::limits::drain`]).
    pub(crate) fn lingering(&self) -> Option<tokio::net::TcpStream> {
        let socket = self.watch.socket.try_clone().ok()?;
        socket.set_nonblocking(true).ok()?;
        let _ = socket.shutdown(Shutdown::Write);
        tokio::net::TcpStream::from_std(socket).ok()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.deadlines.lock().remove(&self.id);
    }
}

impl Watch {
    /// How long it has waited for a head at `now`, if it is waiting.
    fn waiting_for(&self, now: u64) -> Option<u64> {
        match self.waiting_since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(now.saturating_sub(since - 1)),
        }
    }

    /// Answers 408 if a request had begun, then shuts the socket down, which ends hyper's
    /// reading of it.
    fn expire(&self, timeout: Duration) {
        if self.plain && self.mid_request.load(Ordering::Relaxed) {
            let message = format!(
                "request headers not received within {} (--read-timeout)\n",
                crate::units::format_duration(timeout)
            );
            let answer = format!(
                "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=UTF-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{message}",
                message.len()
            );
            // The socket is non-blocking; an answer this small fits the send buffer.
            let _ = (&self.socket).write_all(answer.as_bytes());
        }
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}
