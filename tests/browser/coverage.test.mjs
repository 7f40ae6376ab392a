// The Coverage tab (issue #19) as a planner and as a leader: the per-grid choropleth (pixels),
// the ranking of the worst-covered grids (order checked against SQL), a grid's figures and blind
// spots, 5 suggested cameras with their gains, added as planned cameras (checked in the
// database); a leader reads but cannot add. Every expected figure comes from SQL on this file's
// own database (`CITYGRID_DATABASE_URL`, set by `cargo xtask test`), never from today's data.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

import {
  blend,
  browserForFile,
  countColours,
  decodePng,
  hexRgb,
  jumpAndSettle,
  login,
  mapBox,
  openBrowser,
  screenshot,
  settle,
} from './lib.mjs';

const DATABASE_URL = process.env.CITYGRID_DATABASE_URL;
const CITY_CENTRE = [119.02, 33.6];

/** Rows of `sql` (tab-separated columns) on the test's database. */
function sql(query) {
  assert.ok(DATABASE_URL, 'CITYGRID_DATABASE_URL names the database this file runs against');
  const out = execFileSync('psql', [DATABASE_URL, '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-f', '-'], {
    input: query,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** Per grid: residents and covered residents (one online camera covers the building), from the
 * buildings and their persisted per-building coverage. */
const GRID_FIGURES = `
  select b.grid_code,
         sum(b.residents)::bigint as residents,
         coalesce(sum(b.residents) filter (where c.cameras > 0), 0)::bigint as covered,
         coalesce(sum(b.residents) filter (where c.cameras_occluded > 0), 0)::bigint as covered_occluded,
         count(*) as buildings,
         count(*) filter (where c.cameras > 0) as covered_buildings
  from buildings b join building_coverage c on c.building_id = b.id
  group by b.grid_code`;

/** The codes of the 10 grids meeting `bbox` with the lowest share of covered residents (grids
 * without residents last, ties by code). */
function worstGrids(bbox) {
  const env = `st_makeenvelope(${bbox.join(', ')}, 4326)`;
  return sql(`
    with f as (${GRID_FIGURES})
    select g.code from current_grids g left join f on f.grid_code = g.code
    where g.geom && ${env} and st_intersects(g.geom, ${env})
    order by f.covered::float8 / nullif(f.residents, 0) asc nulls last, g.code
    limit 10`).map((r) => r[0]);
}

async function openCoverage(page) {
  await page.locator('button[role=tab][data-tab=coverage]').click();
  await page.locator('.tab-panel[data-tab=coverage] [data-testid=coverage]').waitFor();
}

/** The map canvas as decoded pixels. */
async function mapPixels(page, name) {
  await settle(page);
  const box = await mapBox(page);
  const { buf } = await screenshot(page, name, { clip: box });
  return decodePng(buf);
}

/** The colours of the choropleth's steps (and of a grid without residents), from the style. */
async function choroplethColours(page) {
  return page.evaluate(() => {
    const layer = window.__citygrid.map.getStyle().layers.find((l) => l.id === 'coverage_grids-fill');
    const colours = JSON.stringify(layer.paint['fill-color']).match(/#[0-9a-f]{6}/gi);
    return { colours, opacity: layer.paint['fill-opacity'] };
  });
}

/** The overlay's features (its GeoJSON data as the page set it). */
async function overlay(page) {
  return page.evaluate(async () => {
    const source = window.__citygrid.map.getSource('citygrid-coverage');
    return source ? (await source.getData()).features : [];
  });
}

/** Reloads the page on `#tab=coverage&sel=<sel>` and waits for the map. */
async function openSelection(page, sel) {
  await page.evaluate((hash) => {
    window.location.hash = hash;
    window.location.reload();
  }, `tab=coverage&sel=${sel}`);
  await page.waitForFunction(() => document.body.dataset.mapState === 'idle' && window.__citygrid?.map, null, {
    timeout: 90_000,
  });
  await page.locator('.tab-panel[data-tab=coverage] [data-testid=coverage]').waitFor();
}

/** The village with the most uncovered residents (a suggestion has room to gain there). */
function busiestVillage() {
  const [[code]] = sql(`
    with f as (${GRID_FIGURES})
    select left(grid_code, 12) from f group by 1 order by sum(residents - covered) desc, 1 limit 1`);
  return code;
}

const session = browserForFile();

test('planner: choropleth, ranking, a grid with its blind spots, 5 suggestions added as planned', { timeout: 300_000 }, async () => {
  const { page } = session;
  await login(page, 'planner');
  await jumpAndSettle(page, CITY_CENTRE, 12);
  const { colours, opacity } = await choroplethColours(page);
  assert.ok(colours.length >= 6, `the choropleth paints its steps and the no-residents colour: ${colours}`);
  assert.equal(typeof opacity, 'number');
  const background = hexRgb(await page.evaluate(() => window.__citygrid.map.getStyle().layers[0].paint['background-color']));
  const blended = colours.map((c) => blend(hexRgb(c), background, opacity));
  const share = (img) => countColours(img, blended, 10).reduce((a, b) => a + b, 0) / (img.width * img.height);

  // Outside the Coverage tab the choropleth is not drawn.
  const before = share(await mapPixels(page, 'coverage-before'));
  await openCoverage(page);
  await settle(page);
  const img = await mapPixels(page, 'coverage-choropleth');
  const after = share(img);
  assert.ok(after > 0.3, `the choropleth fills the view: ${(after * 100).toFixed(1)} % of the pixels (before: ${(before * 100).toFixed(1)} %)`);
  assert.ok(before < 0.1, `no choropleth outside the tab: ${(before * 100).toFixed(1)} %`);

  // The legend shows the steps in percent.
  const legendShares = await page.locator('[data-testid=legend-share]').allTextContents();
  assert.ok(legendShares.some((t) => /0–20 %/.test(t)), legendShares.join(' | '));

  // The ranking: the worst-covered grids of the view, in the order SQL gives.
  await page.locator('[data-testid=ranking-pane][data-state=done]').waitFor();
  const bbox = await page.evaluate(() => {
    const b = window.__citygrid.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => Number(x.toFixed(6)));
  });
  const shown = await page.locator('[data-testid=ranking-item]').evaluateAll((els) => els.map((e) => e.dataset.code));
  assert.deepEqual(shown, worstGrids(bbox));

  // Click the worst: its figures without and with occlusion, as SQL counts them, and its blind
  // spots on the map.
  const worst = shown[0];
  await page.locator(`[data-testid=ranking-item][data-code="${worst}"]`).click();
  const card = page.locator(`[data-testid=grid-coverage][data-code="${worst}"]`);
  await card.locator('[data-testid=grid-residents]').waitFor({ timeout: 60_000 });
  const [[, residents, covered, coveredOccluded, buildings, coveredBuildings]] = sql(
    `with f as (${GRID_FIGURES}) select * from f where grid_code = '${worst}'`,
  );
  assert.match(await card.locator('[data-testid=grid-residents] [data-testid=plain]').textContent(), new RegExp(`^${covered} / ${residents}`));
  assert.match(
    await card.locator('[data-testid=grid-residents] [data-testid=occluded]').textContent(),
    new RegExp(`^${coveredOccluded} / ${residents}`),
  );
  assert.match(
    await card.locator('[data-testid=grid-buildings] [data-testid=plain]').textContent(),
    new RegExp(`^${coveredBuildings} / ${buildings}`),
  );
  const uncoveredInView = Number(buildings) - Number(coveredBuildings);
  assert.ok(uncoveredInView > 0, 'the worst grid has uncovered buildings');
  await page.waitForFunction(
    async () => {
      const s = window.__citygrid.map.getSource('citygrid-coverage');
      return s && (await s.getData()).features.some((f) => f.properties.role === 'blind');
    },
    null,
    { timeout: 60_000 },
  );
  const blind = (await overlay(page)).filter((f) => f.properties.role === 'blind');
  // Every uncovered building no online sector reaches lies in a drawn blind spot.
  const geoms = blind.map((f) => `st_geomfromgeojson('${JSON.stringify(f.geometry)}')`).join(', ');
  const [[outside, checked]] = sql(`
    with spots as (select st_union(array[${geoms}]) as g)
    select count(*) filter (where not st_covers(spots.g, b.point)), count(*)
    from buildings b join building_coverage c on c.building_id = b.id, spots
    where b.grid_code = '${worst}' and c.cameras = 0
      and not exists (select 1 from coverage_cameras s where s.status = 'online' and st_covers(s.sector, b.point))`);
  assert.ok(Number(checked) > 0, 'some uncovered buildings are out of every sector');
  assert.equal(Number(outside), 0, `${outside} of ${checked} uncovered buildings lie outside the drawn blind spots`);
  await settle(page);
  await screenshot(page, 'coverage-grid');

  // Suggest 5 cameras for the village with the most uncovered residents.
  const village = busiestVillage();
  await openSelection(page, `unit:${village}`);
  const suggest = page.locator(`[data-testid=suggest][data-area="${village}"]`);
  await suggest.locator('[data-testid=suggest-k]').fill('5');
  await suggest.locator('[data-testid=suggest-k]').dispatchEvent('change');
  await suggest.locator('[data-testid=suggest-run]').click();
  await suggest.locator('[data-testid=suggestion]').waitFor({ timeout: 120_000 });
  const gains = (await suggest.locator('[data-testid=suggest-site]').evaluateAll((els) => els.map((e) => e.dataset.gain))).map(Number);
  assert.equal(gains.length, 5, 'five sites');
  assert.ok(gains.every((g, i) => g > 0 && (i === 0 || g <= gains[i - 1])), `gains positive and non-increasing: ${gains}`);
  const [[villageResidents, villageCovered]] = sql(
    `with f as (${GRID_FIGURES}) select sum(residents), sum(covered) from f where left(grid_code, 12) = '${village}'`,
  );
  const beforeText = await suggest.locator('[data-testid=suggest-before]').textContent();
  assert.match(beforeText, new RegExp(`^${villageCovered} / ${villageResidents}`));
  const afterText = await suggest.locator('[data-testid=suggest-after]').textContent();
  const total = gains.reduce((a, b) => a + b, 0);
  assert.match(afterText, new RegExp(`^${Number(villageCovered) + total} / ${villageResidents}`));
  const sites = (await overlay(page)).filter((f) => f.properties.role === 'site');
  assert.equal(sites.length, 5, 'five sectors drawn');
  const numbers = (await overlay(page)).filter((f) => f.properties.role === 'site-point').map((f) => f.properties.n);
  assert.deepEqual(numbers, [1, 2, 3, 4, 5]);
  await settle(page);
  const siteImg = await mapPixels(page, 'coverage-suggest');
  const [sitePixels] = countColours(siteImg, [hexRgb('#ff5a00')], 12);
  assert.ok(sitePixels > 20, `the numbered sites are drawn (${sitePixels} px)`);

  // Add them as planned cameras: five new rows in the register at the sites.
  const planned = Number(sql(`select count(*) from cameras where status = 'planned'`)[0][0]);
  await suggest.locator('[data-testid=add-planned]').click();
  const added = suggest.locator('[data-testid=planned-added]');
  await added.waitFor({ timeout: 60_000 });
  const points = sites.map((f) => f.geometry.coordinates[0][0]);
  const rows = sql(`select lon, lat from cameras where status = 'planned' order by id desc limit 5`).reverse();
  assert.equal(Number(sql(`select count(*) from cameras where status = 'planned'`)[0][0]), planned + 5);
  for (let i = 0; i < 5; i++) {
    assert.ok(Math.abs(Number(rows[i][0]) - points[i][0]) < 1e-6 && Math.abs(Number(rows[i][1]) - points[i][1]) < 1e-6,
      `planned camera ${i + 1} stands at site ${i + 1}`);
  }
  // The new cameras' sectors come with the coverage layer's next version.
  await page.waitForFunction(
    () => window.__citygrid.map.querySourceFeatures('coverage', { sourceLayer: 'coverage' }).some((f) => f.properties.status === 'planned'),
    null,
    { timeout: 60_000 },
  );

  // English.
  await page.locator('.lang-toggle').click();
  await page.locator('[data-testid=suggest] h3', { hasText: 'Suggest new cameras' }).waitFor();
  assert.match(await added.textContent(), /^Added as planned cameras: PLAN-/);
});

test('leader: reads coverage and suggestions, cannot add cameras', { timeout: 240_000 }, async () => {
  const { browser, page, logs } = await openBrowser();
  try {
    await login(page, 'leader');
    await openCoverage(page);
    await page.locator('[data-testid=coverage-read-only]').waitFor();
    const village = busiestVillage();
    await openSelection(page, `unit:${village}`);
    await page.locator('[data-testid=ranking-pane][data-state=done]').waitFor();
    // The ranking of the selected village.
    const shown = await page.locator('[data-testid=ranking-item]').evaluateAll((els) => els.map((e) => e.dataset.code));
    const expected = sql(`
      with f as (${GRID_FIGURES})
      select g.code from current_grids g left join f on f.grid_code = g.code
      where left(g.code, 12) = '${village}'
      order by f.covered::float8 / nullif(f.residents, 0) asc nulls last, g.code limit 10`).map((r) => r[0]);
    assert.deepEqual(shown, expected);
    const suggest = page.locator(`[data-testid=suggest][data-area="${village}"]`);
    await suggest.locator('[data-testid=suggest-run]').click();
    await suggest.locator('[data-testid=suggestion]').waitFor({ timeout: 120_000 });
    assert.ok((await suggest.locator('[data-testid=suggest-site]').count()) > 0);
    assert.equal(await page.locator('[data-testid=add-planned]').count(), 0, 'no add button for a leader');
  } catch (e) {
    console.log(logs.join('\n'));
    throw e;
  } finally {
    await browser.close();
  }
});
