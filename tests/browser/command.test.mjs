// The Command workspace (issue 16), as a leader sees it: the city with the heatmap, KPI cards
// equal to SQL on this file's own clone, county and township names over the heatmap, the day
// slider and playback moving the heatmap, and a burst planted here flagged in the hotspot list,
// where a click flies to the grid and outlines it. Chinese by default, English on the toggle.
//
// Needs CITYGRID_DATABASE_URL (the clone the backend serves; `cargo xtask test` sets it): the
// test plants its burst there and computes every expected figure there with psql.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BASE_URL, blend, browserForFile, decodePng, hexRgb, jumpAndSettle, login, screenshot, settle, sql, sqlRow, sqlValue } from './lib.mjs';

const HEAT = ['citygrid-command-heat-a', 'citygrid-command-heat-b'];
const HIGHLIGHT = '#e5484d';
const session = browserForFile();

/** The counted incidents (no duplicates) of the families `dispute` and `alarm` in [from, to) (Asia/Shanghai days). */
function windowFigures(from, to, where = "(category like 'dispute.%' or category like 'alarm.%')") {
  const [n, resolved] = sqlRow(`select count(*), count(*) filter (where status in ('resolved', 'closed'))
    from incidents where status <> 'duplicate' and ${where}
      and reported_at >= '${from}'::timestamp at time zone 'Asia/Shanghai'
      and reported_at < '${to}'::timestamp at time zone 'Asia/Shanghai'`);
  return { n: Number(n), resolved: Number(resolved) };
}

/** Pixels of the map canvas that are heat colours (warm: red well above blue) rather than the pale background. */
async function mapImage(page, name) {
  const box = await page.locator('#map canvas.maplibregl-canvas').boundingBox();
  return decodePng((await screenshot(page, name, { clip: box })).buf);
}

function warmPixels(img) {
  let n = 0;
  for (let o = 0; o < img.rgba.length; o += 4) {
    const [r, b] = [img.rgba[o], img.rgba[o + 2]];
    if (r > 200 && r - b > 40) n++;
  }
  return n;
}

/** Pixels of the darker half of the heat ramp (orange to dark red): where the heat is strong. */
function strongPixels(img) {
  let n = 0;
  for (let o = 0; o < img.rgba.length; o += 4) {
    const [r, g, b] = [img.rgba[o], img.rgba[o + 1], img.rgba[o + 2]];
    if (r > 180 && r - g > 90 && r - b > 90) n++;
  }
  return n;
}

function differingPixels(a, b) {
  let n = 0;
  for (let o = 0; o < a.rgba.length; o += 4) {
    if (Math.max(...[0, 1, 2].map((k) => Math.abs(a.rgba[o + k] - b.rgba[o + k]))) > 10) n++;
  }
  return n;
}

/** The heat layer shown (opacity > 0), its tile URL, and whether its tiles have loaded. */
async function shownHeat(page) {
  return page.evaluate((ids) => {
    const map = window.__citygrid.map;
    return ids
      .filter((id) => map.getLayer(id) && map.getPaintProperty(id, 'heatmap-opacity') > 0)
      .map((id) => ({ id, url: map.getSource(id).tiles[0], loaded: map.isSourceLoaded(id) }));
  }, HEAT);
}

/** Waits until exactly one heat layer is shown, on a URL for [from, to), loaded; then for the map to settle. */
async function heatShows(page, from, to) {
  await page.waitForFunction(
    ([ids, from, to]) => {
      const map = window.__citygrid.map;
      const shown = ids.filter((id) => map.getLayer(id) && map.getPaintProperty(id, 'heatmap-opacity') > 0);
      if (shown.length !== 1) return false;
      const url = map.getSource(shown[0]).tiles[0];
      return url.includes(`from=${from}&`) && url.includes(`to=${to}&`) && map.isSourceLoaded(shown[0]);
    },
    [HEAT, from, to],
    { timeout: 60_000 },
  );
  await settle(page);
}

async function setSlider(page, frame) {
  await page.locator('[data-testid=day-range]').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, frame);
}

// The burst: 25 alarms in the quietest grid, registered in the last half hour (the triggers on
// `incidents` feed the heat rollups and the figures in the same transaction).
const burst = {};

test('a leader opens on the city: heatmap, names over it, KPI cards equal to SQL', { timeout: 180_000 }, async (t) => {
  const { page } = session;
  [burst.code, burst.lon, burst.lat] = sqlRow(`select g.code, st_x(st_pointonsurface(g.geom)), st_y(st_pointonsurface(g.geom)) from current_grids g
    order by (select count(*) from incidents i where i.grid_code = g.code), g.code limit 1`);
  sql(`insert into incidents (category, source, priority, status, description, reported_at, grid_code, geom)
    select case when k % 2 = 0 then 'alarm.fire' else 'alarm.crowd' end, 'video', 2, 'new', 'planted burst',
           now() - k * interval '1 minute', g.code, st_pointonsurface(g.geom)
    from current_grids g, generate_series(1, 25) k where g.code = '${burst.code}'`);

  await login(page, 'leader');
  assert.equal(await page.locator('.tab-panel').getAttribute('data-tab'), 'command', 'a leader lands on Command');
  assert.equal(await page.locator('.tab-panel h2').innerText(), '指挥');

  // The window: the last 28 days, today (Asia/Shanghai) included.
  const [from, to] = sqlValue(`select (d - 27)::text || '|' || (d + 1)::text
    from (select (now() at time zone 'Asia/Shanghai')::date d) t`).split('|');
  const slider = page.locator('[data-testid=day-slider]');
  assert.equal(await slider.getAttribute('data-heat-from'), from);
  assert.equal(await slider.getAttribute('data-heat-to'), to);

  // KPI cards: the city's disputes and alarms of the window.
  const expected = windowFigures(from, to);
  assert.ok(expected.n >= 25, `the window holds the burst at least: ${expected.n}`);
  const value = (id) => page.locator(`[data-testid=kpi-${id}] .kpi-value`).innerText();
  await page.waitForFunction(() => document.querySelector('[data-testid=kpi-incidents]'));
  assert.equal((await value('incidents')).replaceAll(',', ''), String(expected.n));
  const rate = parseFloat(await value('closure-rate'));
  assert.ok(Math.abs(rate - (100 * expected.resolved) / expected.n) < 0.051, `closure rate ${rate}`);
  const residents = Number(sqlValue('select sum(residents) from buildings'));
  assert.ok(Math.abs(parseFloat(await value('per-1000')) - (expected.n * 1000) / residents) < 0.0051);
  assert.equal(await page.locator('[data-testid=unit-title] strong').innerText(), sqlValue(`select name from admin_units where level = 'city'`));

  // The heatmap of the window draws, below the county and township names.
  await heatShows(page, from, to);
  const withHeat = await mapImage(page, 'command-city');
  await page.evaluate((ids) => ids.forEach((id) => window.__citygrid.map.setLayoutProperty(id, 'visibility', 'none')), HEAT);
  await settle(page);
  const withoutHeat = await mapImage(page, 'command-city-no-heat');
  await page.evaluate((ids) => ids.forEach((id) => window.__citygrid.map.setLayoutProperty(id, 'visibility', 'visible')), HEAT);
  await settle(page);
  const [hot, cold] = [warmPixels(withHeat), warmPixels(withoutHeat)];
  t.diagnostic(`city view (${withHeat.width}×${withHeat.height} px): ${hot} heat pixels, ${strongPixels(withHeat)} strong; ${cold} warm without the heatmap`);
  assert.ok(hot > 2000 && hot > 5 * cold, `heat pixels: ${hot} with the heatmap, ${cold} without`);
  const names = await page.evaluate(() => {
    const map = window.__citygrid.map;
    const order = map.getStyle().layers.map((l) => l.id);
    const count = (layer) => new Set(map.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.code)).size;
    return {
      zoom: map.getZoom(),
      counties: count('counties-label'),
      townships: count('townships-label'),
      below: ['citygrid-command-heat-a', 'citygrid-command-heat-b'].every(
        (h) => order.indexOf(h) < order.indexOf('townships-label') && order.indexOf(h) < order.indexOf('counties-label'),
      ),
    };
  });
  assert.ok(names.zoom < 10, `the whole city: z${names.zoom}`);
  assert.ok(names.counties >= 5, `county names shown: ${names.counties}`);
  assert.ok(names.townships >= 20, `township names shown at z${names.zoom.toFixed(1)}: ${names.townships}`);
  assert.ok(names.below, 'the heat layers lie below the names');
});

test('the planted burst is a hotspot; a click flies there and outlines the grid', { timeout: 120_000 }, async () => {
  const { page } = session;
  const item = page.locator(`[data-testid=hotspot][data-code="${burst.code}"]`);
  await item.waitFor();
  assert.ok(Number(await item.getAttribute('data-observed')) >= 25);
  assert.match(await item.innerText(), /实际 \d+ · 预期 [\d.]+/);
  const today = sqlValue(`select (now() at time zone 'Asia/Shanghai')::date::text`);
  const firstDay = sqlValue(`select min((reported_at at time zone 'Asia/Shanghai')::date)::text from incidents
    where description = 'planted burst'`);
  assert.ok([today, firstDay].includes((await item.innerText()).match(/始于 (\S+)/)?.[1]), 'since the burst began');

  await item.locator('button').click();
  await page.waitForFunction(
    ([lon, lat]) => {
      const map = window.__citygrid.map;
      return !map.isMoving() && map.getZoom() > 13 && map.getBounds().contains([lon, lat]);
    },
    [Number(burst.lon), Number(burst.lat)],
    { timeout: 30_000 },
  );
  await settle(page);
  const filter = await page.evaluate(() => window.__citygrid.map.getFilter('citygrid-selected-grid'));
  assert.equal(filter[2], burst.code, 'the highlight layer outlines the grid');
  const img = await mapImage(page, 'command-hotspot');
  const [r, g, b] = hexRgb(HIGHLIGHT);
  let outline = 0;
  for (let o = 0; o < img.rgba.length; o += 4) {
    if (Math.abs(img.rgba[o] - r) < 30 && Math.abs(img.rgba[o + 1] - g) < 30 && Math.abs(img.rgba[o + 2] - b) < 30) outline++;
  }
  assert.ok(outline > 100, `outline pixels: ${outline}`);
  await page.locator('.inspector button.close, .inspector [data-testid=close]').first().click().catch(() => {});
});

test('the day slider moves the heatmap day by day; play runs through the window', { timeout: 240_000 }, async () => {
  const { page } = session;
  // A custom window over the days of the generated incidents (SQL), shown as the whole city.
  const [first, last] = sqlValue(`select min(d)::text || '|' || max(d)::text from (select (reported_at at time zone 'Asia/Shanghai')::date d
    from incidents where description <> 'planted burst') t`).split('|');
  await page.evaluate(() => {
    window.__citygrid.map.jumpTo({ center: [118.95, 33.45], zoom: 8.6 });
  });
  await page.locator('[data-testid=window-custom]').click();
  await page.locator('[data-testid=range-from]').fill(first);
  await page.locator('[data-testid=range-to]').fill(last);
  await page.locator('.custom-range button[type=submit]').click();
  const days = Number(sqlValue(`select '${last}'::date - '${first}'::date + 1`));
  assert.ok(days >= 3, `${days} days of incidents`);
  const dayAt = (i) => sqlValue(`select ('${first}'::date + ${i})::text`);

  // Two days whose counts differ the most (SQL): their heatmaps differ on screen. One count per
  // day of the window, the slider's frames (a day without incidents counts 0, it is not skipped).
  const perDay = sqlValue(`select string_agg(coalesce(n, 0)::text, ',' order by d)
    from generate_series('${first}'::date, '${last}'::date, interval '1 day') d
    left join (select (reported_at at time zone 'Asia/Shanghai')::date dd, count(*) n from incidents
      where status <> 'duplicate' and (category like 'dispute.%' or category like 'alarm.%')
        and description <> 'planted burst' group by 1) t on t.dd = d::date`).split(',').map(Number);
  assert.equal(perDay.length, days, 'a count for every day of the window');
  const lo = perDay.indexOf(Math.min(...perDay));
  const hi = perDay.indexOf(Math.max(...perDay));
  assert.notEqual(lo, hi);
  const images = {};
  for (const i of [lo, hi]) {
    await setSlider(page, i);
    assert.equal(await page.locator('[data-testid=day-slider]').getAttribute('data-frame'), String(i));
    await heatShows(page, dayAt(i), dayAt(i + 1));
    images[i] = await mapImage(page, `command-day-${i}`);
  }
  const diff = differingPixels(images[lo], images[hi]);
  assert.ok(diff > 1000, `the heatmap changes between day ${lo} and day ${hi}: ${diff} pixels`);
  assert.ok(warmPixels(images[hi]) > 500, 'the busiest day draws heat');

  // Play from the first day at 4× (play continues from the slider's day): every day in turn, one
  // heat layer shown at every moment, stops on the last day.
  await setSlider(page, 0);
  await page.locator('[data-testid=speed]').selectOption('4');
  await page.locator('[data-testid=play]').click();
  const seen = [];
  const started = Date.now();
  for (;;) {
    const [frame, playing, shown] = await Promise.all([
      page.locator('[data-testid=day-slider]').getAttribute('data-frame'),
      page.locator('[data-testid=day-slider]').getAttribute('data-playing'),
      shownHeat(page),
    ]);
    assert.equal(shown.length, 1, 'exactly one heat layer is shown');
    if (seen.at(-1) !== Number(frame)) seen.push(Number(frame));
    if (playing === 'false') break;
    assert.ok(Date.now() - started < 180_000, `playback still running: ${seen}`);
    await page.waitForTimeout(40);
  }
  assert.equal(seen.at(-1), days - 1, `playback ends on the last day: ${seen}`);
  assert.ok(seen.every((f, k) => k === 0 || f > seen[k - 1]), `frames only move forward: ${seen}`);
  assert.ok(seen.length >= Math.min(days, 3), `frames seen: ${seen}`);
  await heatShows(page, dayAt(days - 1), dayAt(days));

  // Cumulative: the last frame counts the whole window.
  await page.locator('[data-testid=cumulative]').check();
  await heatShows(page, first, dayAt(days));
});

test('choropleths drill down to a village level with a legend; a grid shows its trend and exports its figures', { timeout: 300_000 }, async () => {
  const { page } = session;
  const [first, last] = [await page.locator('[data-testid=range-from]').inputValue(), await page.locator('[data-testid=range-to]').inputValue()];
  const inWindow = `status <> 'duplicate' and (category like 'dispute.%' or category like 'alarm.%')
      and reported_at >= '${first}'::timestamp at time zone 'Asia/Shanghai'
      and reported_at < ('${last}'::date + 1)::timestamp at time zone 'Asia/Shanghai'`;
  const busiest = (len, prefix) => sqlValue(`select left(grid_code, ${len}) from incidents where ${inWindow} and grid_code like '${prefix}%'
      group by 1 order by count(*) desc, 1 limit 1`);
  const township = busiest(9, '');
  const village = busiest(12, township);
  const grid = busiest(15, village);
  await page.locator('[data-testid=whole-window]').click();
  // Back to the whole city (the hotspot test selected a grid).
  if (await page.locator('[data-testid=unit-back]').count()) await page.locator('[data-testid=unit-back]').click();
  await page.locator('[data-testid=mode-choropleth]').click();
  const legend = (level) => page.locator(`[data-testid=choropleth-legend][data-level=${level}]`);
  await legend('county').waitFor({ timeout: 60_000 });
  assert.equal(Number(await legend('county').getAttribute('data-units')), Number(sqlValue(`select count(*) from admin_units where level = 'county'`)));
  // Drill down through the ranked children: the county, then the township.
  await page.locator(`[data-testid=child][data-code="${township.slice(0, 6)}"] button`).click();
  await legend('township').waitFor({ timeout: 60_000 });
  await page.locator(`[data-testid=child][data-code="${township}"] button`).click();
  await legend('village').waitFor({ timeout: 60_000 });
  const villages = Number(sqlValue(`select count(*) from admin_units where level = 'village' and parent_code = '${township}'`));
  assert.equal(Number(await legend('village').getAttribute('data-units')), villages, 'one value per village of the township');
  const classes = await page.locator('[data-testid=choropleth-class]').evaluateAll((els) =>
    els.map((e) => ({ colour: e.dataset.colour, units: Number(e.dataset.units) })),
  );
  assert.ok(classes.length >= 2, `quantile classes: ${JSON.stringify(classes)}`);
  assert.equal(classes.reduce((a, c) => a + c.units, 0), villages, 'every village (all have a count) is in a class');
  assert.match(await legend('village').innerText(), /\d+ – \d+/, 'the legend gives each class its range in incidents');
  // The map has flown to the township (village outlines from z11); the busiest village has the top class colour.
  await page.waitForFunction(() => {
    const map = window.__citygrid.map;
    const id = 'citygrid-command-choropleth-villages';
    return map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none' && !map.isMoving();
  }, null, { timeout: 30_000 });
  // Villages are drawn from zoom 11 (the legend says so): zoom in there if the township's view is wider.
  await page.evaluate(() => {
    const map = window.__citygrid.map;
    if (map.getZoom() < 11) map.jumpTo({ center: map.getCenter(), zoom: 11.2 });
  });
  await settle(page);
  // The grids' own four-colour fill (drawn from z11) is hidden under the choropleth.
  assert.equal(await page.evaluate(() => window.__citygrid.map.getLayoutProperty('grids-fill', 'visibility')), 'none',
    'no grid fill under the choropleth');
  const fill = await page.evaluate(() => window.__citygrid.map.getPaintProperty('citygrid-command-choropleth-villages', 'fill-color'));
  assert.equal(fill[fill.indexOf(village) + 1], classes.at(-1).colour, `the busiest village ${village} has the top colour`);
  // The same view as a heatmap and as the choropleth: the villages' fills change most of the map.
  const img = await mapImage(page, 'command-villages');
  await page.locator('[data-testid=mode-heat]').click();
  await settle(page);
  const heat = await mapImage(page, 'command-villages-heat');
  assert.notEqual(await page.evaluate(() => window.__citygrid.map.getLayoutProperty('grids-fill', 'visibility')), 'none',
    'the grid fill is back with the heatmap');
  await page.locator('[data-testid=mode-choropleth]').click();
  await legend('village').waitFor();
  let changed = 0;
  for (let o = 0; o < img.rgba.length; o += 4) {
    if ([0, 1, 2].some((k) => Math.abs(img.rgba[o + k] - heat.rgba[o + k]) > 30)) changed++;
  }
  assert.ok(changed > img.width * img.height * 0.2, `the choropleth fills the township: ${changed} pixels changed`);
  // The top class's colour is on the map (blended over what lies below it).
  const topRgb = hexRgb(classes.at(-1).colour);
  let reddish = 0;
  for (let o = 0; o < img.rgba.length; o += 4) {
    const [r, g, b] = [img.rgba[o], img.rgba[o + 1], img.rgba[o + 2]];
    if (r > 150 && r - g > 60 && r - b > 60 && Math.abs(r - topRgb[0]) < 80) reddish++;
  }
  assert.ok(reddish > 200, `pixels of the top class: ${reddish}`);

  // The village, then its busiest grid: the grid's trend equals SQL day by day.
  await page.locator(`[data-testid=child][data-code="${village}"] button`).click();
  await legend('grid').waitFor({ timeout: 60_000 });
  await page.locator(`[data-testid=child][data-code="${grid}"] button`).click();
  const trend = page.locator(`[data-testid=trend][data-code="${grid}"]`);
  await trend.waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=unit-title]').getAttribute('data-code'), grid);
  const points = await trend.locator('[data-testid=trend-point]').evaluateAll((els) =>
    els.map((e) => [e.dataset.start, Number(e.dataset.total)]),
  );
  const expected = sqlValue(`select string_agg(d::date::text || ':' || coalesce(n, 0), ',' order by d) from
      generate_series('${first}'::date, '${last}'::date, interval '1 day') d
      left join (select (reported_at at time zone 'Asia/Shanghai')::date as dd, count(*) as n from incidents
                 where grid_code = '${grid}' and ${inWindow} group by 1) c on c.dd = d::date`);
  assert.equal(points.map(([d, n]) => `${d}:${n}`).join(','), expected, 'incidents per day: the chart and SQL');
  assert.ok(points.some(([, n]) => n > 0), 'the grid has incidents in the window');
  assert.ok((await trend.locator('path.total').getAttribute('d')).startsWith('M'));

  // Export: the grid's figures as CSV, equal to SQL.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-csv]').click()]);
  const text = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
  assert.ok(text.startsWith('\ufeff'), 'a byte-order mark for Excel');
  const rows = text.slice(1).trim().split(/\r?\n/).map((l) => l.split(','));
  const col = rows[0].indexOf('incidents');
  const row = rows.find((r) => r[1] === grid);
  assert.equal(Number(row[col]), Number(sqlValue(`select count(*) from incidents where grid_code = '${grid}' and ${inWindow}`)),
    'the exported incidents equal SQL');
  await page.locator('[data-testid=unit-back]').click();
  await page.locator('[data-testid=mode-heat]').click();
});

/** Quantile classes of `values` as the legend defines them (5 classes, ColorBrewer YlOrRd): the
 * upper bounds of the first classes, each the value at rank ceil(i·n/5), distinct and below the maximum. */
function quantileBreaks(values) {
  const v = [...values].sort((a, b) => a - b);
  const out = [];
  for (let i = 1; i < 5; i++) {
    const b = v[Math.min(Math.ceil((i * v.length) / 5), v.length) - 1];
    if (b < v.at(-1) && (out.length === 0 || b > out.at(-1))) out.push(b);
  }
  return out;
}

/** Sets a layer's fill opacity. The function returns nothing: `setPaintProperty` returns the map,
 * and Playwright would serialise that whole object graph (style, tiles, a 5,565-entry expression)
 * back to the test, which took 35 s and more per call. */
async function fillOpacity(page, layer, opacity) {
  await page.evaluate(([id, o]) => {
    window.__citygrid.map.setPaintProperty(id, 'fill-opacity', o);
  }, [layer, opacity]);
}

test('all villages, then all grids, of the city at once: the classes of SQL\'s counts, drawn in several counties', { timeout: 300_000 }, async (t) => {
  const { page } = session;
  const [first, last] = [await page.locator('[data-testid=range-from]').inputValue(), await page.locator('[data-testid=range-to]').inputValue()];
  const inWindow = `status <> 'duplicate' and (category like 'dispute.%' or category like 'alarm.%')
      and reported_at >= '${first}'::timestamp at time zone 'Asia/Shanghai'
      and reported_at < ('${last}'::date + 1)::timestamp at time zone 'Asia/Shanghai'`;
  await page.locator('[data-testid=whole-window]').click();
  if (await page.locator('[data-testid=unit-back]').count()) await page.locator('[data-testid=unit-back]').click();
  await page.locator('[data-testid=mode-choropleth]').click();
  await page.locator('[data-testid=choropleth-kpi]').selectOption('incidents');
  // Both are looked at from z12, as a leader surveys a county: villages and grids are drawn from
  // z11, and the cameras (z13), buildings (z14) and incidents (z15) do not cover them yet.
  const zoom = 12;
  const levels = [
    { level: 'village', len: 12, units: `select code, geom from admin_units where level = 'village'` },
    { level: 'grid', len: 15, units: `select code, geom from current_grids` },
  ];
  for (const { level, len, units } of levels) {
    await page.locator('[data-testid=choropleth-extent]').selectOption(level);
    const legend = page.locator(`[data-testid=choropleth-legend][data-extent=${level}][data-level=${level}]`);
    await legend.waitFor({ timeout: 90_000 });
    // Every unit of the level in the city, zeros included, with its count from SQL.
    const counts = new Map(sql(`select u.code, coalesce(n, 0) from (${units}) u
        left join (select left(grid_code, ${len}) c, count(*) n from incidents where ${inWindow} group by 1) i on i.c = u.code`)
      .map(([c, n]) => [c, Number(n)]));
    assert.equal(Number(await legend.getAttribute('data-units')), counts.size, `one value per ${level} of the city`);
    const breaks = quantileBreaks([...counts.values()]);
    const rows = await legend.locator('[data-testid=choropleth-class]').evaluateAll((els) =>
      els.map((e) => ({ colour: e.dataset.colour, units: Number(e.dataset.units), from: Number(e.dataset.from), to: Number(e.dataset.to) })),
    );
    assert.equal(rows.length, breaks.length + 1, `${level}: the classes of SQL's counts ${JSON.stringify(breaks)}: ${JSON.stringify(rows)}`);
    assert.ok(rows.length >= 3, `${level}: quantile classes ${JSON.stringify(rows)}`);
    assert.deepEqual(rows.slice(0, -1).map((r) => r.to), breaks, `${level}: class bounds`);
    const classOf = (n) => breaks.filter((b) => n > b).length;
    const perClass = rows.map((_, c) => [...counts.values()].filter((n) => classOf(n) === c).length);
    assert.deepEqual(rows.map((r) => r.units), perClass, `${level}: units per class`);
    // The map's colours: each unit the colour of its class.
    const layer = `citygrid-command-choropleth-${level}s`;
    const fill = await page.evaluate((id) => window.__citygrid.map.getPaintProperty(id, 'fill-color'), layer);
    const painted = new Map();
    for (let i = 2; i + 1 < fill.length; i += 2) painted.set(fill[i], fill[i + 1]);
    const wrong = [...counts].filter(([c, n]) => painted.get(c) !== rows[classOf(n)].colour);
    assert.equal(wrong.length, 0, `${level}: ${wrong.length} of ${counts.size} units in the wrong colour, e.g. ${JSON.stringify(wrong.slice(0, 3))}`);

    // Drawn across the city: the largest unit of each of three counties, on screen, has its class's colour.
    const samples = sql(`select distinct on (left(code, 6)) code, st_x(p), st_y(p)
        from (select code, st_pointonsurface(geom) p, st_area(geom) a from (${units}) u) x
        order by left(code, 6), a desc limit 3`);
    assert.equal(samples.length, 3, 'three counties');
    for (const [code, lon, lat] of samples) {
      await jumpAndSettle(page, [Number(lon), Number(lat)], zoom);
      assert.equal(await page.evaluate((id) => window.__citygrid.map.getLayoutProperty(id, 'visibility'), layer), 'visible');
      const img = await mapImage(page, `command-all-${level}-${code}`);
      await fillOpacity(page, layer, 0);
      await settle(page);
      const base = await mapImage(page, `command-all-${level}-${code}-base`);
      await fillOpacity(page, layer, 0.72);
      await settle(page);
      // Pixels around the centre: nearest to their class's colour over what lies below.
      let right = 0;
      const tried = [];
      for (const dx of [-6, 0, 6]) {
        for (const dy of [-6, 0, 6]) {
          const o = ((Math.round(img.height / 2) + dy) * img.width + Math.round(img.width / 2) + dx) * 4;
          const seen = [0, 1, 2].map((k) => img.rgba[o + k]);
          const under = [0, 1, 2].map((k) => base.rgba[o + k]);
          const dist = (c) => blend(hexRgb(c), under, 0.72).reduce((a, v, k) => a + (v - seen[k]) ** 2, 0);
          const nearest = rows.reduce((best, r) => (dist(r.colour) < dist(best.colour) ? r : best), rows[0]);
          tried.push(nearest.colour);
          if (nearest.colour === rows[classOf(counts.get(code))].colour) right++;
        }
      }
      t.diagnostic(`${level} ${code} (${counts.get(code)} incidents): ${right} of 9 pixels in its class's colour`);
      assert.ok(right >= 6, `${level} ${code} (${counts.get(code)} incidents, class ${classOf(counts.get(code))}): ${tried}`);
    }
  }
  await page.locator('[data-testid=choropleth-extent]').selectOption('children');
  await page.locator('[data-testid=mode-heat]').click();
});

test('the page speaks English on the toggle', { timeout: 60_000 }, async () => {
  const { page } = session;
  await page.locator('.lang-toggle').click();
  await page.locator('.command-figures h3', { hasText: 'Key figures' }).waitFor();
  assert.equal(await page.locator('[data-testid=kpi-closure-rate] .kpi-label').innerText(), 'Closure rate');
  assert.match(await page.locator('[data-testid=frame-label]').innerText(), /^(Day \d+ of \d+|Whole window) · /);
  await page.locator('.lang-toggle').click();
  await page.locator('.command-figures h3', { hasText: '关键指标' }).waitFor();
});

/** What the Command page shows: window, frame, filter, sources, map mode, KPI, the units coloured and the unit. */
async function viewOf(page) {
  const slider = page.locator('[data-testid=day-slider]');
  const legend = page.locator('[data-testid=choropleth-legend]');
  return {
    from: await slider.getAttribute('data-heat-from'),
    to: await slider.getAttribute('data-heat-to'),
    frame: await slider.getAttribute('data-frame'),
    cumulative: await page.locator('[data-testid=cumulative]').isChecked(),
    filter: await page.locator('[data-testid=filter-summary]').innerText(),
    hotline: await page.locator('[data-testid=source-hotline]').isChecked(),
    level: await legend.getAttribute('data-level'),
    kpi: await legend.getAttribute('data-kpi'),
    extent: await legend.getAttribute('data-extent'),
    extentChoice: await page.locator('[data-testid=choropleth-extent]').inputValue(),
    units: await legend.getAttribute('data-units'),
    unit: await page.locator('[data-testid=unit-title]').getAttribute('data-code'),
  };
}

test('the view is in the URL: a link opens on the same window, filter, day, mode, KPI, units coloured and unit', { timeout: 180_000 }, async () => {
  const { page } = session;
  const county = sqlValue(`select code from admin_units where level = 'county' order by code limit 1`);
  // A view: the last 7 days, disputes from the hotline, up to the window's fourth day
  // (cumulative), the closure rate of the county's townships.
  await page.locator('[data-testid=window-7]').click();
  await page.locator('[data-testid=family-alarm]').evaluate((el) => el.click());
  await page.locator('[data-testid=source-hotline]').evaluate((el) => el.click());
  await setSlider(page, 3);
  await page.locator('[data-testid=cumulative]').check();
  await page.locator('[data-testid=mode-choropleth]').click();
  await page.locator('[data-testid=choropleth-kpi]').selectOption('closure-rate');
  await page.locator('[data-testid=choropleth-extent]').selectOption('children');
  await page.locator(`[data-testid=child][data-code="${county}"] button`).click();
  await page.locator('[data-testid=choropleth-legend][data-level=township][data-kpi=closure-rate]').waitFor({ timeout: 60_000 });
  const today = sqlValue(`select (now() at time zone 'Asia/Shanghai')::date::text`);
  const day = sqlValue(`select ('${today}'::date - 6 + 3)::text`);
  const shown = await viewOf(page);
  assert.deepEqual({ ...shown, filter: undefined }, {
    from: sqlValue(`select ('${today}'::date - 6)::text`), to: sqlValue(`select ('${day}'::date + 1)::text`), frame: '3',
    cumulative: true, filter: undefined,
    hotline: true, level: 'township', kpi: 'closure-rate', unit: county,
    extent: 'children', extentChoice: 'children',
    units: sqlValue(`select count(*) from admin_units where level = 'township' and parent_code = '${county}'`),
  });
  const hash = await page.evaluate(() => location.hash);
  const parts = (hash) => hash.replace(/^#/, '').split('&');
  for (const part of [`sel=unit:${county}`, 'w=7', 'cat=dispute', 'src=hotline', `day=${day}`, 'cum=1', 'map=choropleth', 'kpi=closure-rate']) {
    assert.ok(parts(hash).includes(part), `${part} in ${hash}`);
  }
  assert.ok(!parts(hash).some((p) => p.startsWith('all=')), `the children of the unit shown are the default: ${hash}`);

  // The link in a fresh page load: the same view.
  await page.goto('about:blank');
  await page.goto(`${BASE_URL}/${hash}`);
  await page.locator('[data-testid=choropleth-legend][data-level=township][data-kpi=closure-rate]').waitFor({ timeout: 90_000 });
  assert.deepEqual(await viewOf(page), shown, 'the link opens on the view it was taken from');
  assert.equal(await page.evaluate(() => location.hash), hash, 'and keeps it');
  // The choropleth is drawn for the townships (the county's), the heatmap is not.
  const drawn = (id) => page.waitForFunction((id) => {
    const map = window.__citygrid.map;
    return map.getLayer(id) && map.getLayoutProperty(id, 'visibility') === 'visible';
  }, 'citygrid-command-choropleth-' + id, { timeout: 60_000 });
  await drawn('townships');

  // The same view colouring every village of the city: `all=village` in the link, and back after a reload.
  await page.locator('[data-testid=choropleth-extent]').selectOption('village');
  const villages = page.locator('[data-testid=choropleth-legend][data-extent=village][data-level=village][data-kpi=closure-rate]');
  await villages.waitFor({ timeout: 90_000 });
  const all = await viewOf(page);
  assert.deepEqual(all, { ...shown, level: 'village', extent: 'village', extentChoice: 'village',
    units: sqlValue(`select count(*) from admin_units where level = 'village'`) }, 'every village, the rest unchanged');
  const allHash = await page.evaluate(() => location.hash);
  assert.deepEqual(parts(allHash).filter((p) => p !== 'all=village').sort(), parts(hash).sort(), `all=village added: ${allHash}`);
  await page.goto('about:blank');
  await page.goto(`${BASE_URL}/${allHash}`);
  await villages.waitFor({ timeout: 90_000 });
  assert.deepEqual(await viewOf(page), all, 'the link opens on every village');
  assert.equal(await page.evaluate(() => location.hash), allHash, 'and keeps it');
  await drawn('villages');
  await page.locator('[data-testid=choropleth-extent]').selectOption('children');
});

test('leaving the tab before the map has loaded leaves the labels as the style has them', { timeout: 120_000 }, async () => {
  const { page } = session;
  const LABELS = ['townships-label', 'counties-label'];
  const zooms = (layers) => layers.filter((l) => LABELS.includes(l.id)).map((l) => [l.id, l.minzoom ?? 0, l.maxzoom ?? 24]);
  const style = zooms((await (await fetch(`${BASE_URL}/style.json`)).json()).layers);
  assert.equal(style.length, 2);
  assert.ok(style.every(([, min, max]) => min > 0 || max < 24), `the style limits the labels' zooms: ${JSON.stringify(style)}`);
  // Hold the style back, reload on the Command tab and leave it for Coverage before the map has loaded.
  let release;
  const held = new Promise((r) => { release = r; });
  const styleUrl = /\/style\.json(\?|$)/;
  await page.route(styleUrl, async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  // A new page load (a goto that only changes the fragment would keep the page).
  await page.goto('about:blank');
  await page.goto(`${BASE_URL}/#tab=command`);
  await page.locator('.tab-panel[data-tab=command]').waitFor({ timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.__citygrid?.map?.isStyleLoaded() ?? false), false, 'the style is held back');
  await page.locator('[role=tab][data-tab=coverage]').click();
  await page.locator('.tab-panel[data-tab=coverage]').waitFor();
  release();
  await page.waitForFunction(() => window.__citygrid?.map?.loaded(), null, { timeout: 60_000 });
  await settle(page);
  await page.unroute(styleUrl);
  const now = await page.evaluate((ids) => ids.map((id) => {
    const l = window.__citygrid.map.getLayer(id);
    return [id, l.minzoom ?? 0, l.maxzoom ?? 24];
  }), LABELS);
  assert.deepEqual(now, style, 'the label zoom ranges are the style\'s');
  const heat = await page.evaluate((ids) => ids.filter((id) => window.__citygrid.map.getLayer(id)
    && window.__citygrid.map.getLayoutProperty(id, 'visibility') !== 'none'), HEAT);
  assert.deepEqual(heat, [], 'no heat layer is shown outside the tab');
});
