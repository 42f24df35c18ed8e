//! k6 groups of a script's flows (`group('login', fn)`): each group path (`::login`,
//! `::checkout::pay`, the root group `""`) interned to a small id at load time, with its
//! parent and depth, so the engine tags samples and times groups with integer ids.

/// One group: its k6 path, the group it is nested in, and how deep it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// k6's path: `""` for the root group, `::outer::inner` for nested groups.
    pub path: String,
    /// The id of the enclosing group (the root group is its own parent).
    pub parent: u32,
    /// 0 for the root group, 1 for `::a`, 2 for `::a::b`.
    pub depth: u32,
}

/// The root group's id: requests outside every `group()` call, and every YAML flow's.
pub const ROOT: u32 = 0;

/// The groups of `paths` (the root `""` first, as the recording lists them), with the
/// parents a path names (`::a::b` is in `::a`; a parent never entered is added).
pub fn build_groups(paths: &[String]) -> Vec<Group> {
    let mut out = vec![Group {
        path: String::new(),
        parent: ROOT,
        depth: 0,
    }];
    for p in paths.iter().filter(|p| !p.is_empty()) {
        intern(&mut out, p);
    }
    out
}

fn intern(groups: &mut Vec<Group>, path: &str) -> u32 {
    if let Some(i) = groups.iter().position(|g| g.path == path) {
        return i as u32;
    }
    let parent = match path.rfind("::") {
        Some(0) | None => ROOT,
        Some(i) => intern(groups, &path[..i]),
    };
    let depth = groups[parent as usize].depth + 1;
    groups.push(Group {
        path: path.to_string(),
        parent,
        depth,
    });
    groups.len() as u32 - 1
}

/// The deepest nesting of `groups` (0 when there are none but the root).
pub fn max_depth(groups: &[Group]) -> u32 {
    groups.iter().map(|g| g.depth).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_get_parents_and_depths() {
        let g = build_groups(&["".into(), "::a::b".into(), "::c".into()]);
        let paths: Vec<&str> = g.iter().map(|g| g.path.as_str()).collect();
        assert_eq!(paths, ["", "::a", "::a::b", "::c"]);
        assert_eq!(g[2].parent, 1);
        assert_eq!(g[1].parent, ROOT);
        assert_eq!((g[1].depth, g[2].depth, g[3].depth), (1, 2, 1));
        assert_eq!(max_depth(&g), 2);
        assert_eq!(max_depth(&build_groups(&[])), 0);
    }
}
