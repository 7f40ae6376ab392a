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

/// `(node, before, after)` of every colour that changed.
pub type ColourChanges<K> = Vec<(K, Option<i16>, i16)>;

/// The four colour classes.
const CLASSES: std::ops::Range<i16> = 0..4;

/// Gives every node in `changed` a colour unlike its neighbours': its own if it is free, else
/// the smallest free one, else one freed by a Kempe chain swap: the neighbours of colour `a`
/// and every node reachable from them through nodes of colours `a` and `b` swap `a` and `b`,
/// which frees `a` unless the chain reaches a neighbour of colour `b` (then the next pair is
/// tried). Only nodes for which `movable` holds change colour without being in `changed` (their
/// whole neighbourhood must be in `adj`); a chain longer than [`MAX_CHAIN`] is not swapped.
/// `colours` is updated; returns `(node, before, after)` for every node whose colour changed
/// (`before` is `None` for a node that had none) and the nodes that still clash (given the
/// colour shared with the fewest neighbours).
pub fn recolour<K: Ord + Clone>(
    colours: &mut BTreeMap<K, i16>,
    adj: &BTreeMap<K, BTreeSet<K>>,
    changed: &[K],
    movable: &dyn Fn(&K) -> bool,
) -> (ColourChanges<K>, Vec<K>) {
    let before = colours.clone();
    let empty = BTreeSet::new();
    let neighbours = |c: &K| adj.get(c).unwrap_or(&empty);
    let mut clashing = Vec::new();
    for x in changed {
        let taken: BTreeSet<i16> = neighbours(x).iter().filter_map(|n| colours.get(n).copied()).collect();
        if colours.get(x).is_some_and(|c| !taken.contains(c)) {
            continue;
        }
        if let Some(free) = CLASSES.clone().find(|c| !taken.contains(c)) {
            colours.insert(x.clone(), free);
            continue;
        }
        if let Some(c) = kempe_free(colours, adj, x, movable) {
            colours.insert(x.clone(), c);
            continue;
        }
        let best = CLASSES
            .clone()
            .min_by_key(|c| neighbours(x).iter().filter(|n| colours.get(*n) == Some(c)).count())
            .unwrap_or(0);
        colours.insert(x.clone(), best);
        clashing.push(x.clone());
    }
    let changes = colours
        .iter()
        .filter(|(code, c)| before.get(*code) != Some(c))
        .map(|(code, c)| (code.clone(), before.get(code).copied(), *c))
        .collect();
    (changes, clashing)
}

/// Longest Kempe chain [`recolour`] swaps.
pub const MAX_CHAIN: usize = 256;

/// Frees a colour around `x` by one Kempe chain swap; returns the freed colour.
fn kempe_free<K: Ord + Clone>(
    colours: &mut BTreeMap<K, i16>,
    adj: &BTreeMap<K, BTreeSet<K>>,
    x: &K,
    movable: &dyn Fn(&K) -> bool,
) -> Option<i16> {
    let empty = BTreeSet::new();
    let around = adj.get(x).unwrap_or(&empty);
    for a in CLASSES {
        for b in CLASSES.filter(|b| *b != a) {
            let mut chain: BTreeSet<K> = around.iter().filter(|n| colours.get(*n) == Some(&a)).cloned().collect();
            let mut todo: Vec<K> = chain.iter().cloned().collect();
            let mut ok = true;
            while let Some(n) = todo.pop() {
                if !movable(&n) || chain.len() > MAX_CHAIN || (colours.get(&n) == Some(&b) && around.contains(&n)) {
                    ok = false;
                    break;
                }
                for m in adj.get(&n).unwrap_or(&empty) {
                    if m != x && matches!(colours.get(m), Some(c) if *c == a || *c == b) && chain.insert(m.clone()) {
                        todo.push(m.clone());
                    }
                }
            }
            if ok {
                for n in &chain {
                    let c = if colours.get(n) == Some(&a) { b } else { a };
                    colours.insert(n.clone(), c);
                }
                return Some(a);
            }
        }
    }
    None
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
        let (changes, clashes) = recolour(&mut c, &a, &["n".into()], &|_| true);
        assert_eq!(changes, vec![("n".into(), None, 2)]);
        assert!(clashes.is_empty());
    }

    #[test]
    fn a_kempe_chain_frees_a_colour() {
        // x touches a, b, c, d (0..3). a cannot move alone (its other neighbours hold 1, 2, 3),
        // but the 0/3 chain a–e–f does not reach d: swapping it frees 0 for x.
        let pairs = [
            ("x", "a"),
            ("x", "b"),
            ("x", "c"),
            ("x", "d"),
            ("a", "b"),
            ("a", "c"),
            ("a", "e"),
            ("e", "f"),
            ("b", "c"),
        ];
        let a = adj(&pairs);
        let start: BTreeMap<String, i16> =
            [("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 3), ("f", 0)].map(|(k, v)| (k.to_owned(), v)).into();
        let mut c = start.clone();
        let (changes, clashes) = recolour(&mut c, &a, &["x".into()], &|_| true);
        assert!(clashes.is_empty(), "{changes:?}");
        for (p, q) in pairs {
            assert_ne!(c[p], c[q], "{p} and {q}: {c:?}");
        }
        // Nodes that may not move (their neighbourhood is unknown) are left alone: a clash.
        let mut c = start;
        let (changes, clashes) = recolour(&mut c, &a, &["x".into()], &|n| n == "x");
        assert_eq!(clashes, vec!["x".to_owned()]);
        assert_eq!(changes.len(), 1, "only x changes: {changes:?}");
    }

    #[test]
    fn a_neighbour_moves_when_all_four_are_taken() {
        // n touches a, b, c, d with colours 0..3; d's own neighbours (only n) leave it free to move.
        let a = adj(&[("n", "a"), ("n", "b"), ("n", "c"), ("n", "d"), ("a", "b"), ("b", "c"), ("c", "a")]);
        let mut c: BTreeMap<String, i16> = [("a".into(), 0), ("b".into(), 1), ("c".into(), 2), ("d".into(), 3)].into();
        let (changes, clashes) = recolour(&mut c, &a, &["n".into()], &|_| true);
        assert!(clashes.is_empty());
        assert_eq!(changes.len(), 2, "{changes:?}");
        for (x, ns) in &a {
            for y in ns {
                assert_ne!(c[x], c[y], "{x} and {y}");
            }
        }
    }
}
