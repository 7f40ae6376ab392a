//! Incidents: spatially clustered around residents and hotspots, daily and weekly rhythm,
//! category/source mix, lognormal resolution times, statuses by age.

use std::collections::HashMap;
use std::io::Write as _;

use rand::Rng;
use rand_distr::{Distribution, LogNormal, Normal};
use sqlx::PgConnection;

use crate::incidents::STATUSES;

use super::content::BuildingSet;
use super::geom::{ewkb_point, offset, rng_for, M_PER_DEG_X, M_PER_DEG_Y};
use super::hierarchy::Unit;
use super::Copier;

pub const PER_YEAR: f64 = 3_486_000.0;
/// 2026-12-01T00:00:00+08:00 as Unix seconds.
pub const PERIOD_END: i64 = 1_796_054_400;

const CATS: [&str; 13] = [
    "dispute.neighbor",
    "dispute.family",
    "dispute.property",
    "dispute.labor",
    "dispute.land",
    "dispute.medical",
    "alarm.intrusion",
    "alarm.fire",
    "alarm.traffic",
    "alarm.crowd",
    "citizen.infrastructure",
    "citizen.environment",
    "citizen.safety",
];
const TRAFFIC: u8 = 8;
const SOURCES: [&str; 5] = ["hotline", "patrol", "wechat", "video", "walk_in"];
const HOURS: [f64; 24] = [
    0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.8, 1.4, 2.0, 2.6, 2.7, 2.4, 1.8, 1.7, 1.9, 2.0, 2.0, 2.1, 2.3, 2.6, 2.7, 2.3,
    1.4, 0.7,
];
/// Monday..Sunday.
const WEEKDAYS: [f64; 7] = [1.0, 0.97, 0.97, 0.98, 1.05, 1.1, 1.0];
const TEMPLATES: [&[&str]; 13] = [
    &["邻居装修噪音扰民", "楼道堆放杂物引发邻里争执", "宠物扰民引发纠纷"],
    &["家庭成员因赡养问题发生争执", "夫妻矛盾请求调解"],
    &["业主与物业因收费发生纠纷", "小区停车位管理纠纷"],
    &["务工人员反映工资拖欠", "劳动合同纠纷请求调解"],
    &["村民反映土地承包边界争议", "宅基地边界纠纷"],
    &["患者家属对诊疗结果有异议"],
    &["商铺夜间入侵报警", "仓库门禁异常报警"],
    &["烟感报警", "电动车充电起火报警", "垃圾焚烧冒烟"],
    &["路口两车刮擦", "非机动车与行人相撞", "道路拥堵交通事故"],
    &["广场人员聚集", "门口人员聚集"],
    &["窨井盖破损", "路灯不亮", "道路破损坑洼", "供水管道漏水"],
    &["垃圾未及时清运", "河道漂浮物", "占道经营", "餐饮油烟扰民"],
    &["违规停放电动车于楼道", "围墙存在倒塌隐患", "消防通道被占用"],
];

struct Inc {
    t: i64,
    cat: u8,
    src: u8,
    prio: u8,
    status: u8,
    esc: u8,
    resolved: Option<i64>,
    closed: Option<i64>,
    grid: u32,
    p: [f64; 2],
    dup: u32,
    tmpl: u8,
    dup_candidate: bool,
}

#[must_use]
pub fn count_for_days(days: u32) -> usize {
    (PER_YEAR * f64::from(days) / 365.0).round() as usize
}

fn pick_weighted(w: &[f64], r: f64) -> usize {
    let total: f64 = w.iter().sum();
    let mut x = r * total;
    for (i, v) in w.iter().enumerate() {
        if x < *v {
            return i;
        }
        x -= v;
    }
    w.len() - 1
}

/// Civil date-time text (UTC) for Unix seconds, e.g. `2026-11-30 16:00:00+00`.
fn ts(out: &mut Vec<u8>, t: i64) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let _ = write!(out, "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}+00", secs / 3600, secs / 60 % 60, secs % 60);
}

#[allow(clippy::too_many_arguments)]
fn generate(seed: u64, days: u32, n: usize, grids: &[Unit], set: &BuildingSet) -> Vec<Inc> {
    let start = PERIOD_END - i64::from(days) * 86_400;
    let bw: Vec<f64> = set
        .buildings
        .iter()
        .map(|b| f64::from(b.residents) + [0.0, 60.0, 20.0, 30.0, 40.0, 80.0, 0.0][b.kind as usize])
        .collect();
    let mut cum = Vec::with_capacity(bw.len());
    let mut acc = 0.0;
    for w in &bw {
        acc += w;
        cum.push(acc);
    }
    let mut hot_rng = rng_for(seed, "hotspots", "");
    let hot: Vec<usize> = (0..grids.len().div_ceil(30)).map(|_| hot_rng.random_range(0..grids.len())).collect();
    let chunk = 50_000;
    let mut out = Vec::with_capacity(n);
    let ln = |median_h: f64, s: f64| LogNormal::new((median_h * 3600.0).ln(), s).unwrap_or_else(|_| unreachable!());
    let res = [ln(60.0, 1.0), ln(1.5, 1.0), ln(36.0, 1.0)];
    let close = ln(12.0, 0.8);
    let hours_w = HOURS;
    for ci in 0..n.div_ceil(chunk) {
        let mut rng = rng_for(seed, "incidents", &ci.to_string());
        for _ in 0..chunk.min(n - ci * chunk) {
            // Day with weekly rhythm (day 0 starts at local midnight; PERIOD_END is a Tuesday 00:00).
            let day = loop {
                let d = rng.random_range(0..days);
                let t = start + i64::from(d) * 86_400 + 8 * 3600;
                let wd = ((t.div_euclid(86_400) + 3).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday
                if rng.random::<f64>() * 1.1 < WEEKDAYS[wd] {
                    break d;
                }
            };
            let hour = pick_weighted(&hours_w, rng.random());
            let t = start + i64::from(day) * 86_400 + hour as i64 * 3600 + rng.random_range(0..3600);
            let kr = rng.random::<f64>();
            let cat: u8 = if kr < 0.55 {
                10 + pick_weighted(&[40.0, 35.0, 25.0], rng.random()) as u8
            } else if kr < 0.85 {
                pick_weighted(&[30.0, 20.0, 20.0, 12.0, 12.0, 6.0], rng.random()) as u8
            } else {
                6 + pick_weighted(&[30.0, 15.0, 40.0, 15.0], rng.random()) as u8
            };
            // Place.
            let bi = if rng.random::<f64>() < 0.12 {
                let g = hot[rng.random_range(0..hot.len())];
                set.by_grid[g].get(rng.random_range(0..set.by_grid[g].len().max(1))).map(|&b| b as usize)
            } else {
                None
            }
            .unwrap_or_else(|| cum.partition_point(|&c| c <= rng.random::<f64>() * acc).min(cum.len() - 1));
            let b = &set.buildings[bi];
            let g = &grids[b.grid as usize];
            let mut p = b.centre;
            if cat == TRAFFIC && !g.shape.edges.is_empty() {
                let e = g.shape.edges[rng.random_range(0..g.shape.edges.len())];
                let f = rng.random::<f64>();
                let p0 = [e[0] + (e[2] - e[0]) * f, e[1] + (e[3] - e[1]) * f];
                let (ex, ey) = ((e[2] - e[0]) * M_PER_DEG_X, (e[3] - e[1]) * M_PER_DEG_Y);
                let len = ex.hypot(ey);
                if len > 0.0 {
                    let d = rng.random_range(3.0..8.0);
                    for sgn in [1.0, -1.0] {
                        let q = offset(p0, -ey / len * d * sgn, ex / len * d * sgn);
                        if g.shape.contains(q) {
                            p = q;
                            break;
                        }
                    }
                }
            } else {
                let sd = b.w.max(b.h) / 2.0 + 10.0;
                let nd = Normal::new(0.0, sd).unwrap_or_else(|_| unreachable!());
                let q = offset(b.centre, nd.sample(&mut rng), nd.sample(&mut rng));
                if g.shape.contains(q) {
                    p = q;
                }
            }
            let kind = match cat {
                0..=5 => 0,
                6..=9 => 1,
                _ => 2,
            };
            let src = match kind {
                0 => [4u8, 0, 1, 2][pick_weighted(&[35.0, 30.0, 25.0, 10.0], rng.random())],
                1 => [3u8, 1, 0][pick_weighted(&[60.0, 20.0, 20.0], rng.random())],
                _ => [0u8, 2, 1, 4][pick_weighted(&[40.0, 30.0, 25.0, 5.0], rng.random())],
            };
            let prio = match cat {
                7 => 1,
                6..=9 => rng.random_range(1..=2),
                0..=5 | 12 => rng.random_range(2..=3),
                _ => rng.random_range(3..=4),
            };
            let r = t + res[kind].sample(&mut rng) as i64 + 60;
            let c = r + close.sample(&mut rng) as i64 + 60;
            let (resolved, closed, status) = if c <= PERIOD_END {
                (Some(r), Some(c), 5)
            } else if r <= PERIOD_END {
                (Some(r), None, 4)
            } else if PERIOD_END - t < 1800 {
                (None, None, 0)
            } else {
                (None, None, 1 + pick_weighted(&[30.0, 30.0, 40.0], rng.random()) as u8)
            };
            let esc = if status < 4 && PERIOD_END - t > 72 * 3600 {
                rng.random_range(1..=3)
            } else {
                u8::from(rng.random::<f64>() < 0.08)
            };
            out.push(Inc {
                t,
                cat,
                src,
                prio,
                status,
                esc,
                resolved,
                closed,
                grid: b.grid,
                p,
                dup: 0,
                tmpl: rng.random_range(0..TEMPLATES[cat as usize].len()) as u8,
                dup_candidate: rng.random::<f64>() < 0.02,
            });
        }
    }
    out.sort_by(|a, b| a.t.cmp(&b.t).then(a.grid.cmp(&b.grid)).then(a.cat.cmp(&b.cat)).then(a.p[0].total_cmp(&b.p[0])));
    let mut last: HashMap<(u32, u8), (u32, i64)> = HashMap::new();
    for (i, inc) in out.iter_mut().enumerate() {
        let id = i as u32 + 1;
        if inc.dup_candidate {
            if let Some(&(prev, pt)) = last.get(&(inc.grid, inc.cat)) {
                if inc.t - pt < 48 * 3600 {
                    inc.dup = prev;
                    inc.status = 6;
                    inc.resolved = None;
                    inc.closed = None;
                    inc.esc = 0;
                    continue;
                }
            }
        }
        last.insert((inc.grid, inc.cat), (id, inc.t));
    }
    out
}

pub async fn write_incidents(
    conn: &mut PgConnection,
    seed: u64,
    days: u32,
    grids: &[Unit],
    set: &BuildingSet,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<u64> {
    let n = count_for_days(days);
    let incs = generate(seed, days, n, grids, set);
    bar.set_length(incs.len() as u64);
    // Bulk load: foreign keys are dropped for the COPY and re-added (validated in one join)
    // afterwards, with their original definitions.
    let fks: Vec<(String, String)> = sqlx::query_as(
        "select conname::text, pg_get_constraintdef(oid) from pg_constraint \
         where conrelid = 'incidents'::regclass and contype = 'f' order by conname",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (name, _) in &fks {
        sqlx::query(&format!("alter table incidents drop constraint {name}")).execute(&mut *conn).await?;
    }
    // Likewise the secondary indexes: building them once after the COPY is several times
    // cheaper than maintaining them row by row.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) from pg_index i \
         where i.indrelid = 'incidents'::regclass and not i.indisprimary order by 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("drop index {name}")).execute(&mut *conn).await?;
    }
    let mut c = Copier::start(
        conn,
        "COPY incidents (id, category, source, priority, status, escalation_level, description, reported_at, \
         resolved_at, closed_at, grid_code, duplicate_of, geom) FROM STDIN",
    )
    .await?;
    for (i, inc) in incs.iter().enumerate() {
        let g = &grids[inc.grid as usize];
        let t = c.text();
        write!(
            t,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}{}\t",
            i + 1,
            CATS[inc.cat as usize],
            SOURCES[inc.src as usize],
            inc.prio,
            STATUSES[inc.status as usize],
            inc.esc,
            g.name,
            TEMPLATES[inc.cat as usize][inc.tmpl as usize]
        )?;
        ts(t, inc.t);
        t.push(b'\t');
        for v in [inc.resolved, inc.closed] {
            match v {
                Some(x) => ts(t, x),
                None => t.extend_from_slice(b"\\N"),
            }
            t.push(b'\t');
        }
        write!(t, "{}\t", g.code)?;
        if inc.dup > 0 {
            write!(t, "{}\t", inc.dup)?;
        } else {
            t.extend_from_slice(b"\\N\t");
        }
        ewkb_point(t, inc.p);
        t.push(b'\n');
        c.row().await?;
        if i % 10_000 == 0 {
            bar.set_position(i as u64);
        }
    }
    let rows = c.finish().await?;
    bar.set_position(rows);
    for (_, def) in &indexes {
        sqlx::query(def).execute(&mut *conn).await?;
    }
    for (name, def) in &fks {
        sqlx::query(&format!("alter table incidents add constraint {name} {def}")).execute(&mut *conn).await?;
    }
    sqlx::query(
        "select setval(pg_get_serial_sequence('incidents', 'id'), greatest((select max(id) from incidents), 1))",
    )
    .execute(&mut *conn)
    .await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format() {
        let mut v = Vec::new();
        ts(&mut v, PERIOD_END);
        assert_eq!(String::from_utf8(v).expect("ascii"), "2026-11-30 16:00:00+00");
        assert_eq!(count_for_days(365), 3_486_000);
        assert_eq!(count_for_days(90), 859_562);
    }
}
