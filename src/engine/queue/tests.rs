//! The event queue's pop order: (time, insertion sequence) across the near and later
//! heaps, the lanes, the client timeouts and the tick slot, cancellations included.

use super::*;

/// The 4-ary heap pops what a binary heap on (time, seq) pops, pushes and pops
/// interleaved, equal times included.
#[test]
fn four_ary_heap_pops_in_key_order() {
    let mut heap = Heap4::with_capacity(4);
    let mut reference = std::collections::BTreeSet::new();
    let mut z: u64 = 12345;
    let mut seq = 0;
    for round in 0..20_000u64 {
        z = z
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if !(z >> 33).is_multiple_of(3) || heap.is_empty() {
            seq += 1;
            let time = round + (z >> 40) % 50;
            heap.push(Entry {
                time,
                seq,
                event: Event::MetricsScrape,
            });
            reference.insert((time, seq));
        } else {
            let e = heap.pop().unwrap();
            assert_eq!(Some((e.time, e.seq)), reference.pop_first());
        }
    }
    while let Some(e) = heap.pop() {
        assert_eq!(Some((e.time, e.seq)), reference.pop_first());
    }
    assert!(reference.is_empty());
}

#[test]
fn pops_by_time_then_insertion_order() {
    let mut q = EventQueue::with_capacity(8, 1);
    q.push(20, Event::VuWake { vu: 1, token: 0 });
    q.push_lane(0, 10, Event::VuWake { vu: 2, token: 0 });
    q.push(20, Event::VuWake { vu: 3, token: 0 });
    q.push(10, Event::VuWake { vu: 4, token: 0 });
    q.push_lane(0, 20, Event::VuWake { vu: 5, token: 0 });
    // Out of order for the lane: goes to the heap, still pops in (time, seq) order.
    q.push_lane(0, 15, Event::VuWake { vu: 6, token: 0 });
    assert_eq!(vus_of(&mut q), vec![2, 4, 6, 1, 3, 5]);
}

fn vus_of(q: &mut EventQueue) -> Vec<u32> {
    std::iter::from_fn(|| q.pop())
        .map(|(_, e)| match e {
            Event::VuWake { vu, .. } => vu,
            _ => unreachable!(),
        })
        .collect()
}

/// Events due [`LATER_AFTER`] or more after the last pop wait in the later heap and still
/// pop in (time, sequence) order among the other events, equal times included; cancelling
/// a lane's front keeps the later heap's top in the least.
#[test]
fn later_events_pop_in_time_then_insertion_order() {
    let later = LATER_AFTER;
    let mut q = EventQueue::with_capacity(8, 1);
    q.push(later + 10, Event::VuWake { vu: 1, token: 0 });
    q.push(20, Event::VuWake { vu: 9, token: 0 });
    q.push(later + 7, Event::VuWake { vu: 3, token: 0 });
    assert_eq!((q.later.len(), q.heap.len()), (2, 1));
    assert_eq!(q.pop().map(|(t, _)| t), Some(20));
    // Now 20: the same time is no longer far enough ahead.
    q.push(later + 10, Event::VuWake { vu: 2, token: 0 });
    assert_eq!((q.later.len(), q.heap.len()), (2, 1));
    q.push_tick(later + 10, Event::VuWake { vu: 4, token: 0 });
    let lane = q.push_lane(0, later + 5, Event::VuWake { vu: 5, token: 0 });
    q.push_lane(0, later + 10, Event::VuWake { vu: 8, token: 0 });
    q.push(30, Event::VuWake { vu: 7, token: 0 });
    q.cancel(0, lane);
    assert_eq!((q.len(), q.peek_time()), (6, Some(30)));
    assert_eq!(vus_of(&mut q), vec![7, 3, 1, 2, 4, 8]);
}

/// Ticks pop in (time, sequence) order among heap and lane events, equal times
/// included, whether they wait in the tick slot or (the slot taken) in the heap.
#[test]
fn ticks_pop_in_time_then_insertion_order() {
    let mut q = EventQueue::with_capacity(8, 1);
    q.push(10, Event::VuWake { vu: 1, token: 0 });
    q.push_tick(10, Event::VuWake { vu: 2, token: 0 });
    q.push_lane(0, 10, Event::VuWake { vu: 3, token: 0 });
    // The slot is taken: this one goes to the heap.
    q.push_tick(5, Event::VuWake { vu: 4, token: 0 });
    assert_eq!(q.len(), 4);
    assert_eq!(q.pop().map(|(t, _)| t), Some(5));
    assert_eq!(q.pop().map(|(t, _)| t), Some(10));
    // The slot is taken until the tick in it pops.
    q.push_tick(10, Event::VuWake { vu: 5, token: 0 });
    q.push(12, Event::VuWake { vu: 6, token: 0 });
    q.push_tick(11, Event::VuWake { vu: 7, token: 0 });
    assert_eq!(vus_of(&mut q), vec![2, 3, 5, 7, 6]);
    assert!(q.is_empty());
}

#[test]
fn cancelled_lane_timers_never_pop_and_order_holds() {
    let mut q = EventQueue::with_capacity(8, 2);
    let a = q.push_lane(0, 10, Event::VuWake { vu: 1, token: 0 });
    let b = q.push_lane(0, 20, Event::VuWake { vu: 2, token: 0 });
    let c = q.push_lane(1, 15, Event::VuWake { vu: 3, token: 0 });
    q.push(15, Event::VuWake { vu: 4, token: 0 });
    q.push_lane(1, 30, Event::VuWake { vu: 5, token: 0 });
    // Out of order for lane 0: goes to the heap and has no handle.
    assert_eq!(
        q.push_lane(0, 5, Event::VuWake { vu: 6, token: 0 }),
        TimerId::NONE
    );
    q.cancel(0, b); // in the middle of its lane
    q.cancel(1, c); // the front of lane 1, at the same time as a heap entry
    q.cancel(0, TimerId::NONE); // nothing to cancel
    assert_eq!(q.pop().map(|(t, _)| t), Some(5));
    assert_eq!(q.pop().map(|(t, _)| t), Some(10));
    q.cancel(0, a); // already fired: left alone
    assert_eq!(vus_of(&mut q), vec![4, 5]);
    assert!(q.is_empty());
}

#[test]
fn cancelling_the_earliest_front_finds_the_next_lane() {
    let mut q = EventQueue::with_capacity(8, 3);
    let a = q.push_lane(0, 10, Event::VuWake { vu: 1, token: 0 });
    q.push_lane(1, 12, Event::VuWake { vu: 2, token: 0 });
    q.push_lane(2, 11, Event::VuWake { vu: 3, token: 0 });
    q.push(13, Event::VuWake { vu: 4, token: 0 });
    q.cancel(0, a);
    assert_eq!(q.peek_time(), Some(11));
    assert_eq!(vus_of(&mut q), vec![3, 2, 4]);
}

/// VU timers pop in (time, seq) order among lanes and heap; a cancelled one never
/// pops; re-arming a VU whose timer is still armed keeps the old one at its place.
#[test]
fn vu_timers_keep_the_order_of_a_lane() {
    let mut q = EventQueue::with_capacity(8, 1);
    let a = q.push_vu_timer(1, 10, Event::VuWake { vu: 1, token: 0 });
    q.push_lane(0, 10, Event::VuWake { vu: 2, token: 0 });
    let b = q.push_vu_timer(3, 12, Event::VuWake { vu: 3, token: 0 });
    q.push(11, Event::VuWake { vu: 4, token: 0 });
    q.push_vu_timer(5, 12, Event::VuWake { vu: 5, token: 0 });
    // VU 3 armed again while its first timer is armed: both pop, in (time, seq) order.
    let c = q.push_vu_timer(3, 13, Event::VuWake { vu: 6, token: 0 });
    q.cancel_vu_timer(3, b); // the replaced handle: left alone
    q.cancel_vu_timer(1, a); // the front
    q.cancel_vu_timer(1, a); // twice: nothing
    q.cancel_vu_timer(1, TimerId::NONE);
    assert_eq!(q.len(), 5);
    assert_eq!(vus_of(&mut q), vec![2, 4, 3, 5, 6]);
    q.cancel_vu_timer(3, c); // already fired
    assert!(q.is_empty());
    // Earlier than the back (cannot happen with one delay): goes to the heap.
    q.push_vu_timer(1, 20, Event::VuWake { vu: 1, token: 0 });
    assert_eq!(
        q.push_vu_timer(2, 15, Event::VuWake { vu: 2, token: 0 }),
        TimerId::NONE
    );
    assert_eq!(vus_of(&mut q), vec![2, 1]);
}

/// Every kind of push, cancel and pop at random, against a reference that orders the live
/// events by (time, push count): the cached least fronts must never go stale, whichever
/// front a cancel or a pop changes.
#[test]
fn random_mixes_pop_as_an_ordered_map_would() {
    use std::collections::{BTreeMap, HashMap};
    const LANES: usize = 3;
    const VUS: u32 = 6;
    const STEP: Nanos = LATER_AFTER / 16;
    let mut z: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        z = z
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (z >> 33) % n
    };
    let mut q = EventQueue::with_capacity(4, LANES);
    // (time, push count) -> id of every live event; id -> key of the cancellable ones.
    let mut reference: BTreeMap<(Nanos, u64), u32> = BTreeMap::new();
    let mut lane_timers: Vec<(usize, TimerId, (Nanos, u64))> = Vec::new();
    let mut vu_timer: HashMap<u32, (TimerId, (Nanos, u64))> = HashMap::new();
    let (mut now, mut pushes, mut id) = (0, 0, 0);
    let mut tick_pending = false;
    for _ in 0..200_000 {
        // Times in steps of a sixteenth of the split: equal times, near and later events.
        let time = now + next(40) * STEP;
        let key = (time, pushes + 1);
        let event = Event::VuWake { vu: id, token: 0 };
        match next(10) {
            0..=3 => q.push(time, event),
            4 if !tick_pending => {
                q.push_tick(time, event);
                tick_pending = true;
            }
            4 | 5 => {
                let lane = next(LANES as u64) as usize;
                // Mostly a fixed delay per lane (in order), sometimes out of order.
                let at = if next(8) == 0 {
                    time
                } else {
                    now + (30 + lane as u64) * STEP
                };
                let handle = q.push_lane(lane, at, Event::VuWake { vu: id, token: 0 });
                lane_timers.push((lane, handle, (at, pushes + 1)));
                reference.insert((at, pushes + 1), id);
                pushes += 1;
                id += 1;
                continue;
            }
            6 => {
                let vu = next(u64::from(VUS)) as u32;
                if vu_timer.contains_key(&vu) {
                    continue;
                }
                let at = now + 35 * STEP;
                let handle = q.push_vu_timer(vu, at, Event::VuWake { vu: id, token: 0 });
                vu_timer.insert(vu, (handle, (at, pushes + 1)));
                reference.insert((at, pushes + 1), id);
                pushes += 1;
                id += 1;
                continue;
            }
            7 if !lane_timers.is_empty() => {
                let k = next(lane_timers.len() as u64) as usize;
                let (lane, handle, key) = lane_timers.swap_remove(k);
                q.cancel(lane, handle);
                if handle != TimerId::NONE {
                    reference.remove(&key);
                }
                continue;
            }
            8 => {
                let vu = next(u64::from(VUS)) as u32;
                if let Some((handle, key)) = vu_timer.remove(&vu) {
                    q.cancel_vu_timer(vu, handle);
                    reference.remove(&key);
                }
                continue;
            }
            _ => {
                let expected = reference.pop_first();
                assert_eq!(q.pop().map(id_of), expected.map(|((t, _), id)| (t, id)));
                if let Some((key, _)) = expected {
                    now = key.0;
                    vu_timer.retain(|_, (_, armed)| *armed != key);
                }
                tick_pending = q.tick.is_some();
                continue;
            }
        }
        reference.insert(key, id);
        pushes += 1;
        id += 1;
    }
    let rest: Vec<(Nanos, u32)> = std::iter::from_fn(|| q.pop()).map(id_of).collect();
    let expected: Vec<(Nanos, u32)> = reference.into_iter().map(|((t, _), id)| (t, id)).collect();
    assert_eq!(rest, expected);
    assert!(q.is_empty());
}

fn id_of((time, event): (Nanos, Event)) -> (Nanos, u32) {
    match event {
        Event::VuWake { vu, .. } => (time, vu),
        _ => unreachable!(),
    }
}
