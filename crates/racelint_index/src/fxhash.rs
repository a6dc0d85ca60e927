//! A fast, non-cryptographic hasher for the summarizer's and the linker's tables of names. The keys come from the
//! program being checked and the tables never leave the process, so hash flooding is no
//! concern; SipHash's cost on millions of short dotted names is.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing, a word at a time (the scheme rustc uses for its own tables).
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` hashed with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A `HashSet` hashed with [`FxHasher`].
pub type FxHashSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hash(s: &str) -> u64 {
        BuildHasherDefault::<FxHasher>::default().hash_one(s)
    }

    #[test]
    fn equal_names_agree_and_close_names_differ() {
        assert_eq!(hash("pkg.mod.func"), hash(&String::from("pkg.mod.func")));
        let names = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "pkg.mod",
            "pkg.mod.",
            "pkg.mod.f",
            "pkg.mod.g",
            "threading.Thread",
            "threading.Threads",
        ];
        for (i, x) in names.iter().enumerate() {
            for y in &names[i + 1..] {
                assert_ne!(hash(x), hash(y), "{x:?} and {y:?}");
            }
        }
        let mut map: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, n) in names.iter().enumerate() {
            map.insert(n, i);
        }
        assert_eq!(map.get("pkg.mod.g"), Some(&8));
        assert_eq!(map.get("pkg.mod.h"), None);
    }
}
