//! Import and repair of the seven districts into a valid partition; the city is their union.

use anyhow::Context as _;
use sqlx::{PgConnection, Row};

use super::closing::{self, Units};
use super::DistrictRepair;

pub struct District {
    pub adcode: String,
    pub name: String,
    pub name_en: String,
    pub label: [f64; 2],
}

/// Reads the GeoJSON, repairs it in PostGIS and inserts the city and the counties.
pub async fn import(
    conn: &mut PgConnection,
    path: &std::path::Path,
) -> anyhow::Result<(Vec<District>, Vec<DistrictRepair>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let fc: serde_json::Value = serde_json::from_str(&text).context("parsing districts GeoJSON")?;
    let features = fc["features"].as_array().context("no features")?;
    sqlx::query(
        "create temp table ds_raw (adcode text primary key, name text, name_en text, lx float8, ly float8, \
         g geometry) on commit drop",
    )
    .execute(&mut *conn)
    .await?;
    let mut districts = Vec::new();
    for f in features {
        let p = &f["properties"];
        let d = District {
            adcode: p["adcode"].as_str().context("adcode")?.to_owned(),
            name: p["name"].as_str().context("name")?.to_owned(),
            name_en: p["name_en"].as_str().unwrap_or_default().to_owned(),
            label: [
                p["label_point"][0].as_f64().context("label_point")?,
                p["label_point"][1].as_f64().context("label_point")?,
            ],
        };
        sqlx::query(
            "insert into ds_raw values ($1, $2, $3, $4, $5, \
             st_multi(st_collectionextract(st_makevalid(st_setsrid(st_geomfromgeojson($6), 4326)), 3)))",
        )
        .bind(&d.adcode)
        .bind(&d.name)
        .bind(&d.name_en)
        .bind(d.label[0])
        .bind(d.label[1])
        .bind(f["geometry"].to_string())
        .execute(&mut *conn)
        .await?;
        districts.push(d);
    }
    districts.sort_by(|a, b| a.adcode.cmp(&b.adcode));

    // Node all boundaries on a 1e-7° grid, polygonize into faces, give each face to the district
    // covering most of it (overlaps: the smaller adcode), enclosed gaps to the neighbour with the
    // largest buffered overlap.
    for sql in [
        "create temp table ds_faces on commit drop as \
         select row_number() over (order by st_xmin(f.geom), st_ymin(f.geom), st_area(f.geom)) as id, f.geom \
         from (select (st_dump(st_polygonize(l))).geom from \
               (select st_unaryunion(st_collect(st_boundary(g)), 1e-7) as l from ds_raw) x) f",
        "create temp table ds_assign on commit drop as \
         select f.id, coalesce( \
           (select r.adcode from ds_raw r where r.g && f.geom \
              and st_area(st_intersection(r.g, f.geom)) > 0.5 * st_area(f.geom) order by r.adcode limit 1), \
           (select r.adcode from ds_raw r where r.g && st_expand(f.geom, 3e-4) \
              order by st_area(st_intersection(r.g, st_buffer(f.geom, 2e-4))) desc, r.adcode limit 1)) as adcode, \
           f.geom from ds_faces f",
        "create temp table ds_clean on commit drop as \
         select r.adcode, r.name, r.name_en, r.lx, r.ly, r.g as before, \
           st_multi(st_collectionextract(st_union(a.geom, 1e-7), 3)) as g \
         from ds_raw r join ds_assign a on a.adcode = r.adcode \
         group by r.adcode, r.name, r.name_en, r.lx, r.ly, r.g",
        "update ds_clean set g = st_multi(st_collectionextract(st_makevalid(g), 3)) where not st_isvalid(g)",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.with_context(|| format!("district repair: {sql}"))?;
    }
    // Detached specks go to the district around them; specks that touch no district are dropped.
    let units = Units { table: "ds_clean", code: "adcode", parent: None, geom: "g" };
    closing::absorb_parts(conn, &units, true).await?;
    for sql in [
        "insert into admin_units (code, level, name, name_en, parent_code, centre, geom, label_point) \
         select '320800', 'city', '淮安市', 'Huai''an', null, '淮安市社会治理现代化指挥中心', \
           st_multi(st_collectionextract(st_union(g, 1e-7), 3)), \
           st_setsrid(st_makepoint(119.0153, 33.6104), 4326) from ds_clean",
        "update admin_units set label_point = st_pointonsurface(geom) \
         where code = '320800' and not st_intersects(geom, label_point)",
        "insert into admin_units (code, level, name, name_en, parent_code, centre, geom, label_point) \
         select adcode, 'county', name, name_en, '320800', name || '社会治理现代化指挥中心', g, \
           case when st_intersects(g, st_setsrid(st_makepoint(lx, ly), 4326)) \
                then st_setsrid(st_makepoint(lx, ly), 4326) else st_pointonsurface(g) end \
         from ds_clean",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.with_context(|| format!("district repair: {sql}"))?;
    }
    let rows = sqlx::query(
        "select adcode, name, st_area(before::geography) as b, st_area(g::geography) as a, \
           coalesce(st_area(st_difference(g, before)::geography), 0) as moved_in, \
           coalesce(st_area(st_difference(before, g)::geography), 0) as moved_out \
         from ds_clean order by adcode",
    )
    .fetch_all(&mut *conn)
    .await?;
    let repairs = rows
        .iter()
        .map(|r| DistrictRepair {
            adcode: r.get("adcode"),
            name: r.get("name"),
            area_before_m2: r.get("b"),
            area_after_m2: r.get("a"),
            moved_in_m2: r.get("moved_in"),
            moved_out_m2: r.get("moved_out"),
        })
        .collect();
    Ok((districts, repairs))
}
