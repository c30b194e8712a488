//! The agent's only `unsafe`: a global allocator that wipes memory as it is
//! freed.
//!
//! Secrets pass through buffers the agent does not own: the socket codec's
//! frame buffers, MessagePack's scratch strings, Argon2's working memory
//! (which the argon2 crate frees unwiped), vault decoding buffers. Wiping on
//! free catches all of them, so that after a lock no freed copy of a password,
//! key or item secret is left for a memory dump or a later allocation to
//! reveal. `realloc` is done as allocate, copy, wipe, free, because the
//! system's `realloc` may move a block and free the old one unwiped.
#![allow(
    unsafe_code,
    reason = "GlobalAlloc is an unsafe trait; see SAFETY comments"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;

/// `System`, wiping every block before it is returned.
#[derive(Debug)]
pub struct WipingAllocator;

/// Zeroes `len` bytes at `p` in a way the optimiser may not remove: the
/// stores precede a call to `free`, which compilers otherwise treat as making
/// them dead.
///
/// SAFETY: `p` must be valid for writes of `len` bytes.
unsafe fn wipe(p: *mut u8, len: usize) {
    // SAFETY: the caller guarantees `p..p+len` is writable.
    unsafe { ptr::write_bytes(p, 0, len) };
    // `black_box` is opaque to the optimiser and may read through `p`, so the
    // zeroing above must happen.
    std::hint::black_box(p);
}

// SAFETY: every method forwards to `System` with the same layout contract the
// caller gave us; wiping writes only inside the block being freed, which the
// caller still owns until `dealloc` returns.
unsafe impl GlobalAlloc for WipingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: `p` is a live block of `layout.size()` bytes being freed.
        unsafe {
            wipe(p, layout.size());
            System.dealloc(p, layout);
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to
        // `layout.align()`, does not overflow, so this layout is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_layout` has a non-zero size, as the caller guarantees.
        let q = unsafe { System.alloc(new_layout) };
        if !q.is_null() {
            // SAFETY: `p` holds `layout.size()` initialised bytes, `q` has
            // room for `new_size`, and the blocks are distinct; `p` is then
            // freed exactly once.
            unsafe {
                ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                self.dealloc(p, layout);
            }
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realloc_keeps_contents() {
        let a = WipingAllocator;
        let layout = Layout::from_size_align(16, 8).expect("layout");
        // SAFETY: a valid layout; every block allocated here is freed once.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            for i in 0..16 {
                *p.add(i) = i as u8;
            }
            let q = a.realloc(p, layout, 64);
            assert!(!q.is_null());
            for i in 0..16 {
                assert_eq!(*q.add(i), i as u8);
            }
            a.dealloc(q, Layout::from_size_align(64, 8).expect("layout"));
        }
    }
}
