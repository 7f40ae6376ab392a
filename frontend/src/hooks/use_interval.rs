//! Calls a function every few milliseconds while the component is mounted.

use yew::prelude::*;

use crate::map::bindings::Interval;

/// Runs `f` every `ms` milliseconds from mount to unmount (and again from scratch whenever
/// `deps` change).
#[hook]
pub fn use_interval<D, F>(ms: i32, deps: D, f: F)
where
    D: PartialEq + 'static,
    F: FnMut() + 'static,
{
    use_effect_with(deps, move |_| {
        let interval = Interval::new(ms, f);
        move || drop(interval)
    });
}
