//! The global allocator of racelint's binaries: mimalloc, with one more heap per thread for
//! syntax trees.
//!
//! A check parses a file, walks the tree into a summary that lives until the analysis, and
//! drops the tree. In one heap the summary's small allocations land in the same pages as
//! the tree's, so once the tree is gone every page is left partly used, and the next
//! file's tree is built from free lists scattered over all of them. Parsing inside
//! [`trees`] puts the tree in a heap of its own: when it is dropped its pages are whole
//! again, and the next tree is laid out in them in order, as when nothing else is kept.
//!
//! Which heap a block came from matters only while allocating: mimalloc frees any block
//! from any thread through the same call, so nothing else changes. In a program that does
//! not install [`Allocator`], [`trees`] only sets a flag nobody reads.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ffi::c_void;

use libmimalloc_sys as mi;

thread_local! {
    /// Whether this thread is inside [`trees`].
    static IN_TREES: Cell<bool> = const { Cell::new(false) };
    /// This thread's heap for trees, made on first use.
    static TREE_HEAP: Cell<*mut mi::mi_heap_t> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs `parse` with the allocations of this thread going to its heap for syntax trees.
///
/// Not for thread-local destructors: mimalloc deletes the thread's heaps as the thread
/// ends.
pub fn trees<T>(parse: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_TREES.with(|flag| flag.set(self.0));
        }
    }
    let _restore = Restore(IN_TREES.with(|flag| flag.replace(true)));
    parse()
}

/// The heap for trees when this thread is inside [`trees`].
#[inline]
fn tree_heap() -> Option<*mut mi::mi_heap_t> {
    if !IN_TREES.with(Cell::get) {
        return None;
    }
    TREE_HEAP.with(|slot| {
        let mut heap = slot.get();
        if heap.is_null() {
            // SAFETY: makes a heap owned by this thread. It lives as long as the thread:
            // mimalloc deletes a thread's heaps as the thread ends, moving the blocks still
            // in use to the thread's main heap.
            heap = unsafe { mi::mi_heap_new() };
            slot.set(heap);
        }
        (!heap.is_null()).then_some(heap)
    })
}

/// mimalloc, with the heap for trees inside [`trees`].
pub struct Allocator;

// SAFETY: every call goes to mimalloc with the size and alignment of the layout, as the
// `mimalloc` crate's own allocator does; a heap made by `mi_heap_new` is only allocated
// from by the thread that made it.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            match tree_heap() {
                Some(heap) => mi::mi_heap_malloc_aligned(heap, layout.size(), layout.align()),
                None => mi::mi_malloc_aligned(layout.size(), layout.align()),
            }
            .cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            match tree_heap() {
                Some(heap) => mi::mi_heap_zalloc_aligned(heap, layout.size(), layout.align()),
                None => mi::mi_zalloc_aligned(layout.size(), layout.align()),
            }
            .cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            match tree_heap() {
                Some(heap) => {
                    mi::mi_heap_realloc_aligned(heap, ptr.cast(), new_size, layout.align())
                }
                None => mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()),
            }
            .cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static GLOBAL: Allocator = Allocator;

    fn in_trees() -> bool {
        IN_TREES.with(Cell::get)
    }

    #[test]
    fn trees_sets_the_flag_for_its_closure_only_and_nests() {
        assert!(!in_trees());
        let inner = trees(|| {
            assert!(in_trees());
            trees(in_trees) && in_trees()
        });
        assert!(inner);
        assert!(!in_trees());
        // A panic inside leaves the flag as it was.
        let caught = std::panic::catch_unwind(|| trees(|| panic!("inside")));
        assert!(caught.is_err());
        assert!(!in_trees());
    }

    #[test]
    fn blocks_from_the_tree_heap_grow_move_and_free_anywhere() {
        let (tree, text, zeros, aligned) = trees(|| {
            let mut tree: Vec<u64> = Vec::new();
            for i in 0..100_000 {
                tree.push(i); // grows by reallocation in the tree heap
            }
            let text = "x".repeat(10_000);
            let zeros = vec![0u8; 1 << 20];
            let aligned = Box::new(Aligned([7; 64]));
            (tree, text, zeros, aligned)
        });
        assert!(tree.iter().copied().eq(0..100_000));
        assert_eq!(text.len(), 10_000);
        assert!(zeros.iter().all(|&b| b == 0));
        assert_eq!((&*aligned as *const Aligned as usize) % 4096, 0);
        assert!(aligned.0.iter().all(|&b| b == 7));
        // Grown again outside, and freed by another thread.
        let mut tree = tree;
        tree.extend(100_000..200_000);
        std::thread::spawn(move || {
            assert_eq!(tree.len(), 200_000);
            drop((tree, text, zeros, aligned));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn every_thread_gets_a_tree_heap_of_its_own() {
        // All four threads stay alive until each has its heap: a heap is deleted when its
        // thread ends (its blocks move to that thread's main heap), and its address may
        // then be handed to another.
        let all_made = std::sync::Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|n| {
                let all_made = all_made.clone();
                std::thread::spawn(move || {
                    let parts = trees(|| (0..1000).map(|i| format!("{n}:{i}")).collect::<Vec<_>>());
                    let heap = TREE_HEAP.with(Cell::get);
                    assert!(!heap.is_null());
                    all_made.wait();
                    (heap as usize, parts.len())
                })
            })
            .collect();
        let mut heaps: Vec<usize> = handles
            .into_iter()
            .map(|h| {
                let (heap, len) = h.join().unwrap();
                assert_eq!(len, 1000);
                heap
            })
            .collect();
        heaps.sort_unstable();
        heaps.dedup();
        assert_eq!(heaps.len(), 4);
    }

    #[repr(align(4096))]
    struct Aligned([u8; 64]);
}
