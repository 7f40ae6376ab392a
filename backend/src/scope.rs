//! Where a user may read and write: the whole city, or one county.
//!
//! Roles (the matrix in `citygrid_api::access`) say *what* a user may do; the scope says
//! *where*. The `Authorized` extractor hands every handler the caller's [`Scope`], and every
//! domain query that reads or writes county data takes it as a parameter:
//!
//! - reads are filtered: [`Scope::push_filter`] appends the condition to a `QueryBuilder`;
//!   [`SQL_IN_COUNTY`] is the same rule for hand-written SQL and the tile functions
//!   (`in_county(code, county)`, migration `0010_access.sql`);
//! - things named by code or id, and points, are checked: [`Scope::check`] answers
//!   [`OutsideScope`] (403 `outside_scope`, naming the county).
//!
//! **The rule.** Statistical codes nest (a township's code starts with its county's 6 digits, a
//! village's with its township's, a grid's with its village's), so "in the county" is "the code
//! starts with the county's code". A point belongs where its grid (the point → grid rule of
//! `routing::grid_index`) belongs.

use sqlx::{Postgres, QueryBuilder};

/// The SQL form of [`Scope::contains`] for a county: `in_county(code, county)` is true when
/// `code` starts with the county's code. An inlinable SQL function, so an index on
/// `left(code, 6)` serves it. For a scope that may be city-wide, write
/// `($1::text is null or in_county(code, $1))` and bind [`Scope::county_code`].
pub const SQL_IN_COUNTY: &str = "in_county";

/// A county the user is limited to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct County {
    /// 6 digits.
    pub code: String,
    pub name: String,
}

/// The part of the city a user works in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every county.
    City,
    /// One county only.
    County(County),
}

/// Something named by a request lies outside the caller's county.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is outside your county {} ({})", county.code, county.name)]
pub struct OutsideScope {
    /// What was refused, such as `grid 320803001001001` or `point (119.1, 33.5)`.
    pub what: String,
    /// The request field that named it (`lon`, `grid`, `points[2]`), when there is one.
    pub field: Option<String>,
    pub county: County,
}

/// What a scoped domain read fails with: outside the scope, or anything else.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error(transparent)]
    Outside(#[from] OutsideScope),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// `Result` of scoped domain reads.
pub type ScopedResult<T> = Result<T, ScopeError>;

impl OutsideScope {
    /// Names the request field at fault.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl Scope {
    /// The scope of a user with `county` (code and name) set, or city-wide.
    #[must_use]
    pub fn new(county: Option<(String, String)>) -> Scope {
        match county {
            Some((code, name)) => Scope::County(County { code, name }),
            None => Scope::City,
        }
    }

    /// The county's code, `None` for city-wide: what to bind for [`SQL_IN_SCOPE`].
    #[must_use]
    pub fn county_code(&self) -> Option<&str> {
        match self {
            Scope::City => None,
            Scope::County(c) => Some(&c.code),
        }
    }

    /// Does the unit, grid or thing with this statistical code (6, 9, 12 or 15 digits) lie in
    /// the scope? A code above the county (the city's) does not, for a county scope.
    #[must_use]
    pub fn contains(&self, code: &str) -> bool {
        match self {
            Scope::City => true,
            Scope::County(c) => code.starts_with(&c.code),
        }
    }

    /// [`Scope::contains`] for a thing that may have no code (an incident outside every grid):
    /// such a thing belongs to the city-wide scope only.
    #[must_use]
    pub fn contains_some(&self, code: Option<&str>) -> bool {
        match (self, code) {
            (Scope::City, _) => true,
            (Scope::County(_), Some(code)) => self.contains(code),
            (Scope::County(_), None) => false,
        }
    }

    /// `Ok` when `code` lies in the scope; otherwise [`OutsideScope`] naming `what` (such as
    /// "grid 320803001001001").
    pub fn check(&self, code: &str, what: impl FnOnce() -> String) -> Result<(), OutsideScope> {
        match self {
            Scope::County(c) if !self.contains(code) => {
                Err(OutsideScope { what: what(), field: None, county: c.clone() })
            }
            _ => Ok(()),
        }
    }

    /// `Ok` for a city-wide scope; a county scope may not change what belongs to the whole
    /// city (`what`, such as "the escalation SLA table").
    pub fn check_city_wide(&self, what: impl FnOnce() -> String) -> Result<(), OutsideScope> {
        match self {
            Scope::City => Ok(()),
            Scope::County(c) => Err(OutsideScope { what: what(), field: None, county: c.clone() }),
        }
    }

    /// Appends ` and in_county(<column>, <county>)` to a query (nothing for the whole city).
    /// `column` is trusted SQL (a column name), never user input.
    pub fn push_filter(&self, q: &mut QueryBuilder<'_, Postgres>, column: &str) {
        if let Some(county) = self.county_code() {
            q.push(" and ").push(SQL_IN_COUNTY).push("(").push(column).push(", ");
            q.push_bind(county.to_owned()).push(")");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn county() -> Scope {
        Scope::new(Some(("320812".into(), "清江浦区".into())))
    }

    #[test]
    fn codes_belong_by_prefix() {
        let s = county();
        assert!(s.contains("320812"));
        assert!(s.contains("320812001001001"));
        assert!(!s.contains("320803001001001"));
        assert!(!s.contains("320800"), "the city is above the county");
        assert!(Scope::City.contains("320803001001001"));
        assert_eq!(s.county_code(), Some("320812"));
        assert_eq!(Scope::City.county_code(), None);
    }

    #[test]
    fn refusals_name_the_thing_and_the_county() {
        let e = county().check("320803001001001", || "grid 320803001001001".into()).expect_err("outside");
        assert_eq!(e.to_string(), "grid 320803001001001 is outside your county 320812 (清江浦区)");
        assert_eq!(e.clone().field("grid").field.as_deref(), Some("grid"));
        assert!(county().check("320812001", || unreachable!()).is_ok());
        assert!(Scope::City.check_city_wide(|| unreachable!()).is_ok());
        assert!(county().check_city_wide(|| "the SLA table".into()).is_err());
    }

    #[test]
    fn filters_bind_the_county() {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new("select 1 where true");
        Scope::City.push_filter(&mut q, "i.grid_code");
        assert_eq!(q.sql(), "select 1 where true");
        county().push_filter(&mut q, "i.grid_code");
        assert_eq!(q.sql(), "select 1 where true and in_county(i.grid_code, $1)");
    }
}
