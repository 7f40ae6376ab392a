// The shared map as a leader: grids render (checked by pixel colour), a click on a grid opens
// it in the inspector, the interface switches to English, Hongze Lake is drawn as water, and the
// city centre's streets are drawn with their names.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  BASE_URL,
  blend,
  countColours,
  decodePng,
  hexRgb,
  jumpAndSettle,
  login,
  mapBox,
  browserForFile,
  screenshot,
  settle,
} from './lib.mjs';

// backend/src/tiles.rs: the four grid colours, the background and the fill opacity
// (interpolated 0.45 at z11 → 0.3 at z16).
const GRID_COLOURS = ['#8dd3c7', '#ffe08a', '#bebada', '#fb9a99'];
// api/src/symbology.rs: the fill of water grids.
const WATER = '#9ecae1';
const BACKGROUND = '#f3f1ec';
const ZOOM = 13;
const opacityAt = (zoom) => 0.45 + ((0.3 - 0.45) * (zoom - 11)) / (16 - 11);
const FILL_OPACITY = opacityAt(ZOOM);
const CITY_CENTRE = [119.02, 33.6];
// Deep in Hongze Lake (洪泽湖), some 8 km from its shores and the city border.
const HONGZE_LAKE = [118.72, 33.24];

const session = browserForFile();

test('grids render in the city centre', { timeout: 150_000 }, async () => {
  const { page } = session;
  await login(page, 'leader');
  // The leader's own workspace lays the incidents' heat over the grids: read their colours on
  // the Planning page (read-only for a leader), then come back.
  const home = await page.locator('.tab.active').getAttribute('data-tab');
  await page.locator('.tab[data-tab=planning]').click();
  await page.locator('.tab-panel[data-tab=planning]').waitFor();
  await jumpAndSettle(page, CITY_CENTRE, ZOOM);
  const box = await mapBox(page);
  const { path, buf } = await screenshot(page, 'map-grids', { clip: box });
  const img = decodePng(buf);
  const expected = GRID_COLOURS.map((c) => blend(hexRgb(c), hexRgb(BACKGROUND), FILL_OPACITY));
  const counts = countColours(img, expected, 10);
  const total = img.width * img.height;
  const shares = counts.map((n) => n / total);
  const gridShare = shares.reduce((a, b) => a + b, 0);
  console.log(`grid colours ${GRID_COLOURS.join(' ')} → shares ${shares.map((s) => s.toFixed(3)).join(' ')} (${path})`);
  assert.ok(gridShare > 0.3, `grid fill colours cover ${(gridShare * 100).toFixed(1)}% of the map, expected > 30%`);
  const coloursSeen = shares.filter((s) => s > 0.02).length;
  assert.ok(coloursSeen >= 3, `only ${coloursSeen} of the 4 grid colours cover > 2% of the map`);
  await page.locator(`.tab[data-tab=${home}]`).click();
  await page.locator(`.tab-panel[data-tab=${home}]`).waitFor();
});

test('clicking a grid opens it in the inspector', { timeout: 90_000 }, async () => {
  const { page } = session;
  // Cameras sit on top of grids and are clickable too: hide them so the click hits a grid.
  await page.locator('input[data-group=cameras]').uncheck();
  const box = await mapBox(page);
  const x = Math.round(box.width / 2);
  const y = Math.round(box.height / 2);
  const lngLat = await page.evaluate(([x, y]) => window.__citygrid.map.unproject([x, y]).toArray(), [x, y]);
  await page.mouse.click(box.x + x, box.y + y);
  const code = page.locator('[data-testid=inspector-code]');
  await assert.doesNotReject(code.filter({ hasText: /^\d{15}$/ }).waitFor({ timeout: 20_000 }));
  const shown = (await code.textContent()).trim();
  assert.match(shown, /^\d{15}$/);
  // The backend's point → grid rule says the same about that point.
  const routed = await page.evaluate(
    async ([lon, lat]) => {
      const token = localStorage.getItem('citygrid.token');
      const r = await fetch('/api/route', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ lon, lat }),
      });
      return (await r.json()).grid?.code;
    },
    lngLat,
  );
  assert.equal(shown, routed, `clicked ${lngLat}: inspector shows ${shown}, /api/route says ${routed}`);
  // The grid is outlined.
  await settle(page);
  const outlined = await page.evaluate(
    () => window.__citygrid.map.queryRenderedFeatures({ layers: ['citygrid-selected-grid'] }).length,
  );
  assert.ok(outlined > 0, 'the selected grid is outlined on the map');
  await screenshot(page, 'map-inspector');
});

test('the interface switches to English', { timeout: 60_000 }, async () => {
  const { page } = session;
  assert.equal(await page.locator('.tab[data-tab=dispatch]').textContent(), '调度');
  await page.locator('.lang-toggle').click();
  await page.locator('.tab[data-tab=dispatch]', { hasText: 'Dispatch' }).waitFor();
  const tabs = await page.locator('.tab').allTextContents();
  assert.deepEqual(tabs, ['Dispatch', 'Planning', 'Coverage', 'Command']);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.equal((await page.locator('.logout').textContent()).trim(), 'Log out');
  await screenshot(page, 'map-english');
  console.log(`checked against ${BASE_URL}`);
});

test('Hongze Lake is drawn as water', { timeout: 90_000 }, async () => {
  const { page } = session;
  await jumpAndSettle(page, HONGZE_LAKE, 13);
  const box = await mapBox(page);
  const { path, buf } = await screenshot(page, 'map-water', { clip: box });
  const img = decodePng(buf);
  const [water, ...land] = countColours(
    img,
    [WATER, ...GRID_COLOURS].map((c) => blend(hexRgb(c), hexRgb(BACKGROUND), opacityAt(13))),
    10,
  );
  const total = img.width * img.height;
  const landShare = land.reduce((a, b) => a + b, 0) / total;
  console.log(`water ${(water / total).toFixed(3)}, land grid colours ${landShare.toFixed(3)} (${path})`);
  assert.ok(water / total > 0.6, `water covers ${((water / total) * 100).toFixed(1)}% of the view on the lake`);
  assert.ok(landShare < 0.05, `land grid colours cover ${(landShare * 100).toFixed(1)}% of the lake`);
});

test('the streets of the city centre are drawn, with their names', { timeout: 90_000 }, async () => {
  const { page } = session;
  // On the Planning page: the leader's own workspace tints the map with the incidents' heat.
  const home = await page.locator('.tab.active').getAttribute('data-tab');
  await page.locator('.tab[data-tab=planning]').click();
  await page.locator('.tab-panel[data-tab=planning]').waitFor();
  await jumpAndSettle(page, CITY_CENTRE, 15);
  const box = await mapBox(page);
  const { path } = await screenshot(page, 'map-streets', { clip: box });
  const drawn = await page.evaluate(() => {
    const map = window.__citygrid.map;
    const streets = map.queryRenderedFeatures({ layers: ['streets-line'] });
    const names = map.queryRenderedFeatures({ layers: ['streets-label'] }).map((f) => f.properties.name);
    return { streets: new Set(streets.map((f) => f.properties.id)).size, names };
  });
  console.log(`${drawn.streets} streets and ${drawn.names.length} names drawn (${path})`);
  // Streets 220 m apart across a ~3 km view: dozens of them, and their names along them.
  assert.ok(drawn.streets >= 10, `${drawn.streets} streets drawn in the city centre`);
  assert.ok(
    drawn.names.length > 0 && drawn.names.every((n) => /[路街]$/.test(n)),
    `street names drawn: ${drawn.names.slice(0, 10)}`,
  );
  await page.locator(`.tab[data-tab=${home}]`).click();
  await page.locator(`.tab-panel[data-tab=${home}]`).waitFor();
});
