//! An API answer a page waits for, and the numbers that tie an answer to its request.
//!
//! Every request gets a number from [`next_request`], larger than every earlier one; a page
//! keeps [`Load::Loading`] with the number of the request that is out, and
//! [`Load::answer`] applies an answer only when it answers that request, so a late answer for
//! an older question (another view, window, unit) is dropped.

use std::cell::Cell;

use crate::state::Notice;

/// Something loaded from the API for one request.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Load<T> {
    #[default]
    Idle,
    /// The request with this number is out.
    Loading(u64),
    Done(T),
    Failed(Notice),
}

impl<T> Load<T> {
    /// Applies an answer when it answers the request that is out.
    pub fn answer(&mut self, seq: u64, result: Result<T, Notice>) {
        if matches!(self, Load::Loading(s) if *s == seq) {
            *self = match result {
                Ok(v) => Load::Done(v),
                Err(n) => Load::Failed(n),
            };
        }
    }

    /// The loaded value.
    #[must_use]
    pub fn done(&self) -> Option<&T> {
        match self {
            Load::Done(v) => Some(v),
            _ => None,
        }
    }
}

thread_local! {
    static LAST_REQUEST: Cell<u64> = const { Cell::new(0) };
}

/// A number for a new request, larger than every earlier one.
#[must_use]
pub fn next_request() -> u64 {
    LAST_REQUEST.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_request_is_answered() {
        let (old, new) = (next_request(), next_request());
        assert!(new > old);
        let mut l: Load<u8> = Load::Loading(new);
        l.answer(old, Ok(1));
        assert_eq!(l, Load::Loading(new));
        l.answer(new, Ok(2));
        assert_eq!(l.done(), Some(&2));
        l.answer(new, Ok(3));
        assert_eq!(l.done(), Some(&2), "answered once");
    }
}
