// A dispatcher's working day in the Dispatch tab (issue #20): what used to give wrong results or
// lose work. Each test starts from a fresh page (logged in again) and creates the incidents it
// needs through the API.

import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { BASE_URL, api, apiToken, browserForFile, createIncident, freeSpot, jumpAndSettle, login, mapBox, sqlValue } from './lib.mjs';

const CITY_CENTRE = [119.02, 33.6];

const session = browserForFile();

/** Incidents whose description contains `text` (newest first), as the backend lists them. */
async function incidentsWith(token, text) {
  const from = encodeURIComponent(new Date(Date.now() - 3600_000).toISOString());
  const r = await api(token, 'GET', `/api/incidents?limit=500&from=${from}`);
  assert.equal(r.status, 200);
  return r.body.items.filter((i) => i.description.includes(text));
}

/** Clicks the map near its middle (off the incidents) and waits for the routed grid. */
async function routeMapCentre(page) {
  const box = await mapBox(page);
  const [x, y] = await freeSpot(page);
  await page.mouse.click(box.x + x, box.y + y);
  const code = page.locator('[data-testid=route-grid-code]');
  await code.filter({ hasText: /^\d{15}$/ }).waitFor({ timeout: 30_000 });
  return (await code.textContent()).trim();
}

/** Types into the location field and presses 查询. */
async function locate(page, text) {
  await page.locator('#dispatch-where').fill(text);
  await page.locator('form.where button[type=submit]').click();
}

beforeEach(async () => {
  const { page } = session;
  // A clean browser state: no stored token, language or draft from the previous test.
  await page.goto(`${BASE_URL}/`);
  await page.evaluate(() => localStorage.clear());
  await login(page, 'dispatcher');
  await page.locator('.tab-panel[data-tab=dispatch] .dispatch').waitFor();
  await jumpAndSettle(page, CITY_CENTRE, 15);
});

test('a location the panel cannot read is never registered (item 1)', { timeout: 120_000 }, async () => {
  const { page } = session;
  const token = await apiToken('dispatcher');
  await routeMapCentre(page);
  const clicked = await page.locator('#dispatch-where').inputValue();
  const marker = `item1 ${Date.now()}`;
  await page.locator('#incident-description').fill(marker);

  await locate(page, 'abc');
  await page.locator('.route .form-error').filter({ hasText: '无法识别' }).waitFor();
  const register = page.locator('[data-testid=register-incident]');
  assert.equal(await register.isDisabled(), true, 'register is impossible while the location is unreadable');
  await register.click({ force: true });
  await page.waitForTimeout(1500);
  assert.deepEqual(await incidentsWith(token, marker), [], 'nothing was registered at the previous point');

  // The same valid coordinates again: routed again, the error goes.
  await locate(page, clicked);
  await page.locator('[data-testid=route-grid-code]').filter({ hasText: /^\d{15}$/ }).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('.route .form-error').count(), 0, 'the error is gone');
  assert.equal(await register.isDisabled(), false);
});

test('per-incident inputs reset when another incident opens (item 2)', { timeout: 120_000 }, async () => {
  const { page } = session;
  const token = await apiToken('dispatcher');
  const stamp = Date.now();
  const a = await createIncident(token, [119.0301, 33.6011], `item2 a ${stamp}`);
  const b = await createIncident(token, [119.0302, 33.6012], `item2 b ${stamp}`);
  await page.locator('[data-testid=incident-list] button.refresh, .incidents button.refresh').first().click();
  const itemA = page.locator(`[data-testid=incident-item][data-id="${a.id}"]`);
  const itemB = page.locator(`[data-testid=incident-item][data-id="${b.id}"]`);
  await jumpAndSettle(page, [119.0301, 33.6011], 16);
  await itemA.waitFor({ timeout: 30_000 });
  await itemA.click();
  await page.locator(`[data-testid=incident-detail][data-id="${a.id}"]`).waitFor();
  // Times read in Asia/Shanghai, as every day the city counts (the API sends UTC).
  const reported = sqlValue(`select to_char(reported_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') from incidents where id = ${a.id}`);
  assert.equal((await page.locator('[data-testid=detail-reported]').textContent()).trim(), reported);
  await page.locator('[data-testid=incident-detail] input.dup-of').fill('123');
  await page.locator('[data-testid=incident-detail] input.note').fill('for a');
  await itemB.click();
  await page.locator(`[data-testid=incident-detail][data-id="${b.id}"]`).waitFor();
  assert.equal(await page.locator('[data-testid=incident-detail] input.dup-of').inputValue(), '', 'duplicate-of is per incident');
  assert.equal(await page.locator('[data-testid=incident-detail] input.note').inputValue(), '', 'the note is per incident');
});

test('switching tab (and reloading) keeps the dispatcher\'s work (item 3)', { timeout: 150_000 }, async () => {
  const { page } = session;
  const token = await apiToken('dispatcher');
  const open = await createIncident(token, [119.0301, 33.6011], `item3 ${Date.now()}`);
  const code = await routeMapCentre(page);
  const where = await page.locator('#dispatch-where').inputValue();
  const description = `正在处理 item3 ${Date.now()}`;
  await page.locator('#incident-category').selectOption('dispute.neighbor');
  await page.locator('#incident-description').fill(description);
  await jumpAndSettle(page, [119.0301, 33.6011], 16);
  await page.locator(`[data-testid=incident-item][data-id="${open.id}"]`).click({ timeout: 30_000 });
  await page.locator(`[data-testid=incident-detail][data-id="${open.id}"]`).waitFor();

  const kept = async (what) => {
    await page.locator('[data-testid=route-grid-code]').filter({ hasText: code }).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('#dispatch-where').inputValue(), where, `${what}: location`);
    assert.equal(await page.locator('#incident-description').inputValue(), description, `${what}: description`);
    assert.equal(await page.locator('#incident-category').inputValue(), 'dispute.neighbor', `${what}: category`);
    await page.locator(`[data-testid=incident-detail][data-id="${open.id}"]`).waitFor({ timeout: 20_000 });
  };

  await page.locator('.tab[data-tab=planning]').click();
  await page.locator('.tab-panel[data-tab=planning]').waitFor();
  await page.locator('.tab[data-tab=dispatch]').click();
  await kept('after a tab switch');

  await page.reload();
  await page.waitForFunction(() => document.body.dataset.mapState === 'idle' && window.__citygrid?.map, null, {
    timeout: 90_000,
  });
  await kept('after a reload');
});

test('no registration outside every grid, and no stale banner (item 4)', { timeout: 120_000 }, async () => {
  const { page } = session;
  const register = page.locator('[data-testid=register-incident]');
  await routeMapCentre(page);
  await page.locator('#incident-description').fill(`item4 ${Date.now()}`);
  await register.click();
  await page.locator('[data-testid=registered]').waitFor({ timeout: 30_000 });

  // Far west of Huai'an: outside every grid.
  await page.locator('#incident-description').fill(`item4 outside ${Date.now()}`);
  await locate(page, '117.5,33.0');
  await page.locator('.route .form-error.outside').waitFor({ timeout: 20_000 });
  assert.equal(await register.isDisabled(), true, 'register is impossible outside every grid');
  assert.equal(await page.locator('[data-testid=registered]').count(), 0, 'the old "registered" banner is gone');

  await locate(page, 'abc');
  await page.locator('.route .form-error').filter({ hasText: '无法识别' }).waitFor();
  assert.equal(await page.locator('[data-testid=registered]').count(), 0);
});
