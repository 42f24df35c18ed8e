//! k6 `group()` calls replayed by a VU: the group its requests and checks are tagged with,
//! and `group_duration`, timed from the group's enter marker to its exit marker.

use super::{VuCx, VuPool};

impl VuPool {
    /// A group begins (its start is kept by depth) or ends: k6's `group_duration` is the
    /// time from its start, tagged with the group's own path; the VU is then back in the
    /// enclosing group.
    #[inline]
    pub(super) fn group_marker(&mut self, vu: u32, group: u32, enter: bool, cx: &mut VuCx) {
        let g = &cx.exp.groups[group as usize];
        let slot = vu as usize * self.group_depth + (g.depth as usize).saturating_sub(1);
        let v = &mut self.vus[vu as usize];
        v.step += 1;
        if enter {
            if let Some(s) = self.group_starts.get_mut(slot) {
                *s = cx.now;
            }
            v.group = group;
        } else {
            let start = self.group_starts.get(slot).copied().unwrap_or(cx.now);
            v.group = g.parent;
            cx.rec
                .subs
                .group(group as usize, v.scenario as usize, cx.now - start);
        }
    }
}
