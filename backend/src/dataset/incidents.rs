//! Incidents: spatially clustered around residents and hotspots, daily and weekly rhythm,
//! category/source mix, and a life for each case: its steps (assign, accept, start, resolve,
//! close) at times drawn from a handling time that depends on category and priority
//! ([`HANDLING_HOURS`] × [`PRIORITY_FACTOR`]), its status at the end of the period the steps
//! taken by then, its escalations exactly where the SLA table (`escalation_sla`) puts the
//! deadlines while it was open, and one `incident_events` row per step.

use std::collections::HashMap;
use std::io::Write as _;

use rand::Rng;
use rand_distr::{Distribution, LogNormal, Normal};
use sqlx::PgConnection;

use citygrid_api::WORKER_STEPS;

use crate::incidents::{ESCALATION_NOTE, STATUSES};

use super::content::{Building, BuildingSet};
use super::geom::{along, cumulative, draw, ewkb_point, offset, rng_for};
use super::hierarchy::Unit;
use super::water::Water;
use super::{Copier, Detached};

pub const PER_YEAR: f64 = 3_486_000.0;
/// 2026-12-01T00:00:00+08:00 as Unix seconds.
pub const PERIOD_END: i64 = 1_796_054_400;

/// The generated categories, in the order of the tables below.
pub const CATS: [&str; 13] = [
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

/// Median hours from report to resolution at priority 3, per category of [`CATS`]: alarms are
/// handled in minutes, disputes within a day (land and labour the slowest), citizen issues in a
/// day or two (repairs the slowest). Each is well inside the category's level-0 SLA, so most
/// cases close without escalating; the lognormal tail ([`HANDLING_SIGMA`]) escalates the rest.
pub const HANDLING_HOURS: [f64; 13] = [6.0, 8.0, 10.0, 12.0, 14.0, 9.0, 0.35, 0.3, 0.4, 0.5, 30.0, 16.0, 20.0];
/// Handling time relative to priority 3, for priorities 1–4: urgent cases are handled faster
/// (less steeply than the SLA shortens, so they escalate a little more often).
pub const PRIORITY_FACTOR: [f64; 4] = [0.35, 0.6, 1.0, 1.6];
/// Log-standard deviation of the handling time.
const HANDLING_SIGMA: f64 = 0.8;
/// The note of a resolve step per category kind (dispute, alarm, citizen) and of a close step.
const RESOLVE_NOTES: [&str; 3] = ["调解达成一致", "现场处置完毕", "已整改完成"];
const CLOSE_NOTE: &str = "回访满意，结案";

/// The steps of a case, in order, with the status each leads to (`STATUSES` index).
const STEPS: [(&str, u8); 5] = [("assign", 1), ("accept", 2), ("start", 3), ("resolve", 4), ("close", 5)];

struct Inc {
    t: i64,
    cat: u8,
    src: u8,
    prio: u8,
    status: u8,
    esc: u8,
    /// When each step of [`STEPS`] happens (possibly after the period's end: then not yet).
    steps: [i64; 5],
    /// When each escalation happened (the first `esc`).
    escalated: [i64; 3],
    /// Where in its level-0 time a duplicate is marked as one.
    dup_at: f64,
    grid: u32,
    p: [f64; 2],
    dup: u32,
    tmpl: u8,
    dup_candidate: bool,
}

impl Inc {
    fn resolved(&self) -> Option<i64> {
        (self.status >= 4 && self.status != 6).then_some(self.steps[3])
    }
    fn closed(&self) -> Option<i64> {
        (self.status == 5).then_some(self.steps[4])
    }
    /// When responsibility reached its current level.
    fn level_since(&self) -> i64 {
        if self.esc == 0 {
            self.t
        } else {
            self.escalated[self.esc as usize - 1]
        }
    }
    /// When a duplicate is marked: within its first level's time, by the period's end.
    fn marked_at(&self, sla: &Sla) -> i64 {
        let room = (sla[self.cat as usize][self.prio as usize - 1][0] as i64).min(PERIOD_END - self.t);
        self.t + (room as f64 * self.dup_at) as i64
    }
}

/// Seconds per level (0–2) before escalation, by category index and priority − 1.
type Sla = [[[f64; 3]; 4]; 13];

/// The generated incidents with what their events need.
pub struct Generated {
    incs: Vec<Inc>,
    sla: Sla,
    /// Each grid's first worker (by rank), whom `assign` names.
    workers: Vec<Option<String>>,
}

/// The status at the period's end and the escalations of a case reported at `t` whose steps
/// happen at `steps`: an open case escalates at each deadline of its level that passes before
/// it is resolved (and before the period ends), one level at a time, up to the county centre.
fn life(t: i64, steps: &[i64; 5], sla: &[f64; 3]) -> (u8, u8, [i64; 3]) {
    let status = steps.iter().take_while(|&&s| s <= PERIOD_END).count() as u8;
    let open_until = steps[3].min(PERIOD_END) as f64;
    let (mut esc, mut since, mut at) = (0u8, t, [0i64; 3]);
    while esc < 3 {
        let deadline = since as f64 + sla[esc as usize];
        if deadline >= open_until {
            break;
        }
        // The pass that finds it overdue runs at the deadline (at the next whole second).
        since = deadline.ceil() as i64;
        at[esc as usize] = since;
        esc += 1;
    }
    (status, esc, at)
}

#[must_use]
pub fn count_for_days(days: u32) -> usize {
    (PER_YEAR * f64::from(days) / 365.0).round() as usize
}

/// The kind of a category of [`CATS`]: 0 dispute, 1 alarm, 2 citizen.
fn kind(cat: u8) -> usize {
    match cat {
        0..=5 => 0,
        6..=9 => 1,
        _ => 2,
    }
}

/// People who come to a building without living there, by kind (`KINDS` order): they draw
/// incidents like residents do (shops and hospitals the most).
const VISITORS: [f64; 7] = [0.0, 12.0, 4.0, 6.0, 8.0, 16.0, 0.0];

/// How strongly a building makes a hot site (where incidents gather): markets and shops the
/// most, then schools and hospitals, estates by their residents (a 300-resident block as much as
/// a shop); nothing else.
fn attraction(b: &Building) -> f64 {
    match b.kind {
        1 => 3.0,
        4 | 5 => 2.0,
        0 => f64::from(b.residents) / 100.0,
        _ => 0.0,
    }
}

/// Share of the incidents that happen around a hot site, and how far around it (σ, metres).
const HOT_SHARE: f64 = 0.12;
const HOT_SPREAD_M: f64 = 40.0;

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

/// Generates the incidents of `days` days before the period's end, reading the SLA table and
/// the grids' first workers from the database being loaded.
pub async fn generate(
    conn: &mut PgConnection,
    seed: u64,
    days: u32,
    grids: &[Unit],
    water: &Water,
    set: &BuildingSet,
) -> anyhow::Result<Generated> {
    let mut sla: Sla = [[[f64::INFINITY; 3]; 4]; 13];
    let rows: Vec<(String, i16, i16, f64)> =
        sqlx::query_as("select category, priority, level, hours from escalation_sla").fetch_all(&mut *conn).await?;
    for (cat, prio, level, hours) in rows {
        if let Some(c) = CATS.iter().position(|c| *c == cat) {
            sla[c][prio as usize - 1][level as usize] = hours * 3600.0;
        }
    }
    let first: HashMap<String, String> = sqlx::query_as(
        "select distinct on (grid_code) grid_code, employee_no from grid_workers where grid_code is not null \
         order by grid_code, rank",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let workers = grids.iter().map(|g| first.get(&g.code).cloned()).collect();
    let incs = generate_incs(seed, days, count_for_days(days), grids, water, set, &sla);
    Ok(Generated { incs, sla, workers })
}

/// A planted burst (documented in `data/README.md` for the demo): `cases` extra incidents of
/// one category within `hours`, ending `ends_days_before_end` days before the period's end,
/// around (σ [`HOT_SPREAD_M`]) a building of kind `site` drawn at random: what the hotspot
/// early warning must find in the last week.
#[derive(Debug, Clone, Copy)]
pub struct Burst {
    /// Index into [`CATS`].
    pub category: u8,
    /// Index into `content::KINDS`.
    pub site: u8,
    pub cases: usize,
    pub hours: f64,
    pub ends_days_before_end: f64,
}

impl Burst {
    /// When it happens: [from, to) in Unix seconds.
    #[must_use]
    pub fn span(&self) -> (i64, i64) {
        let to = PERIOD_END - (self.ends_days_before_end * 86_400.0) as i64;
        (to - (self.hours * 3600.0) as i64, to)
    }
}

/// Neighbour disputes flaring up for three days at an estate (a renovation, a parking
/// quarrel), a wave of environment complaints for two days at a shop (a market's waste), a
/// crowd alarm of one evening (18:00–24:00) at a public building.
pub const BURSTS: [Burst; 3] = [
    Burst { category: 0, site: 0, cases: 45, hours: 72.0, ends_days_before_end: 0.5 },
    Burst { category: 11, site: 1, cases: 40, hours: 48.0, ends_days_before_end: 2.0 },
    Burst { category: 9, site: 3, cases: 30, hours: 6.0, ends_days_before_end: 3.0 },
];

/// What a case's life is drawn from: handling times per category × priority, the closing
/// delay, the SLA deadlines.
struct Lives<'a> {
    handling: Vec<[LogNormal<f64>; 4]>,
    close: LogNormal<f64>,
    sla: &'a Sla,
}

impl<'a> Lives<'a> {
    fn new(sla: &'a Sla) -> Self {
        let ln = |median_h: f64, s: f64| LogNormal::new((median_h * 3600.0).ln(), s).unwrap_or_else(|_| unreachable!());
        let handling = HANDLING_HOURS.iter().map(|h| PRIORITY_FACTOR.map(|f| ln(h * f, HANDLING_SIGMA))).collect();
        Self { handling, close: ln(12.0, 0.8), sla }
    }

    /// A case of category `cat` reported at `t` at `p` in grid `grid`: its source, priority,
    /// steps, status and escalations.
    fn case(&self, rng: &mut impl Rng, t: i64, cat: u8, grid: u32, p: [f64; 2]) -> Inc {
        let src = match kind(cat) {
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
        // Handling: resolved after the drawn time; assigned, accepted and started within
        // its first third, each at least a second after the one before.
        let d = self.handling[cat as usize][prio as usize - 1].sample(rng) as i64 + 60;
        let mut steps = [0i64; 5];
        let mut f = 0.0;
        let mut prev = t;
        for step in steps.iter_mut().take(3) {
            f += rng.random_range(0.02..0.1);
            prev = (t + (d as f64 * f) as i64).max(prev + 1);
            *step = prev;
        }
        steps[3] = t + d;
        steps[4] = steps[3] + self.close.sample(rng) as i64 + 60;
        let (status, esc, escalated) = life(t, &steps, &self.sla[cat as usize][prio as usize - 1]);
        Inc {
            t,
            cat,
            src,
            prio,
            status,
            esc,
            steps,
            escalated,
            dup_at: rng.random_range(0.05..0.9),
            grid,
            p,
            dup: 0,
            tmpl: rng.random_range(0..TEMPLATES[cat as usize].len()) as u8,
            dup_candidate: rng.random::<f64>() < 0.02,
        }
    }
}

fn generate_incs(
    seed: u64,
    days: u32,
    n: usize,
    grids: &[Unit],
    water: &Water,
    set: &BuildingSet,
    sla: &Sla,
) -> Vec<Inc> {
    let start = PERIOD_END - i64::from(days) * 86_400;
    let (cum, acc) = cumulative(set.buildings.iter().map(|b| f64::from(b.residents) + VISITORS[b.kind as usize]));
    // Hot sites: markets, schools, hospitals and dense estates, one per 30 grids.
    let (hot_cum, hot_acc) = cumulative(set.buildings.iter().map(attraction));
    let mut hot_rng = rng_for(seed, "hotspots", "");
    let hot: Vec<usize> = (0..grids.len().div_ceil(30)).map(|_| draw(&hot_cum, hot_acc, hot_rng.random())).collect();
    let spread = Normal::new(0.0, HOT_SPREAD_M).unwrap_or_else(|_| unreachable!());
    let chunk = 50_000;
    let mut out = Vec::with_capacity(n);
    let lives = Lives::new(sla);
    let hours_w = HOURS;
    // The planted bursts are part of the `n`.
    let n = n.saturating_sub(BURSTS.iter().map(|b| b.cases).sum::<usize>());
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
            // Place: around a hot site, or at a building drawn by its people and visitors.
            let at_hot_site = rng.random::<f64>() < HOT_SHARE;
            let bi = if at_hot_site { hot[rng.random_range(0..hot.len())] } else { draw(&cum, acc, rng.random()) };
            let b = &set.buildings[bi];
            let g = &grids[b.grid as usize];
            let mut p = b.centre;
            if at_hot_site {
                let q = offset(b.centre, spread.sample(&mut rng), spread.sample(&mut rng));
                if water.on_land_of(&g.shape, q) {
                    p = q;
                }
            } else if cat == TRAFFIC && !g.roads().is_empty() {
                let e = g.roads()[rng.random_range(0..g.roads().len())];
                let f = rng.random::<f64>();
                let (p0, (ex, ey)) = along(e, f);
                let len = ex.hypot(ey);
                if len > 0.0 {
                    let d = rng.random_range(3.0..8.0);
                    for sgn in [1.0, -1.0] {
                        let q = offset(p0, -ey / len * d * sgn, ex / len * d * sgn);
                        if water.on_land_of(&g.shape, q) {
                            p = q;
                            break;
                        }
                    }
                }
            } else {
                let sd = b.w.max(b.h) / 2.0 + 10.0;
                let nd = Normal::new(0.0, sd).unwrap_or_else(|_| unreachable!());
                let q = offset(b.centre, nd.sample(&mut rng), nd.sample(&mut rng));
                if water.on_land_of(&g.shape, q) {
                    p = q;
                }
            }
            out.push(lives.case(&mut rng, t, cat, b.grid, p));
        }
    }
    for (k, burst) in BURSTS.iter().enumerate() {
        let mut rng = rng_for(seed, "bursts", &k.to_string());
        let sites: Vec<&Building> = set.buildings.iter().filter(|b| b.kind == burst.site).collect();
        // (A city without a building of the kind has the burst at a hot site.)
        let b =
            sites.get(rng.random_range(0..sites.len().max(1))).copied().unwrap_or(&set.buildings[hot[k % hot.len()]]);
        let g = &grids[b.grid as usize];
        let (from, to) = burst.span();
        for _ in 0..burst.cases {
            let t = rng.random_range(from..to);
            let q = offset(b.centre, spread.sample(&mut rng), spread.sample(&mut rng));
            let p = if water.on_land_of(&g.shape, q) { q } else { b.centre };
            out.push(lives.case(&mut rng, t, burst.category, b.grid, p));
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
                    inc.esc = 0;
                    continue;
                }
            }
        }
        last.insert((inc.grid, inc.cat), (id, inc.t));
    }
    out
}

/// COPYs the incidents (foreign keys and secondary indexes dropped meanwhile); returns the rows.
pub async fn write_incidents(
    conn: &mut PgConnection,
    gen: &Generated,
    grids: &[Unit],
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<u64> {
    let incs = &gen.incs;
    bar.set_length(incs.len() as u64);
    let detached = Detached::drop(conn, "incidents").await?;
    let mut c = Copier::start(
        conn,
        "COPY incidents (id, category, source, priority, status, escalation_level, level_since, assignee, \
         updated_at, description, reported_at, resolved_at, closed_at, grid_code, duplicate_of, geom) FROM STDIN",
    )
    .await?;
    for (i, inc) in incs.iter().enumerate() {
        let g = &grids[inc.grid as usize];
        let t = c.text();
        write!(
            t,
            "{}\t{}\t{}\t{}\t{}\t{}\t",
            i + 1,
            CATS[inc.cat as usize],
            SOURCES[inc.src as usize],
            inc.prio,
            STATUSES[inc.status as usize],
            inc.esc,
        )?;
        ts(t, inc.level_since());
        t.push(b'\t');
        match &gen.workers[inc.grid as usize] {
            Some(w) if (1..6).contains(&inc.status) => t.extend_from_slice(w.as_bytes()),
            _ => t.extend_from_slice(b"\\N"),
        }
        t.push(b'\t');
        ts(t, last_event(inc, &gen.sla));
        write!(t, "\t{}{}\t", g.name, TEMPLATES[inc.cat as usize][inc.tmpl as usize])?;
        ts(t, inc.t);
        t.push(b'\t');
        for v in [inc.resolved(), inc.closed()] {
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
    detached.restore(conn).await?;
    sqlx::query(
        "select setval(pg_get_serial_sequence('incidents', 'id'), greatest((select max(id) from incidents), 1))",
    )
    .execute(&mut *conn)
    .await?;
    Ok(rows)
}

/// When a case's last event happened (its `updated_at`).
fn last_event(inc: &Inc, sla: &Sla) -> i64 {
    if inc.status == 6 {
        return inc.marked_at(sla);
    }
    let step = if inc.status == 0 { inc.t } else { inc.steps[inc.status as usize - 1] };
    step.max(inc.level_since())
}

/// One `incident_events` row per step of every case, in time order: its report, the steps it
/// has taken by the period's end (accept and start on behalf of the assigned worker, resolve
/// and close with a note, as the state machine requires), each escalation at its deadline (by
/// the system, with the escalation task's note), a duplicate's marking. COPYed with the
/// table's foreign keys and index dropped; returns the rows.
pub async fn write_events(
    conn: &mut PgConnection,
    gen: &Generated,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<u64> {
    bar.set_length(gen.incs.len() as u64);
    let detached = Detached::drop(conn, "incident_events").await?;
    let mut c = Copier::start(
        conn,
        "COPY incident_events (incident_id, at, action, from_status, to_status, from_level, to_level, note, \
         on_behalf_of) FROM STDIN",
    )
    .await?;
    for (i, inc) in gen.incs.iter().enumerate() {
        let id = i + 1;
        let t = c.text();
        let event =
            |t: &mut Vec<u8>, at: i64, action: &str, from: Option<(u8, u8)>, to: (u8, u8), note: &str, worker: bool| {
                let _ = write!(t, "{id}\t");
                ts(t, at);
                let _ = write!(t, "\t{action}\t");
                match from {
                    Some((s, _)) => t.extend_from_slice(STATUSES[s as usize].as_bytes()),
                    None => t.extend_from_slice(b"\\N"),
                }
                let _ = write!(t, "\t{}\t", STATUSES[to.0 as usize]);
                match from {
                    Some((_, l)) => {
                        let _ = write!(t, "{l}");
                    }
                    None => t.extend_from_slice(b"\\N"),
                }
                let _ = write!(t, "\t{}\t", to.1);
                if note.is_empty() {
                    t.extend_from_slice(b"\\N");
                } else {
                    t.extend_from_slice(note.as_bytes());
                }
                t.push(b'\t');
                match &gen.workers[inc.grid as usize] {
                    Some(w) if worker => t.extend_from_slice(w.as_bytes()),
                    _ => t.extend_from_slice(b"\\N"),
                }
                t.push(b'\n');
            };
        event(t, inc.t, "report", None, (0, 0), "", false);
        if inc.status == 6 {
            event(t, inc.marked_at(&gen.sla), "mark_duplicate", Some((0, 0)), (6, 0), "", false);
        } else {
            // Steps and escalations merged in time (a step first on a tie); after the last
            // step taken, the escalations that followed it.
            let (mut status, mut level) = (0u8, 0u8);
            let mut k = 0usize;
            let taken = STEPS.iter().zip(inc.steps).take(inc.status as usize);
            for step in taken.map(Some).chain([None]) {
                let at = step.map_or(i64::MAX, |(_, at)| at);
                while k < inc.esc as usize && inc.escalated[k] < at {
                    event(
                        t,
                        inc.escalated[k],
                        "escalate",
                        Some((status, level)),
                        (status, level + 1),
                        ESCALATION_NOTE,
                        false,
                    );
                    level += 1;
                    k += 1;
                }
                let Some((&(action, to), _)) = step else { break };
                let note = match action {
                    "resolve" => RESOLVE_NOTES[kind(inc.cat)],
                    "close" => CLOSE_NOTE,
                    _ => "",
                };
                event(t, at, action, Some((status, level)), (to, level), note, WORKER_STEPS.contains(&action));
                status = to;
            }
        }
        c.row().await?;
        if i % 10_000 == 0 {
            bar.set_position(i as u64);
        }
    }
    let rows = c.finish().await?;
    bar.set_position(gen.incs.len() as u64);
    detached.restore(conn).await?;
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

    #[test]
    fn the_period_and_the_grid_versions_fit_every_scale() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("an instant").timestamp();
        assert_eq!(at(super::super::GENERATED_UNTIL), PERIOD_END);
        for scale in [super::super::Scale::Tiny, super::super::Scale::Demo, super::super::Scale::Full] {
            let start = PERIOD_END - i64::from(scale.days()) * 86_400;
            assert!(at(super::super::FIXED_START) <= start, "{scale}: incidents before the grid versions");
        }
    }

    #[test]
    fn escalations_follow_the_deadlines_while_open() {
        let sla = [3600.0, 5400.0, 7200.0];
        let t = PERIOD_END - 10 * 3600;
        // Resolved after 2 h: escalated once, at 1 h.
        let steps = [t + 60, t + 120, t + 180, t + 7200, t + 9000];
        assert_eq!(life(t, &steps, &sla), (5, 1, [t + 3600, 0, 0]));
        // Still open at the end, 10 h old: every level's time has run out, up to the county.
        let steps = [t + 60, t + 120, PERIOD_END + 1, PERIOD_END + 2, PERIOD_END + 3];
        assert_eq!(life(t, &steps, &sla), (2, 3, [t + 3600, t + 9000, t + 16_200]));
        // Resolved exactly at the deadline: not escalated.
        let steps = [t + 60, t + 120, t + 180, t + 3600, PERIOD_END + 1];
        assert_eq!(life(t, &steps, &sla), (4, 0, [0; 3]));
    }
}
