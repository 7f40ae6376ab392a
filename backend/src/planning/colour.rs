//! Four-colour classes after an edit: neighbouring grids (sharing an edge) keep different fills.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::lattice::{shape_segments, Pt, Shape};

/// Grids that share at least one segment, by code.
#[must_use]
pub fn adjacency(shapes: &BTreeMap<String, Shape>) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_segment: HashMap<(Pt, Pt), Vec<&str>> = HashMap::new();
    for (code, shape) in shapes {
        for (a, b) in shape_segments(shape) {
            by_segment.entry((a.min(b), a.max(b))).or_default().push(code);
        }
    }
    let mut adj: BTreeMap<String, BTreeSet<String>> = shapes.keys().map(|c| (c.clone(), BTreeSet::new())).collect();
    for codes in by_segment.values() {
        for a in codes {
            for b in codes {
                if a != b {
                    adj.entry((*a).to_owned()).or_default().insert((*b).to_owned());
                }
            }
        }
    }
    adj
}

/// `(code, before, after)` of every colour that changed.
pub type ColourChanges = Vec<(String, Option<i16>, i16)>;

/// Gives every grid in `changed` a colour unlike its neighbours': its own if it is free, else
/// the smallest free one, else one freed by moving a single neighbour to another free colour.
/// `colours` is updated; returns `(code, before, after)` for every grid whose colour changed
/// (`before` is `None` for a grid that had none) and the grids that still clash.
pub fn recolour(
    colours: &mut BTreeMap<String, i16>,
    adj: &BTreeMap<String, BTreeSet<String>>,
    changed: &[String],
) -> (ColourChanges, Vec<String>) {
    let before = colours.clone();
    let empty = BTreeSet::new();
    let neighbours = |c: &str| adj.get(c).unwrap_or(&empty);
    let used = |colours: &BTreeMap<String, i16>, c: &str, except: Option<&str>| -> BTreeSet<i16> {
        neighbours(c).iter().filter(|n| Some(n.as_str()) != except).filter_map(|n| colours.get(n).copied()).collect()
    };
    let mut clashing = Vec::new();
    for x in changed {
        let taken = used(colours, x, None);
        let own = colours.get(x).copied();
        if own.is_some_and(|c| !taken.contains(&c)) {
            continue;
        }
        if let Some(free) = (0..4).find(|c| !taken.contains(c)) {
            colours.insert(x.clone(), free);
            continue;
        }
        // Free a colour: a neighbour that alone has it and can move to another free colour.
        let mut done = false;
        'colours: for c in 0..4i16 {
            let holders: Vec<&String> = neighbours(x).iter().filter(|n| colours.get(*n) == Some(&c)).collect();
            if let [y] = holders.as_slice() {
                let around = used(colours, y, Some(x));
                if let Some(d) = (0..4).find(|d| *d != c && !around.contains(d)) {
                    colours.insert((*y).clone(), d);
                    colours.insert(x.clone(), c);
                    done = true;
                    break 'colours;
                }
            }
        }
        if !done {
            // Fewest clashes; documented as a clash.
            let best = (0..4i16)
                .min_by_key(|c| neighbours(x).iter().filter(|n| colours.get(*n) == Some(c)).count())
                .unwrap_or(0);
            colours.insert(x.clone(), best);
            clashing.push(x.clone());
        }
    }
    let changes = colours
        .iter()
        .filter(|(code, c)| before.get(*code) != Some(c))
        .map(|(code, c)| (code.clone(), before.get(code).copied(), *c))
        .collect();
    (changes, clashing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adj(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
        let mut a: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (x, y) in pairs {
            a.entry((*x).into()).or_default().insert((*y).into());
            a.entry((*y).into()).or_default().insert((*x).into());
        }
        a
    }

    #[test]
    fn a_new_grid_takes_a_free_colour() {
        let a = adj(&[("n", "a"), ("n", "b"), ("a", "b")]);
        let mut c: BTreeMap<String, i16> = [("a".into(), 0), ("b".into(), 1)].into();
        let (changes, clashes) = recolour(&mut c, &a, &["n".into()]);
        assert_eq!(changes, vec![("n".into(), None, 2)]);
        assert!(clashes.is_empty());
    }

    #[test]
    fn a_neighbour_moves_when_all_four_are_taken() {
        // n touches a, b, c, d with colours 0..3; d's own neighbours (only n) leave it free to move.
        let a = adj(&[("n", "a"), ("n", "b"), ("n", "c"), ("n", "d"), ("a", "b"), ("b", "c"), ("c", "a")]);
        let mut c: BTreeMap<String, i16> = [("a".into(), 0), ("b".into(), 1), ("c".into(), 2), ("d".into(), 3)].into();
        let (changes, clashes) = recolour(&mut c, &a, &["n".into()]);
        assert!(clashes.is_empty());
        assert_eq!(changes.len(), 2, "{changes:?}");
        for (x, ns) in &a {
            for y in ns {
                assert_ne!(c[x], c[y], "{x} and {y}");
            }
        }
    }
}
