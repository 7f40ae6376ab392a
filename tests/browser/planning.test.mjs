// Issue #13, the Planning page: select a grid and see its workload against the village (figures
// from SQL here); split it by drawing a line on the map, see the preview table with the counts
// SQL gives for the drawn line, commit, and see two grids on the map without a reload (pixels
// and rendered tile features); a bad line shows the red geometry and nothing is committed (the
// database says so); a leader sees no edit controls; a stale edit shows who changed the grid and
// is redone on the current boundaries; a merge previews against SQL, an abandoned draft is
// discarded, and the committed merge is one grid on the map; workers are assigned from the panel;
// a vertex of the edge two grids share is dragged (a snap lands on a vertex exactly, Ctrl+Z
// restores), previewed and committed: both grids change on the map and share the vertex in SQL;
// "view as of" the day before shows the grid tiles of that day.
// Each test works on its own grid (of its own village) of this file's database, read with psql
// (CITYGRID_DATABASE_URL).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  api,
  apiToken,
  browserForFile,
  decodePng,
  fitAndSettle,
  loggedOutBeforeEach,
  login,
  polled,
  screenshot,
  settle,
  sql,
} from './lib.mjs';

const session = browserForFile();

/** Grids to work on: single-polygon grids with buildings, each in its own village of 3+ grids. */
function candidates() {
  return sql(`select distinct on (g.village_code) g.code from current_grids g
      where st_numgeometries(g.geom) = 1 and g.version = 1
        and (select count(*) from buildings b where b.grid_code = g.code) >= 8
        and (select count(*) from current_grids x where x.village_code = g.village_code) >= 3
        and st_area(g.geom::geography) between 100000 and 5000000
      order by g.village_code, g.code limit 8`).map((r) => r[0]);
}

/** A point of the grid well inside it: of 40 seeded random points, the one farthest from its
 * boundary, its interior point and its centroid (where outlines and labels are drawn). */
function innerPoint(code) {
  const [[x, y]] = sql(`select st_x(p), st_y(p) from (
      select (st_dump(st_generatepoints(geom, 40, 7))).geom as p, geom from current_grids where code = '${code}') s
      order by least(st_distance(p::geography, st_boundary(geom)::geography),
                     st_distance(p::geography, st_pointonsurface(geom)::geography),
                     st_distance(p::geography, st_centroid(geom)::geography)) desc limit 1`);
  return [Number(x), Number(y)];
}

/** The workers of a grid in rank order (employee numbers), from the database. */
function workersOf(code) {
  return sql(`select employee_no from grid_workers where grid_code = '${code}' order by rank`).map((r) => r[0]);
}

/** The workers the page lists (employee numbers, in order). */
async function listedWorkers(page) {
  return page.locator('[data-testid=worker]').evaluateAll((els) => els.map((e) => e.dataset.employee));
}

/** The grid's box and a horizontal line through its interior point, past the box on both sides. */
function lineFor(code) {
  const [r] = sql(`select st_xmin(geom), st_ymin(geom), st_xmax(geom), st_ymax(geom), st_y(st_pointonsurface(geom)),
      st_x(st_pointonsurface(geom)) from current_grids where code = '${code}'`);
  const [x0, y0, x1, y1, y, x] = r.map(Number);
  const pad = (x1 - x0) * 0.08;
  return { box: [x0, y0, x1, y1], inside: [x, y], line: [[x0 - pad, y], [x1 + pad, y]] };
}

/** Fits the map to a box (no animation), hides buildings, cameras and incidents (so pixels show
 * grid fills), folds the legend and the layer switcher (so clicks reach the map), and waits until
 * it has rendered. */
async function showBox(page, [x0, y0, x1, y1]) {
  const open = page.locator('.legend .panel-title[aria-expanded=true], .layer-switcher .panel-title[aria-expanded=true]');
  while ((await open.count()) > 0) await open.first().click();
  await page.evaluate(() => {
    const map = window.__citygrid.map;
    for (const l of map.getStyle().layers) {
      const group = l.metadata?.['citygrid:group'];
      if (['buildings', 'cameras', 'incidents'].includes(group)) map.setLayoutProperty(l.id, 'visibility', 'none');
    }
  });
  await fitAndSettle(page, [x0, y0, x1, y1]);
}

/** Page coordinates of a lon/lat on the map. */
async function toPage(page, lonLat) {
  const box = await page.locator('#map canvas.maplibregl-canvas').boundingBox();
  const p = await page.evaluate((ll) => window.__citygrid.map.project(ll), lonLat);
  return [box.x + p.x, box.y + p.y];
}

async function clickAt(page, lonLat, options = {}) {
  const [x, y] = await toPage(page, lonLat);
  const onMap = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.classList.contains('maplibregl-canvas'), [x, y]);
  assert.ok(onMap, `the point ${lonLat} is not on the map canvas at (${x}, ${y})`);
  await page.mouse.click(x, y, options);
}

/** A shift-click on the map (adds a grid to the merge). */
async function shiftClickAt(page, lonLat) {
  await page.keyboard.down('Shift');
  try {
    await clickAt(page, lonLat);
  } finally {
    await page.keyboard.up('Shift');
  }
}

/** Selects a grid by clicking inside it, waits for its card, and fits the map to it again (the
 * inspector that opens narrows the map). */
async function selectGrid(page, code, inside, box) {
  await clickAt(page, inside);
  await page.locator(`[data-testid=planning-grid][data-code="${code}"]`).waitFor();
  await page.waitForFunction(() => {
    const map = window.__citygrid.map;
    return Math.abs(map.getCanvas().getBoundingClientRect().width - map.getContainer().getBoundingClientRect().width) < 1;
  });
  await showBox(page, box);
}

/** Draws a line with the split tool: one click per vertex, Enter finishes. */
async function drawSplit(page, line) {
  await page.locator('[data-testid=split]').click();
  for (const v of line) await clickAt(page, v);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=split-status][data-finished=true]').waitFor();
}

/** The line the overlay draws (what the client sends), read back from its GeoJSON source. */
async function drawnLine(page) {
  return page.evaluate(async () => {
    const data = await window.__citygrid.map.getSource('citygrid-planning').getData();
    return data.features.find((f) => f.properties.role === 'sketch').geometry.coordinates;
  });
}

/** The diff table's cells of one grid: {figure label: [before, after]}. */
async function diffColumn(page, code) {
  return page.evaluate((code) => {
    const table = document.querySelector('[data-testid=plan-diff]');
    const heads = [...table.querySelectorAll('thead tr:first-child th')];
    const idx = heads.findIndex((h) => h.dataset.code === code);
    if (idx < 1) throw new Error(`no column for ${code}`);
    const out = {};
    for (const tr of table.querySelectorAll('tbody tr')) {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent.trim());
      const label = tr.querySelector('th').textContent.trim();
      if (!(label in out)) out[label] = [cells[(idx - 1) * 2], cells[(idx - 1) * 2 + 1]];
    }
    return out;
  }, code);
}

/** The rows of a table's body, each as [header cell, data cells…] (trimmed text). */
async function tableCells(page, selector) {
  return page.evaluate(
    (sel) =>
      [...document.querySelectorAll(`${sel} tbody tr`)].map((tr) =>
        [...tr.querySelectorAll('th, td')].map((c) => c.textContent.trim()),
      ),
    selector,
  );
}

function pixel(img, [x, y]) {
  const o = (Math.round(y) * img.width + Math.round(x)) * 4;
  return [img.rgba[o], img.rgba[o + 1], img.rgba[o + 2]];
}

/** Grid codes MapLibre renders at a page point (the tiles' features). */
async function gridsAt(page, lonLat) {
  return page.evaluate((ll) => {
    const map = window.__citygrid.map;
    return map.queryRenderedFeatures(map.project(ll), { layers: ['grids-fill'] }).map((f) => f.properties.code);
  }, lonLat);
}

loggedOutBeforeEach(session);

const GRIDS = candidates();

test('split a grid: workload, preview with the counts of SQL, commit, two grids on the map', async () => {
  const { page } = session;
  const code = GRIDS[0];
  assert.ok(code, 'a grid to split');
  const { box, inside, line } = lineFor(code);
  await login(page, 'planner');
  await page.locator('.tab-panel[data-tab=planning]').waitFor();
  await showBox(page, box);
  await selectGrid(page, code, inside, box);

  // Workload against the village average, from SQL.
  const [[hh, res, bld, inc, workers]] = sql(`select coalesce(sum(households), 0), coalesce(sum(residents), 0), count(*),
      (select count(*) from incidents where grid_code = '${code}' and reported_at >= now() - interval '90 days'),
      (select count(*) from grid_workers where grid_code = '${code}') from buildings where grid_code = '${code}'`);
  // Each row: the figure, the grid's total, per worker, the village average per worker.
  const village = `(select code from current_grids where village_code = left('${code}', 12))`;
  const [[vhh, vres, vinc, vbld, vworkers]] = sql(`select
      (select coalesce(sum(households), 0) from buildings where grid_code in ${village}),
      (select coalesce(sum(residents), 0) from buildings where grid_code in ${village}),
      (select count(*) from incidents where grid_code in ${village} and reported_at >= now() - interval '90 days'),
      (select count(*) from buildings where grid_code in ${village}),
      (select count(*) from grid_workers where grid_code in ${village})`);
  // A per-worker cell shows one decimal (or — without workers): the ratio rounded, either way at a tie.
  const perWorker = (cell, total, n, what) => {
    if (Number(n) === 0) return assert.equal(cell, '—', what);
    assert.match(cell, /^\d+\.\d$/, what);
    assert.ok(Math.abs(Number(cell) - Number(total) / Number(n)) <= 0.05 + 1e-9, `${what}: ${cell} vs ${total}/${n}`);
  };
  const rows = await tableCells(page, '[data-testid=workload]');
  const expected = [
    ['户数', hh, vhh], ['人口', res, vres], ['近 90 天事件', inc, vinc], ['楼栋', bld, vbld],
  ];
  assert.equal(rows.length, expected.length, JSON.stringify(rows));
  expected.forEach(([label, total, villageTotal], i) => {
    const [th, cell, mine, avg] = rows[i];
    assert.equal(rows[i].length, 4, JSON.stringify(rows[i]));
    assert.equal(th, label);
    assert.equal(cell, total, label);
    perWorker(mine, total, workers, `${label} per worker`);
    perWorker(avg, villageTotal, vworkers, `${label} village average`);
  });
  const neighbours = sql(`select count(*) from current_grids n join current_grids g on g.code = '${code}'
      and n.code <> g.code and st_intersects(n.geom, g.geom)`)[0][0];
  assert.equal(await page.locator('[data-testid=neighbours] li').count(), Number(neighbours));

  // Before: one grid on both sides of the line.
  const above = [inside[0], inside[1] + (box[3] - inside[1]) * 0.3];
  const below = [inside[0], inside[1] - (inside[1] - box[1]) * 0.3];
  assert.deepEqual([...(await gridsAt(page, above)), ...(await gridsAt(page, below))], [code, code]);

  await drawSplit(page, line);
  const drawn = await drawnLine(page);
  assert.equal(drawn.length, 2);
  await page.locator('[data-testid=preview]').click();
  await page.locator('[data-testid=plan-draft]').waitFor({ timeout: 60_000 });
  await screenshot(page, 'planning-split-preview');

  // The new grid's figures: the buildings of the split-off part of the drawn line, in SQL.
  const newCode = await page.locator('[data-testid=plan-diff] thead th[data-change=created]').getAttribute('data-code');
  assert.ok(newCode.startsWith(code.slice(0, 12)) && newCode > code, newCode);
  const lineWkt = `LINESTRING(${drawn.map((p) => p.join(' ')).join(', ')})`;
  const [[nb, nh, nr]] = sql(`with parts as (
        select (st_dump(st_split(g.geom, st_setsrid(st_geomfromtext('${lineWkt}'), 4326)))).geom as geom
        from current_grids g where g.code = '${code}'),
      small as (select geom from parts order by st_area(geom) limit 1)
      select count(*), coalesce(sum(households), 0), coalesce(sum(residents), 0)
      from buildings b, small where b.grid_code = '${code}' and st_covers(small.geom, b.point)`);
  const column = await diffColumn(page, newCode);
  assert.deepEqual(column['楼栋'], ['—', nb], JSON.stringify(column));
  assert.deepEqual(column['户数'], ['—', nh], JSON.stringify(column));
  assert.deepEqual(column['人口'], ['—', nr], JSON.stringify(column));
  const kept = await diffColumn(page, code);
  assert.deepEqual(kept['楼栋'], [bld, String(Number(bld) - Number(nb))], JSON.stringify(kept));
  assert.equal(await page.locator('[data-testid=buildings-moved]').textContent(), nb);
  assert.ok((await page.locator('[data-testid=without-worker]').textContent()).includes(newCode));

  await page.locator('[data-testid=commit]').click();
  await page.locator('[data-testid=plan-committed]').waitFor({ timeout: 60_000 });
  const [[version, exists]] = sql(`select (select version from current_grids where code = '${code}'),
      (select count(*) from current_grids where code = '${newCode}')`);
  assert.deepEqual([version, exists], ['2', '1']);

  // Without a reload, the map shows two grids: the tiles render both codes, with different fills.
  const [[aboveIsNew]] = sql(`select st_covers(geom, st_setsrid(st_point(${above[0]}, ${above[1]}), 4326))
      from current_grids where code = '${newCode}'`);
  const [newSide, keptSide] = aboveIsNew === 't' ? [above, below] : [below, above];
  await page.waitForFunction(
    ([a, b, n, k]) => {
      const map = window.__citygrid.map;
      const at = (ll) => map.queryRenderedFeatures(map.project(ll), { layers: ['grids-fill'] }).map((f) => f.properties.code);
      return at(a)[0] === n && at(b)[0] === k;
    },
    [newSide, keptSide, newCode, code],
    { timeout: 30_000 },
  );
  await settle(page);
  const shot = decodePng((await screenshot(page, 'planning-split-committed')).buf);
  const a = pixel(shot, await toPage(page, newSide));
  const b = pixel(shot, await toPage(page, keptSide));
  assert.notDeepEqual(a, b, `both sides of the line are painted alike (${a} / ${b})`);
});

test('a bad line shows the red geometry and commits nothing', async () => {
  const { page } = session;
  const code = GRIDS[1];
  const { box, inside } = lineFor(code);
  const before = sql(`select count(*), (select version from current_grids where code = '${code}')
      from plans where status = 'committed'`)[0];
  await login(page, 'planner');
  await showBox(page, box);
  await selectGrid(page, code, inside, box);
  // A line that enters the grid and stops inside it.
  await drawSplit(page, [[box[0] - (box[2] - box[0]) * 0.1, inside[1]], inside]);
  await page.locator('[data-testid=preview]').click();
  const reason = page.locator('[data-testid=plan-reason]');
  await reason.waitFor({ timeout: 60_000 });
  assert.equal(await reason.getAttribute('data-reason'), 'split_line');
  assert.equal(await reason.textContent(), '拆分线须穿过网格一次（进入并离开）');
  await settle(page);
  const red = await page.evaluate(() => {
    const map = window.__citygrid.map;
    return map.queryRenderedFeatures({ layers: ['citygrid-planning-error-line'] }).length;
  });
  assert.ok(red > 0, 'the offending geometry is drawn');
  const shot = decodePng((await screenshot(page, 'planning-bad-line')).buf);
  const canvas = await page.locator('#map canvas.maplibregl-canvas').boundingBox();
  let reds = 0;
  for (let y = Math.ceil(canvas.y); y < canvas.y + canvas.height; y += 2) {
    for (let x = Math.ceil(canvas.x); x < canvas.x + canvas.width; x += 2) {
      const [r, g, b] = pixel(shot, [x, y]);
      if (r > 200 && g < 50 && b < 50) reds++;
    }
  }
  assert.ok(reds > 20, `red pixels of the error geometry: ${reds}`);
  assert.deepEqual(
    sql(`select count(*), (select version from current_grids where code = '${code}') from plans where status = 'committed'`)[0],
    before,
  );
  assert.equal(await page.locator('[data-testid=commit]').count(), 0);

  // English.
  await page.locator('.lang-toggle').first().click();
  await page.waitForFunction(() => document.documentElement.lang.startsWith('en'));
  assert.equal(await reason.textContent(), 'The split line must cross the grid once (enter and leave it)');
});

test('a leader sees the workload but no edit controls', async () => {
  const { page } = session;
  const code = GRIDS[2];
  const { box, inside } = lineFor(code);
  await login(page, 'leader');
  await page.locator('button[role=tab][data-tab=planning]').click();
  await page.locator('.tab-panel[data-tab=planning]').waitFor();
  await showBox(page, box);
  await selectGrid(page, code, inside, box);
  await page.locator('[data-testid=workload]').waitFor();
  await page.locator('[data-testid=planning-read-only]').waitFor();
  await page.locator('[data-testid=workers]').waitFor();
  for (const id of ['planning-tools', 'split', 'preview', 'commit', 'worker-add', 'worker-no', 'worker-up', 'worker-remove']) {
    assert.equal(await page.locator(`[data-testid=${id}]`).count(), 0, `${id} is hidden`);
  }
});

test('a stale edit shows who changed the grid', async () => {
  const { page } = session;
  const code = GRIDS[3];
  const { box, inside, line } = lineFor(code);
  await login(page, 'planner');
  await showBox(page, box);
  await selectGrid(page, code, inside, box);
  await drawSplit(page, line);

  // Meanwhile the admin splits the same grid, across the planner's line.
  const admin = await apiToken('admin');
  const versions = Object.fromEntries(
    sql(`select n.code, n.version from current_grids n join current_grids g on g.code = '${code}'
        and st_intersects(n.geom, g.geom)`).map(([c, v]) => [c, Number(v)]),
  );
  const draft = await api(admin, 'POST', '/api/plans', {
    operation: 'split', grids: [code], base_versions: versions, note: 'admin first',
    geometry: { type: 'LineString', coordinates: [[inside[0], box[1] - 0.001], [inside[0], box[3] + 0.001]] },
  });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  const done = await api(admin, 'POST', `/api/plans/${draft.body.id}/commit`);
  assert.equal(done.status, 200, JSON.stringify(done.body));

  await page.locator('[data-testid=preview]').click();
  const conflict = page.locator('[data-testid=plan-conflict]');
  await conflict.waitFor({ timeout: 60_000 });
  const text = await page.locator('[data-testid=plan-refused]').textContent();
  assert.ok(text.includes(code) && text.includes('admin') && text.includes(`#${draft.body.id}`), text);
  assert.equal(sql(`select count(*) from plans where status = 'committed' and note = 'admin first'`)[0][0], '1');

  // Redo the same line on the current boundaries: a new draft naming the current versions,
  // previewed again, then committed.
  await page.locator('[data-testid=rebase]').click();
  const rebased = page.locator('[data-testid=plan-draft]');
  await rebased.waitFor({ timeout: 60_000 });
  const id = await rebased.getAttribute('data-plan');
  const drawn = await drawnLine(page);
  const wkt = `LINESTRING(${drawn.map((p) => p.join(' ')).join(', ')})`;
  const [[status, base, current, same]] = sql(`select status, base_versions->>'${code}',
      (select version from current_grids where code = '${code}'),
      st_hausdorffdistance(geometry, st_setsrid(st_geomfromtext('${wkt}'), 4326)) < 2e-7 from plans where id = ${id}`);
  assert.deepEqual([status, base, current, same], ['draft', '2', '2', 't'], 'the same line on the current version');
  await page.locator('[data-testid=commit]').click();
  await page.locator('[data-testid=plan-committed]').waitFor({ timeout: 60_000 });
  assert.deepEqual(sql(`select status, (select version from current_grids where code = '${code}') from plans where id = ${id}`)[0], [
    'committed',
    '3',
  ]);
});

test('merge two adjacent grids: preview against SQL, Esc discards the draft, commit, one grid on the map', async () => {
  const { page } = session;
  const seed = GRIDS[5];
  assert.ok(seed, 'a village to merge in');
  // The pair of adjacent grids of the village with the longest shared border; the smaller code survives.
  const [[keep, gone]] = sql(`select a.code, b.code from current_grids a join current_grids b
      on b.village_code = a.village_code and a.code < b.code and a.geom && b.geom
      where a.village_code = left('${seed}', 12) and st_numgeometries(a.geom) = 1 and st_numgeometries(b.geom) = 1
      order by st_length(st_intersection(a.geom, b.geom)::geography) desc limit 1`);
  const [pk, pg] = [innerPoint(keep), innerPoint(gone)];
  const [[x0, y0, x1, y1]] = sql(`select st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e) from
      (select st_extent(geom)::geometry e from current_grids where code in ('${keep}', '${gone}')) s`);
  const box = [x0, y0, x1, y1].map(Number);
  await login(page, 'planner');
  await showBox(page, box);
  await selectGrid(page, keep, pk, box);

  // Before: two grids, painted in different colours.
  assert.deepEqual([(await gridsAt(page, pk))[0], (await gridsAt(page, pg))[0]], [keep, gone]);
  await settle(page);
  let shot = decodePng((await screenshot(page, 'planning-merge-before')).buf);
  assert.notDeepEqual(pixel(shot, await toPage(page, pk)), pixel(shot, await toPage(page, pg)), 'adjacent grids share a colour');

  await shiftClickAt(page, pg);
  await page.locator('[data-testid=merge-list]').waitFor();
  await page.locator('[data-testid=preview]').click();
  const draft = page.locator('[data-testid=plan-draft]');
  await draft.waitFor({ timeout: 60_000 });
  const [[bk, hk, rk, bg, hg, rg]] = sql(`select
      (select count(*) from buildings where grid_code = '${keep}'),
      (select coalesce(sum(households), 0) from buildings where grid_code = '${keep}'),
      (select coalesce(sum(residents), 0) from buildings where grid_code = '${keep}'),
      (select count(*) from buildings where grid_code = '${gone}'),
      (select coalesce(sum(households), 0) from buildings where grid_code = '${gone}'),
      (select coalesce(sum(residents), 0) from buildings where grid_code = '${gone}')`);
  const sum = (a, b) => String(Number(a) + Number(b));
  const kept = await diffColumn(page, keep);
  assert.deepEqual([kept['楼栋'], kept['户数'], kept['人口']], [[bk, sum(bk, bg)], [hk, sum(hk, hg)], [rk, sum(rk, rg)]]);
  const retired = await diffColumn(page, gone);
  assert.deepEqual([retired['楼栋'], retired['户数'], retired['人口']], [[bg, '—'], [hg, '—'], [rg, '—']]);
  assert.equal(
    await page.locator(`[data-testid=plan-diff] thead th[data-code="${gone}"]`).getAttribute('data-change'),
    'retired',
  );
  assert.equal(await page.locator('[data-testid=buildings-moved]').textContent(), bg);

  // Esc drops the edit, and the draft with it: discarded on the server, not left behind.
  const first = await draft.getAttribute('data-plan');
  await page.keyboard.press('Escape');
  await polled('the abandoned draft is discarded', () => sql(`select status from plans where id = ${first}`)[0][0] === 'discarded');
  assert.equal(await page.locator('[data-testid=merge-list]').count(), 0);

  await shiftClickAt(page, pg);
  await page.locator('[data-testid=preview]').click();
  await page.locator(`[data-testid=plan-draft]:not([data-plan="${first}"])`).waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=commit]').click();
  await page.locator('[data-testid=plan-committed]').waitFor({ timeout: 60_000 });
  const [[version, retiredAt, buildings]] = sql(`select (select version from current_grids where code = '${keep}'),
      (select retired_at is not null from grids where code = '${gone}'),
      (select count(*) from buildings where grid_code = '${keep}')`);
  assert.deepEqual([version, retiredAt, buildings], ['2', 't', sum(bk, bg)]);
  assert.equal(sql(`select count(*) from plans p join users u on u.id = p.author_id
      where u.username = 'planner' and p.status = 'draft'`)[0][0], '0', 'no draft left behind');

  // Without a reload: the tiles render one grid over both, in one colour.
  await page.waitForFunction(
    ([a, b, k]) => {
      const map = window.__citygrid.map;
      const at = (ll) => map.queryRenderedFeatures(map.project(ll), { layers: ['grids-fill'] }).map((f) => f.properties.code);
      return at(a)[0] === k && at(b)[0] === k;
    },
    [pk, pg, keep],
    { timeout: 30_000 },
  );
  await settle(page);
  shot = decodePng((await screenshot(page, 'planning-merge-committed')).buf);
  assert.deepEqual(pixel(shot, await toPage(page, pk)), pixel(shot, await toPage(page, pg)), 'one grid, one colour');
});

test('assign workers from the panel: register, reorder, remove, add back', async () => {
  const { page } = session;
  const taken = GRIDS.map((c) => `'${c.slice(0, 12)}'`).join(', ');
  const [[code]] = sql(`select g.code from current_grids g
      where exists (select 1 from grid_workers w where w.grid_code = g.code) and st_numgeometries(g.geom) = 1
        and g.village_code not in (${taken})
      order by (select count(*) from grid_workers w where w.grid_code = g.code) desc, g.code limit 1`);
  const { box } = lineFor(code);
  const inside = innerPoint(code);
  const before = workersOf(code);
  const audits = () => Number(sql(`select count(*) from audit_log where entity = 'grid_workers' and '${code}' = any(entity_ids)`)[0][0]);
  const auditsBefore = audits();
  await login(page, 'planner');
  await showBox(page, box);
  await selectGrid(page, code, inside, box);
  await page.locator('[data-testid=workers]').waitFor();
  assert.deepEqual(await listedWorkers(page), before);

  const until = async (what, nos) => {
    await polled(what, async () => JSON.stringify(await listedWorkers(page)) === JSON.stringify(nos));
    assert.deepEqual(workersOf(code), nos, `${what} (database)`);
  };
  // Register a new worker: last in the list.
  await page.locator('[data-testid=worker-no]').fill('T9001');
  await page.locator('[data-testid=worker-name]').fill('测试网格员');
  await page.locator('[data-testid=worker-phone]').fill('13900009001');
  await page.locator('[data-testid=worker-add]').click();
  await until('registered', [...before, 'T9001']);
  assert.deepEqual(sql(`select name, phone from grid_workers where employee_no = 'T9001'`)[0], ['测试网格员', '13900009001']);
  // Move the new one up a place.
  await page.locator('[data-testid=worker][data-employee=T9001] [data-testid=worker-up]').click();
  const up = [...before.slice(0, -1), 'T9001', before[before.length - 1]];
  await until('moved up', up);
  // Remove the responsible (first) worker: unassigned, not deleted.
  const first = up[0];
  await page.locator(`[data-testid=worker][data-employee="${first}"] [data-testid=worker-remove]`).click();
  await until('removed', up.slice(1));
  assert.deepEqual(sql(`select grid_code is null from grid_workers where employee_no = '${first}'`)[0], ['t']);
  // Add them back by number alone: last.
  await page.locator('[data-testid=worker-no]').fill(first);
  await page.locator('[data-testid=worker-add]').click();
  await until('added back', [...up.slice(1), first]);
  assert.equal(audits() - auditsBefore, 4, 'one audit row per change');
});

test('history lists the versions with author and note; a revert previews, then restores the boundary', async () => {
  const { page } = session;
  const code = GRIDS[4];
  const { box, inside, line } = lineFor(code);
  const admin = await apiToken('admin');
  const versions = Object.fromEntries(
    sql(`select n.code, n.version from current_grids n join current_grids g on g.code = '${code}'
        and st_intersects(n.geom, g.geom)`).map(([c, v]) => [c, Number(v)]),
  );
  const draft = await api(admin, 'POST', '/api/plans', {
    operation: 'split', grids: [code], base_versions: versions, note: '新建小区',
    geometry: { type: 'LineString', coordinates: line },
  });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  assert.equal((await api(admin, 'POST', `/api/plans/${draft.body.id}/commit`)).status, 200);

  await login(page, 'planner');
  await showBox(page, box);
  await selectGrid(page, code, inside, box);
  const items = page.locator('[data-testid=history] [data-testid=version]');
  await page.locator('[data-testid=history] [data-testid=version][data-version="2"]').waitFor();
  assert.equal(await items.count(), 2);
  const latest = await items.first().textContent();
  assert.ok(latest.includes('admin') && latest.includes('新建小区') && latest.includes(`#${draft.body.id}`), latest);
  // The time of the version in Asia/Shanghai, as the "as of" days are.
  const [[shanghai]] = sql(`select to_char(valid_from at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')
      from grid_versions where grid_code = '${code}' and version = 2`);
  assert.ok(latest.includes(shanghai), `${latest} shows ${shanghai}`);

  await page.locator(`[data-testid=revert][data-plan="${draft.body.id}"]`).click();
  await page.locator('[data-testid=revert-preview]').waitFor();
  const created = draft.body.diff.grids.find((g) => g.change === 'created').code;
  assert.equal(
    await page.locator(`[data-testid=plan-diff] thead th[data-code="${created}"]`).getAttribute('data-change'),
    'retired',
  );
  await page.locator('[data-testid=confirm-revert]').click();
  await page.locator('[data-testid=plan-committed]').waitFor({ timeout: 60_000 });
  const [[same, version, gone]] = sql(`select
      (select st_equals(a.geom, b.geom) from grid_versions a, grid_versions b
        where a.grid_code = '${code}' and a.version = 1 and b.grid_code = '${code}' and b.valid_to is null),
      (select version from current_grids where code = '${code}'),
      (select count(*) from current_grids where code = '${created}')`);
  assert.deepEqual([same, version, gone], ['t', '3', '0']);
  await page.locator('[data-testid=history] [data-testid=version][data-version="3"]').waitFor();
});

/** Two adjacent single-polygon grids of a village of `seeds`, untouched (version 1), whose
 * shared boundary is one line: the pair with the longest one, and that line's vertices. */
function edgePair(seeds) {
  for (const seed of seeds) {
    const rows = sql(`select a.code, b.code, st_asgeojson(e, 7) from current_grids a join current_grids b
        on b.village_code = a.village_code and a.code < b.code and a.geom && b.geom,
        lateral (select st_linemerge(st_intersection(a.geom, b.geom)) as e) s
        where a.village_code = left('${seed}', 12) and a.version = 1 and b.version = 1
          and st_numgeometries(a.geom) = 1 and st_numgeometries(b.geom) = 1 and st_geometrytype(e) = 'ST_LineString'
        order by st_length(e::geography) desc limit 1`);
    if (rows.length) return { a: rows[0][0], b: rows[0][1], chain: JSON.parse(rows[0][2]).coordinates };
  }
  return null;
}

/** The shared edge the overlay draws (what the client will send), read back from its source. */
async function edgeLine(page) {
  return page.evaluate(async () => {
    const data = await window.__citygrid.map.getSource('citygrid-planning').getData();
    return data.features.find((f) => f.properties.role === 'edge')?.geometry.coordinates ?? null;
  });
}

/** Presses at `from` (lon/lat), moves in steps to the page point `to`, releases. */
async function dragTo(page, from, [x, y]) {
  const [fx, fy] = await toPage(page, from);
  await page.mouse.move(fx, fy);
  await page.mouse.down();
  await page.mouse.move(x, y, { steps: 12 });
  await page.mouse.up();
}

const wkt = (ring) => `st_setsrid(st_geomfromtext('POLYGON((${ring.map((p) => p.join(' ')).join(', ')}))'), 4326)`;
const point = ([x, y]) => `st_setsrid(st_point(${x}, ${y}), 4326)`;

test('move a shared vertex: snapping, Ctrl+Z, preview, commit, both grids change on the map and in the database', async () => {
  const { page } = session;
  const pair = edgePair(GRIDS.slice(6));
  assert.ok(pair, 'two grids sharing one edge');
  const { a, b, chain } = pair;
  // The vertex to move: the middle one between the ends, or (a straight edge) a new one at the
  // first segment's midpoint, dragged from its handle.
  const inner = chain.length >= 3;
  const m = inner ? Math.floor(chain.length / 2) : 1;
  const [prev, next] = inner ? [chain[m - 1], chain[m + 1]] : [chain[0], chain[1]];
  const cur = inner ? chain[m] : [(prev[0] + next[0]) / 2, (prev[1] + next[1]) / 2];
  // Where to: towards b's inside, so far that the area a takes (prev, P, next, cur) lies in b,
  // as far from b's boundary as can be (nothing to snap to there).
  const [ib, ia] = [innerPoint(b), innerPoint(a)];
  let best = null;
  for (const k of [0.6, 0.5, 0.4, 0.3, 0.2, 0.12, 0.06]) {
    const p = [cur[0] + k * (ib[0] - cur[0]), cur[1] + k * (ib[1] - cur[1])];
    const ring = [prev, p, next, cur, prev];
    // (b's inner point, where b's colour is read, stays b's.)
    const [[ok, clear, x, y]] = sql(`select st_isvalid(q) and st_covers(b.geom, q) and st_distance(q, ${point(ib)}) > 0,
        st_distance(${point(p)}::geography, st_boundary(b.geom)::geography), st_x(st_pointonsurface(q)), st_y(st_pointonsurface(q))
        from current_grids b, ${wkt(ring)} q where b.code = '${b}'`);
    if (ok === 't' && (!best || Number(clear) > best.clear)) best = { p, clear: Number(clear), x: [Number(x), Number(y)] };
  }
  assert.ok(best, 'a place for the vertex inside the neighbour');
  const [[x0, y0, x1, y1]] = sql(`select st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e) from
      (select st_extent(geom)::geometry e from current_grids where code in ('${a}', '${b}')) s`);
  const box = [x0, y0, x1, y1].map(Number);

  await login(page, 'planner');
  await showBox(page, box);
  await selectGrid(page, a, ia, box);
  // Before: the place the edge will sweep is b's, in b's colour.
  assert.equal((await gridsAt(page, best.x))[0], b);
  await settle(page);
  let shot = decodePng((await screenshot(page, 'planning-edge-before')).buf);
  assert.deepEqual(pixel(shot, await toPage(page, best.x)), pixel(shot, await toPage(page, ib)), 'the swept place is not painted as b');

  await page.locator('[data-testid=edge]').click();
  await page.locator(`[data-testid=edge-neighbour][data-code="${b}"]`).click();
  await page.locator(`[data-testid=edge-status][data-neighbour="${b}"]`).waitFor();
  // The edge the page offers is the one SQL finds (either direction).
  const original = await edgeLine(page);
  const key = (l) => l.map((p) => p.join(' ')).join(',');
  assert.ok([key(chain), key([...chain].reverse())].includes(key(original)), `${key(original)} vs ${key(chain)}`);
  const sameWay = key(original) === key(chain);
  const at = (i) => (sameWay ? i : original.length - 1 - i);
  const handle = inner ? chain[m] : cur;

  // A drop 3 px from one of b's other vertices (no other vertex near it) lands exactly on it.
  const onChain = new Set(chain.map((p) => p.join(' ')));
  const offChain = (metres) =>
    sql(`select st_x(d.geom), st_y(d.geom) from current_grids b, st_dumppoints(b.geom) d
        where b.code = '${b}' and not exists (select from current_grids o, st_dumppoints(o.geom) e
          where o.geom && st_expand(d.geom, 0.001) and not st_equals(e.geom, d.geom)
            and st_dwithin(e.geom::geography, d.geom::geography, ${metres}))
        order by st_distance(d.geom, ${point(cur)})`)
      .map(([x, y]) => [Number(x), Number(y)])
      .filter((p) => !onChain.has(p.join(' ')));
  const [target] = [60, 30, 15].map(offChain).find((l) => l.length) ?? [];
  assert.ok(target, 'a vertex of b off the edge');
  const [tx, ty] = await toPage(page, target);
  await dragTo(page, handle, [tx + 3, ty + 2]);
  await page.locator('[data-testid=edge-status][data-changed=true]').waitFor();
  let line = await edgeLine(page);
  const moved = inner ? at(m) : sameWay ? 1 : line.length - 2;
  assert.deepEqual(line[moved], target, 'the snap lands exactly on the vertex');
  assert.equal(line.length, original.length + (inner ? 0 : 1));

  // Ctrl+Z restores the edge.
  await page.keyboard.press('Control+z');
  await page.locator('[data-testid=edge-status][data-changed=false]').waitFor();
  assert.deepEqual(await edgeLine(page), original);
  // The restored edge's handles are drawn before the next drag grabs one.
  await settle(page);

  // The move, clear of anything to snap to.
  const [px, py] = await toPage(page, best.p);
  await dragTo(page, handle, [px, py]);
  await page.locator('[data-testid=edge-status][data-changed=true]').waitFor();
  line = await edgeLine(page);
  const q = line[moved];
  const [qx, qy] = await toPage(page, q);
  assert.ok(Math.hypot(qx - px, qy - py) < 2, `the vertex is where it was dropped (${q} vs ${best.p}): snapped?`);
  assert.deepEqual([line[0], line[line.length - 1]], [original[0], original[original.length - 1]], 'the ends stay');

  await page.locator('[data-testid=preview]').click();
  await page.locator('[data-testid=plan-draft]').waitFor({ timeout: 60_000 });
  await screenshot(page, 'planning-edge-preview');
  for (const code of [a, b]) {
    assert.equal(await page.locator(`[data-testid=plan-diff] thead th[data-code="${code}"]`).getAttribute('data-change'), 'reshaped', code);
  }
  await page.locator('[data-testid=commit]').click();
  await page.locator('[data-testid=plan-committed]').waitFor({ timeout: 60_000 });

  // In the database: new versions of both, sharing the moved vertex (on the 1e-7° lattice) exactly.
  const lattice = (v) => (Math.round(v * 1e7) / 1e7).toFixed(7);
  const [[versions, sharing, old]] = sql(`select
      (select string_agg(version::text, ',' order by code) from current_grids where code in ('${a}', '${b}')),
      (select count(distinct g.code) from current_grids g, st_dumppoints(g.geom) d where g.code in ('${a}', '${b}')
         and st_x(d.geom) = ${lattice(q[0])}::float8 and st_y(d.geom) = ${lattice(q[1])}::float8),
      (select count(*) from current_grids g, st_dumppoints(g.geom) d where g.code in ('${a}', '${b}')
         and st_equals(d.geom, ${point(cur)}))`);
  assert.deepEqual([versions, sharing], ['2,2', '2']);
  if (inner) assert.equal(old, '0', 'the old vertex is gone from both');
  assert.equal(sql(`select st_covers(geom, ${point(best.x)}) from current_grids where code = '${a}'`)[0][0], 't');
  assert.equal(sql(`select st_covers(geom, ${point(ib)}) from current_grids where code = '${b}'`)[0][0], 't');

  // On the map, without a reload: the swept place is a's now, in a's colour.
  await page.waitForFunction(
    ([x, code]) => {
      const map = window.__citygrid.map;
      return map.queryRenderedFeatures(map.project(x), { layers: ['grids-fill'] })[0]?.properties.code === code;
    },
    [best.x, a],
    { timeout: 30_000 },
  );
  await settle(page);
  shot = decodePng((await screenshot(page, 'planning-edge-committed')).buf);
  const [sx, sa, sb] = [pixel(shot, await toPage(page, best.x)), pixel(shot, await toPage(page, ia)), pixel(shot, await toPage(page, ib))];
  assert.deepEqual(sx, sa, 'the swept place is painted as a');
  assert.notDeepEqual(sx, sb, 'the swept place is still painted as b');

  // "View as of" yesterday: the grid tiles of that day, where the place was b's; back to today.
  const [[yesterday]] = sql(`select to_char((now() at time zone 'Asia/Shanghai')::date - 1, 'YYYY-MM-DD')`);
  const gridTiles = () => page.evaluate(() => window.__citygrid.map.getSource('grids').tiles);
  const owner = (code) =>
    page.waitForFunction(
      ([x, code]) => {
        const map = window.__citygrid.map;
        return map.queryRenderedFeatures(map.project(x), { layers: ['grids-fill'] })[0]?.properties.code === code;
      },
      [best.x, code],
      { timeout: 30_000 },
    );
  await page.locator('[data-testid=as-of-date]').fill(yesterday);
  await page.locator('[data-testid=as-of-show]').click();
  await page.locator(`[data-testid=as-of-shown][data-date="${yesterday}"]`).waitFor();
  assert.ok((await gridTiles()).every((u) => u.includes(`as_of=${yesterday}`)), JSON.stringify(await gridTiles()));
  await owner(b);
  await settle(page);
  shot = decodePng((await screenshot(page, 'planning-edge-as-of-yesterday')).buf);
  const [yx, ya, yb] = [pixel(shot, await toPage(page, best.x)), pixel(shot, await toPage(page, ia)), pixel(shot, await toPage(page, ib))];
  assert.deepEqual(yx, yb, 'as of yesterday, the swept place is painted as b');
  assert.notDeepEqual(yx, ya, 'as of yesterday, the swept place is painted as a');
  await page.locator('[data-testid=as-of-today]').click();
  await owner(a);
  assert.ok((await gridTiles()).every((u) => !u.includes('as_of=')), JSON.stringify(await gridTiles()));
});
