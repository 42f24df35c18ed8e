//! A 4-ary min-heap on a `u128` key: half the depth of a binary heap, and a node's four
//! children lie side by side in memory. With unique keys it pops in exactly the order of
//! any other correct priority queue on the same keys. The event queue (`queue.rs`) and
//! processor sharing (`ps.rs`) both keep their entries in it.

/// An item with its key in the heap's order (the least pops first).
pub trait Keyed: Copy {
    fn key(&self) -> u128;
}

/// The order-preserving map of an `f64` to a `u64`: `a.total_cmp(&b)` is
/// `total_order_bits(a).cmp(&total_order_bits(b))` for every `a`, `b` (NaNs and signed zeros
/// included).
#[inline(always)]
pub fn total_order_bits(x: f64) -> u64 {
    let u = x.to_bits();
    if u >> 63 == 1 { !u } else { u | 1 << 63 }
}

#[derive(Debug, Clone)]
pub struct Heap4<T> {
    v: Vec<T>,
}

impl<T> Default for Heap4<T> {
    fn default() -> Self {
        Heap4 { v: Vec::new() }
    }
}

impl<T: Keyed> Heap4<T> {
    pub fn with_capacity(n: usize) -> Self {
        Heap4 {
            v: Vec::with_capacity(n),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.v.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    #[inline]
    pub fn peek(&self) -> Option<&T> {
        self.v.first()
    }

    #[inline]
    pub fn push(&mut self, e: T) {
        let i = self.v.len();
        self.v.push(e);
        self.sift_up(i, e);
    }

    /// Puts `e` at the hole `i` or above it, moving larger ancestors down.
    #[inline(always)]
    fn sift_up(&mut self, mut i: usize, e: T) {
        let key = e.key();
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.v[parent].key() <= key {
                break;
            }
            self.v[i] = self.v[parent];
            i = parent;
        }
        self.v[i] = e;
    }

    /// Takes the least item out. Bottom-up (Floyd): the hole left at the root follows the
    /// least child down to a leaf, three compares a level and no test against the moved
    /// item, whose sift-up from there is short (it came from the end of the heap, so its key
    /// is seldom small). With unique keys the heap pops the same items in the same order as
    /// a top-down sift would.
    ///
    /// Always inline: the event queue pops from two heaps of this type, and the compiler
    /// made a function used twice a call, a frame per event in the hot loop.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<T> {
        let last = self.v.pop()?;
        let n = self.v.len();
        if n == 0 {
            return Some(last);
        }
        let top = self.v[0];
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first + 4 <= n {
                // A full node: the least of four as a tournament of two pairs (shorter
                // dependency chains than a scan; keys are unique, so the same child).
                let v = &self.v[first..first + 4];
                let (k0, k1, k2, k3) = (v[0].key(), v[1].key(), v[2].key(), v[3].key());
                let (a, ka) = if k1 < k0 {
                    (first + 1, k1)
                } else {
                    (first, k0)
                };
                let (b, kb) = if k3 < k2 {
                    (first + 3, k3)
                } else {
                    (first + 2, k2)
                };
                let c = if kb < ka { b } else { a };
                self.v[i] = self.v[c];
                i = c;
            } else {
                if first < n {
                    // A partial last node: its children are leaves.
                    let mut c = first;
                    let mut ck = self.v[first].key();
                    for j in first + 1..n {
                        let k = self.v[j].key();
                        if k < ck {
                            c = j;
                            ck = k;
                        }
                    }
                    self.v[i] = self.v[c];
                    i = c;
                }
                break;
            }
        }
        self.sift_up(i, last);
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    struct Item(f64, u64);
    impl Keyed for Item {
        fn key(&self) -> u128 {
            (u128::from(total_order_bits(self.0)) << 64) | u128::from(self.1)
        }
    }

    #[test]
    fn total_order_bits_orders_as_total_cmp() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1.5,
            1e300,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for a in xs {
            for b in xs {
                assert_eq!(
                    a.total_cmp(&b),
                    total_order_bits(a).cmp(&total_order_bits(b)),
                    "{a} {b}"
                );
            }
        }
    }

    /// Pops what std's binary heap pops on the same (f64 by total_cmp, seq) keys, pushes and
    /// pops interleaved, equal values included.
    #[test]
    fn pops_as_a_binary_heap_does() {
        use std::cmp::Reverse;
        let mut heap = Heap4::with_capacity(4);
        let mut reference = std::collections::BinaryHeap::new();
        let mut z: u64 = 99;
        for seq in 0..50_000u64 {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if !(z >> 33).is_multiple_of(3) || heap.is_empty() {
                let x = ((z >> 40) % 500) as f64 / 7.0 + (seq / 100) as f64;
                heap.push(Item(x, seq));
                reference.push(Reverse((total_order_bits(x), seq)));
            } else {
                let e = heap.pop().unwrap();
                let Reverse((x, s)) = reference.pop().unwrap();
                assert_eq!((total_order_bits(e.0), e.1), (x, s));
            }
        }
        while let Some(e) = heap.pop() {
            let Reverse((x, s)) = reference.pop().unwrap();
            assert_eq!((total_order_bits(e.0), e.1), (x, s));
        }
        assert!(reference.is_empty());
    }
}
