//! A global allocator that counts live bytes, and refuses to grow past a hard ceiling: a
//! runaway allocation then fails this test (naming the seed) instead of exhausting the
//! machine's memory. The peak a mutation reaches is counted on its own thread: the crate's
//! other unit tests run beside it in the same process, and their allocations are not its own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// No allocation may take the live total past this.
pub(super) const CEILING: usize = 1 << 30;

static LIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Bytes this thread allocated less those it freed (negative when it frees what another
    /// thread allocated).
    static THREAD_LIVE: Cell<isize> = const { Cell::new(0) };
    /// The most `THREAD_LIVE` reached since the thread's last [`reset_peak`].
    static THREAD_PEAK: Cell<isize> = const { Cell::new(0) };
}
/// The seed being exercised, for the message when the ceiling is hit.
pub(super) static SEED: AtomicU64 = AtomicU64::new(0);

pub(super) struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes this thread holds now.
pub(super) fn live() -> usize {
    THREAD_LIVE.with(Cell::get).max(0) as usize
}

/// Starts a new peak measurement on this thread from the bytes it holds now.
pub(super) fn reset_peak() {
    THREAD_PEAK.with(|peak| peak.set(THREAD_LIVE.with(Cell::get)));
}

/// The most bytes this thread held since [`reset_peak`].
pub(super) fn peak() -> usize {
    THREAD_PEAK.with(Cell::get).max(0) as usize
}

/// Counts `bytes` more on this thread (`try_with`: a thread being torn down still frees).
fn thread_add(bytes: isize) {
    let _ = THREAD_LIVE.try_with(|live| {
        let now = live.get() + bytes;
        live.set(now);
        let _ = THREAD_PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn grow(bytes: usize) -> bool {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    if now > CEILING {
        LIVE.fetch_sub(bytes, Ordering::Relaxed);
        refused();
        return false;
    }
    thread_add(bytes as isize);
    true
}

fn shrink(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
    thread_add(-(bytes as isize));
}

/// Says which seed ran away, without allocating (this runs inside the allocator).
fn refused() {
    let mut message =
        *b"contract fuzz: an allocation past the 1 GiB ceiling, seed 00000000000000000000\n";
    let mut seed = SEED.load(Ordering::Relaxed);
    let digits = message.len() - 1;
    for slot in message[digits - 20..digits].iter_mut().rev() {
        *slot = b'0' + (seed % 10) as u8;
        seed /= 10;
    }
    // SAFETY: writing a valid buffer to the standard error descriptor.
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
    }
}

// SAFETY: every call is forwarded to the system allocator; only the counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        let ptr = unsafe { System.alloc(layout) };
        if ptr.is_null() {
            shrink(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if ptr.is_null() {
            shrink(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !grow(new_size - old) {
            return std::ptr::null_mut();
        }
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if new.is_null() {
            if new_size > old {
                shrink(new_size - old);
            }
        } else if new_size < old {
            shrink(old - new_size);
        }
        new
    }
}
