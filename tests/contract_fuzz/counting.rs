//! A global allocator that counts live bytes and their peak, and refuses to grow past a hard
//! ceiling: a runaway allocation then fails this test (naming the seed) instead of exhausting
//! the machine's memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// No allocation may take the live total past this.
pub const CEILING: usize = 1 << 30;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// The seed being exercised, for the message when the ceiling is hit.
pub static SEED: AtomicU64 = AtomicU64::new(0);

pub struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes live now.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a new peak measurement from the bytes live now.
pub fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

/// The most bytes live since [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

fn grow(bytes: usize) -> bool {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    if now > CEILING {
        LIVE.fetch_sub(bytes, Ordering::Relaxed);
        refused();
        return false;
    }
    PEAK.fetch_max(now, Ordering::Relaxed);
    true
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
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if ptr.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !grow(new_size - old) {
            return std::ptr::null_mut();
        }
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if new.is_null() {
            if new_size > old {
                LIVE.fetch_sub(new_size - old, Ordering::Relaxed);
            }
        } else if new_size < old {
            LIVE.fetch_sub(old - new_size, Ordering::Relaxed);
        }
        new
    }
}
