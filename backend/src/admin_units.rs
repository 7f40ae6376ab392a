//! The administrative hierarchy: city → county → township/street → village/community → grid.
//!
//! Codes are statistical codes whose length tells the level: 6 digits for the city and
//! counties, 9 for townships, 12 for villages, 15 for grids.

use anyhow::Context as _;
use citygrid_api::{AdminLevel, AdminUnit, AdminUnitRef};
use sqlx::{PgExecutor, PgPool};

use crate::scope::{Scope, ScopedResult};

/// A syntactically valid unit code (digits of length 6, 9, 12 or 15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitCode(String);

impl UnitCode {
    /// Parses a code; the error says what is wrong with it.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("unit code {s:?} must consist of digits only"));
        }
        if ![6, 9, 12, 15].contains(&s.len()) {
            return Err(format!(
                "unit code {s:?} has {} digits; codes have 6 (city/county), 9 (township), 12 (village) or 15 (grid)",
                s.len()
            ));
        }
        Ok(UnitCode(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a 15-digit grid code.
    #[must_use]
    pub fn is_grid(&self) -> bool {
        self.0.len() == 15
    }
}

/// Parses a level name as stored in `admin_units.level`.
pub fn parse_level(s: &str) -> anyhow::Result<AdminLevel> {
    Ok(match s {
        "city" => AdminLevel::City,
        "county" => AdminLevel::County,
        "township" => AdminLevel::Township,
        "village" => AdminLevel::Village,
        "grid" => AdminLevel::Grid,
        other => anyhow::bail!("unknown admin level {other:?}"),
    })
}

/// The chain from the city down to `code` (included), for an admin unit or a grid code.
pub async fn chain(db: impl PgExecutor<'_>, code: &str) -> anyhow::Result<Vec<AdminUnitRef>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "with recursive up(code, level, name, parent_code, depth) as (
             select code, 'grid', name, village_code, 0 from grids where code = $1
             union all
             select code, level, name, parent_code, 0 from admin_units where code = $1
             union all
             select a.code, a.level, a.name, a.parent_code, up.depth + 1
             from admin_units a join up on a.code = up.parent_code
         )
         select code, level, name from up order by depth desc",
    )
    .bind(code)
    .fetch_all(db)
    .await
    .context("walking the admin chain")?;
    rows.into_iter().map(|(code, level, name)| Ok(AdminUnitRef { code, level: parse_level(&level)?, name })).collect()
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    code: String,
    level: String,
    name: String,
    name_en: Option<String>,
    centre: Option<String>,
    area_m2: f64,
    lon: f64,
    lat: f64,
}

/// A unit with its parents and children, or `None` when no unit or grid has that code. A
/// county-scoped user may read their county and everything in it, and the city (the root of
/// every breadcrumb) with only their county among its children.
pub async fn get(pool: &PgPool, scope: &Scope, code: &UnitCode) -> ScopedResult<Option<AdminUnit>> {
    let row: Option<UnitRow> = if code.is_grid() {
        sqlx::query_as(
            "select code, 'grid' as level, name, null::text as name_en, null::text as centre,
                    st_area(geom::geography) as area_m2,
                    st_x(st_pointonsurface(geom)) as lon, st_y(st_pointonsurface(geom)) as lat
             from current_grids where code = $1",
        )
    } else {
        sqlx::query_as(
            "select code, level, name, name_en, centre, st_area(geom::geography) as area_m2,
                    st_x(label_point) as lon, st_y(label_point) as lat
             from admin_units where code = $1",
        )
    }
    .bind(code.as_str())
    .fetch_optional(pool)
    .await
    .context("reading admin unit")?;
    let Some(row) = row else { return Ok(None) };
    let level = parse_level(&row.level)?;
    if level != AdminLevel::City {
        scope.check(&row.code, || format!("{} {}", row.level, row.code))?;
    }
    let mut parents = chain(pool, &row.code).await?;
    parents.pop(); // the unit itself
    let children: Vec<String> = sqlx::query_scalar(
        "select code from admin_units where parent_code = $1
         union all
         select code from current_grids where village_code = $1
         order by 1",
    )
    .bind(&row.code)
    .fetch_all(pool)
    .await
    .context("listing children")?;
    let children = children.into_iter().filter(|c| scope.contains(c)).collect();
    Ok(Some(AdminUnit {
        level,
        code: row.code,
        name: row.name,
        name_en: row.name_en,
        centre: row.centre,
        area_m2: row.area_m2,
        parents,
        children,
        label_point: [row.lon, row.lat],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_for_digits_and_length() {
        assert!(UnitCode::parse("320812").is_ok());
        assert!(UnitCode::parse("320812001001001").expect("grid").is_grid());
        assert!(UnitCode::parse("32081a").expect_err("letters").contains("digits only"));
        assert!(UnitCode::parse("3208120").expect_err("length").contains("7 digits"));
        assert!(UnitCode::parse("").is_err());
    }
}
