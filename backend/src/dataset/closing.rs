//! Closing a generated partition: no holes in the union of its cells, no unit in several parts.
//!
//! Clipping on a 1e-7° grid leaves cm-wide gaps where two districts' outlines were noded
//! differently, and Voronoi cells clipped to a ragged parent leave detached specks. Both are given
//! to the neighbour with the longest shared border (a neighbour of the same parent first), so
//! every unit is one polygon and the cells cover their union without gaps.

use anyhow::Context as _;
use sqlx::PgConnection;

/// A table of units: its name and the columns holding the code, the parent's code and the
/// (multi)polygon.
pub struct Units<'a> {
    pub table: &'a str,
    pub code: &'a str,
    pub parent: Option<&'a str>,
    pub geom: &'a str,
}

/// Valid polygonal part of a geometry expression, as a multipolygon.
fn valid(expr: &str) -> String {
    format!("st_multi(st_collectionextract(st_makevalid({expr}), 3))")
}

impl Units<'_> {
    fn parent_of(&self, alias: &str) -> String {
        self.parent.map_or_else(|| "null::text".to_owned(), |p| format!("{alias}.{p}"))
    }

    /// `select … from {table} o … limit 1`: the neighbour of `piece` (by `alias.code` excluded)
    /// with the longest border on it, a unit of `parent` first, ties to the smaller code.
    fn receiver(&self, piece: &str, own_code: &str, parent: &str) -> String {
        let Units { table, code, geom, .. } = self;
        let o_parent = self.parent_of("o");
        format!(
            "(select o.{code} from {table} o where o.{code} is distinct from {own_code} \
               and o.{geom} && {piece} and st_intersects(o.{geom}, {piece}) \
             order by ({o_parent} is not distinct from {parent}) desc, \
               st_length(st_intersection(o.{geom}, st_boundary({piece}))) desc, o.{code} limit 1)"
        )
    }
}

/// Fills every hole of the union of `units` into the unit with the longest border on it.
/// Returns how many holes were filled.
pub async fn fill_holes(conn: &mut PgConnection, units: &Units<'_>) -> anyhow::Result<u64> {
    let Units { table, code, geom, .. } = units;
    sqlx::query("drop table if exists ds_holes").execute(&mut *conn).await?;
    sqlx::query(&format!(
        "create temp table ds_holes on commit drop as \
         select h as piece from (select st_makepolygon(st_interiorringn(p, n)) as h \
           from (select (st_dump(st_union({geom}))).geom as p from {table}) d, \
           generate_series(1, st_numinteriorrings(p)) as n) x"
    ))
    .execute(&mut *conn)
    .await
    .context("finding holes")?;
    let receiver = units.receiver("h.piece", "null::text", "null::text");
    let filled = sqlx::query(&format!(
        "update {table} t set {geom} = {} from ( \
           select r.code, st_union(r.piece) as g from \
             (select h.piece, {receiver} as code from ds_holes h) r \
           where r.code is not null group by r.code) x where x.code = t.{code}",
        valid(&format!("st_union(t.{geom}, x.g)"))
    ))
    .execute(&mut *conn)
    .await
    .context("filling holes")?
    .rows_affected();
    Ok(filled)
}

/// Gives every part of a multipart unit but its largest to the neighbour with the longest border
/// on it, in passes until nothing moves (a part may first land on a part that moves itself).
/// Parts that touch no other unit are dropped with `drop_isolated`, else kept.
/// Returns how many parts moved.
pub async fn absorb_parts(conn: &mut PgConnection, units: &Units<'_>, drop_isolated: bool) -> anyhow::Result<u64> {
    let Units { table, code, geom, .. } = units;
    let t_parent = units.parent_of("t");
    let mut moved = 0;
    for _ in 0..4 {
        for sql in ["drop table if exists ds_parts", "drop table if exists ds_moves"] {
            sqlx::query(sql).execute(&mut *conn).await?;
        }
        sqlx::query(&format!(
            "create temp table ds_parts on commit drop as \
             select t.{code} as code, {t_parent} as parent, d.geom as part, \
               row_number() over (partition by t.{code} order by st_area(d.geom) desc, d.path[1]) as rank \
             from {table} t, st_dump(t.{geom}) d where st_numgeometries(t.{geom}) > 1"
        ))
        .execute(&mut *conn)
        .await
        .context("multipart units")?;
        let receiver = units.receiver("p.part", "p.code", "p.parent");
        sqlx::query(&format!(
            "create temp table ds_moves on commit drop as \
             select p.code, p.part, {receiver} as to_code from ds_parts p where p.rank > 1"
        ))
        .execute(&mut *conn)
        .await
        .context("receivers of parts")?;
        let (n, isolated): (i64, i64) = sqlx::query_as(
            "select count(*) filter (where to_code is not null), count(*) filter (where to_code is null) from ds_moves",
        )
        .fetch_one(&mut *conn)
        .await?;
        if n == 0 && !(drop_isolated && isolated > 0) {
            break;
        }
        moved += u64::try_from(n)?;
        let keep_isolated = if drop_isolated { "false" } else { "true" };
        sqlx::query(&format!(
            "update {table} t set {geom} = x.g from (select k.code, {} as g from ( \
                 select code, part from ds_parts where rank = 1 \
                 union all select code, part from ds_moves where to_code is null and {keep_isolated} \
                 union all select to_code, part from ds_moves where to_code is not null \
                 union all select u.{code}, u.{geom} from {table} u \
                   where u.{code} in (select to_code from ds_moves) \
                     and u.{code} not in (select code from ds_parts)) k group by k.code) x \
             where x.code = t.{code}",
            valid("st_union(k.part)")
        ))
        .execute(&mut *conn)
        .await
        .context("absorbing parts")?;
    }
    Ok(moved)
}
