//! The units statistics are about — the city, counties, townships, villages, grids — named by
//! statistical code, resolved against the caller's scope, with their children.

use anyhow::Context as _;
use citygrid_api::AdminLevel;
use sqlx::PgPool;

use super::filter::FilterError;
use crate::scope::{OutsideScope, Scope};

/// What a statistics read fails with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// A parameter is malformed (400 `invalid_parameter`).
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// No unit has the code (404).
    #[error("{0}")]
    NotFound(String),
    /// The unit lies outside the caller's county (403 `outside_scope`).
    #[error(transparent)]
    Outside(#[from] OutsideScope),
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StatsError {
    fn from(e: sqlx::Error) -> Self {
        StatsError::Db(e.into())
    }
}

/// `Result` of statistics reads.
pub type StatsResult<T> = Result<T, StatsError>;

/// A unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub level: AdminLevel,
    pub code: String,
    pub name: String,
}

impl Unit {
    /// The prefix every grid code of the unit starts with ('' for the city).
    #[must_use]
    pub fn prefix(&self) -> &str {
        if self.level == AdminLevel::City {
            ""
        } else {
            &self.code
        }
    }

    /// The code length of the unit's children (`None` for a grid).
    #[must_use]
    pub fn child_len(&self) -> Option<i32> {
        match self.level {
            AdminLevel::City => Some(6),
            AdminLevel::County => Some(9),
            AdminLevel::Township => Some(12),
            AdminLevel::Village => Some(15),
            AdminLevel::Grid => None,
        }
    }
}

/// The level a code of this length names (6 digits: a county; the city's own code is
/// recognised by [`resolve`]).
#[must_use]
pub fn level_of_len(len: usize) -> Option<AdminLevel> {
    match len {
        6 => Some(AdminLevel::County),
        9 => Some(AdminLevel::Township),
        12 => Some(AdminLevel::Village),
        15 => Some(AdminLevel::Grid),
        _ => None,
    }
}

/// The wire name of a level.
#[must_use]
pub fn level_name(level: AdminLevel) -> &'static str {
    match level {
        AdminLevel::City => "city",
        AdminLevel::County => "county",
        AdminLevel::Township => "township",
        AdminLevel::Village => "village",
        AdminLevel::Grid => "grid",
    }
}

/// Parses `level` and `code` into the code asked for (`None`: the city): the code must be
/// digits, and a level given must be the one its length names (a 9-digit code is a township).
pub fn parse_unit(level: Option<&str>, code: Option<&str>) -> Result<Option<String>, FilterError> {
    let level = level.map(str::trim).filter(|l| !l.is_empty());
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let wanted = match level {
        None => None,
        Some(l) => Some(
            [AdminLevel::City, AdminLevel::County, AdminLevel::Township, AdminLevel::Village, AdminLevel::Grid]
                .into_iter()
                .find(|x| level_name(*x) == l)
                .ok_or_else(|| {
                    FilterError::new("level", format!("{l:?} is not one of city, county, township, village, grid"))
                })?,
        ),
    };
    let Some(code) = code else {
        return match wanted {
            None | Some(AdminLevel::City) => Ok(None),
            Some(l) => Err(FilterError::new("code", format!("is required for level {}", level_name(l)))),
        };
    };
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FilterError::new("code", format!("{code:?} is not a statistical code (digits only)")));
    }
    let Some(named) = level_of_len(code.len()) else {
        return Err(FilterError::new(
            "code",
            format!("{code:?} has {} digits: a county has 6, a township 9, a village 12, a grid 15", code.len()),
        ));
    };
    match wanted {
        Some(AdminLevel::City) => {
            Err(FilterError::new("level", format!("the city takes no code; {code} is a {}", level_name(named))))
        }
        Some(l) if l != named => Err(FilterError::new(
            "level",
            format!("code {code} is a {} ({} digits), not a {}", level_name(named), code.len(), level_name(l)),
        )),
        _ => Ok(Some(code.to_owned())),
    }
}

/// The unit a request names in `scope`: the city (a county-scoped user gets their county), or
/// the unit with `code` (404 when there is none, 403 outside the county).
pub async fn resolve(pool: &PgPool, scope: &Scope, code: Option<&str>) -> StatsResult<Unit> {
    let code = match (code, scope.county_code()) {
        (None, Some(county)) => Some(county.to_owned()),
        (c, _) => c.map(str::to_owned),
    };
    let Some(code) = code else {
        let (code, name): (String, String) =
            sqlx::query_as("select code, name from admin_units where level = 'city'").fetch_one(pool).await?;
        return Ok(Unit { level: AdminLevel::City, code, name });
    };
    let row: Option<(String, String)> = if code.len() == 15 {
        sqlx::query_as("select 'grid', name from grids where code = $1").bind(&code).fetch_optional(pool).await?
    } else {
        sqlx::query_as("select level, name from admin_units where code = $1 and level <> 'city'")
            .bind(&code)
            .fetch_optional(pool)
            .await?
    };
    let Some((level, name)) = row else {
        let city: Option<String> =
            sqlx::query_scalar("select code from admin_units where level = 'city' and code = $1")
                .bind(&code)
                .fetch_optional(pool)
                .await?;
        return match city {
            Some(_) => Err(FilterError::new("code", format!("{code} is the city: leave out the code")).into()),
            None => Err(StatsError::NotFound(format!("no county, township, village or grid has code {code}"))),
        };
    };
    scope.check(&code, || format!("{level} {code} ({name})"))?;
    let level = level_of_len(code.len()).context("unit code length")?;
    Ok(Unit { level, code, name })
}

/// The unit's children with their names, by code: the current hierarchy (grids that are not
/// retired).
pub async fn children(pool: &PgPool, unit: &Unit) -> StatsResult<Vec<(String, String)>> {
    match unit.child_len().and_then(|len| level_of_len(len as usize)) {
        Some(level) => of_level(pool, level, unit.prefix()).await,
        None => Ok(Vec::new()),
    }
}

/// The current units of `level` (grids that are not retired) whose code starts with `prefix`
/// ('' for the city), with their names, by code.
pub async fn of_level(pool: &PgPool, level: AdminLevel, prefix: &str) -> StatsResult<Vec<(String, String)>> {
    let rows: Vec<(String, String)> = match level {
        AdminLevel::City => Vec::new(),
        AdminLevel::Grid => {
            sqlx::query_as(
                "select code, name from grids where starts_with(code, $1) and retired_at is null order by code",
            )
            .bind(prefix)
            .fetch_all(pool)
            .await?
        }
        l => {
            sqlx::query_as(
                "select code, name from admin_units where level = $1 and starts_with(code, $2) order by code",
            )
            .bind(level_name(l))
            .bind(prefix)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows)
}

/// Parses the `level` of a list of units (`GET /api/stats/units`): `county`, `township`,
/// `village` or `grid`, required.
pub fn parse_level(s: Option<&str>) -> Result<AdminLevel, FilterError> {
    let levels = [AdminLevel::County, AdminLevel::Township, AdminLevel::Village, AdminLevel::Grid];
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(l) => levels
            .into_iter()
            .find(|x| level_name(*x) == l)
            .ok_or_else(|| FilterError::new("level", format!("{l:?} is not one of county, township, village, grid"))),
        None => Err(FilterError::new("level", "is required: county, township, village or grid")),
    }
}

/// Names of units by code (grids too, retired ones included).
pub async fn names(pool: &PgPool, codes: &[String]) -> StatsResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "select code, name from admin_units where code = any($1) and level <> 'city'
         union all select code, name from grids where code = any($1)",
    )
    .bind(codes)
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_and_code_must_agree() {
        assert_eq!(parse_unit(None, None), Ok(None));
        assert_eq!(parse_unit(Some("city"), None), Ok(None));
        assert_eq!(parse_unit(Some("township"), Some("320812001")), Ok(Some("320812001".into())));
        assert_eq!(parse_unit(None, Some("320812001001")), Ok(Some("320812001001".into())));
        let e = parse_unit(Some("county"), Some("320812001")).expect_err("mismatch");
        assert_eq!(e.field, "level");
        assert!(e.message.contains("is a township"), "{}", e.message);
        assert_eq!(parse_unit(Some("grid"), None).expect_err("missing").field, "code");
        assert_eq!(parse_unit(None, Some("32081")).expect_err("length").field, "code");
        assert_eq!(parse_unit(None, Some("32081a")).expect_err("digits").field, "code");
        assert_eq!(parse_unit(Some("province"), None).expect_err("level").field, "level");
        assert_eq!(parse_unit(Some("city"), Some("320812")).expect_err("city").field, "level");
        assert_eq!(parse_level(Some(" village ")), Ok(AdminLevel::Village));
        assert_eq!(parse_level(None).expect_err("missing").field, "level");
        assert_eq!(parse_level(Some("city")).expect_err("city").field, "level");
    }
}
