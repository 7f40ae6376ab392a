// Issue #20, items 6, 7 and 9, each checked in both languages: server errors read as a
// translated sentence per error code (the server's words as a detail); the legend shows exactly
// what the map paints; the dispatcher records a grid worker's steps on the worker's behalf, and
// resolving asks for a note and a confirmation. Incidents are created through the API.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { api, apiToken, browserForFile, createIncident, jumpAndSettle, loggedOutBeforeEach, login, toggleLanguage } from './lib.mjs';

const SPOT = [119.0301, 33.6011];

const session = browserForFile();

/** Opens incident `id` from the open-incident list. */
async function openFromList(page, id) {
  await jumpAndSettle(page, SPOT, 16);
  await page.locator('[data-testid=incident-list] button.refresh, .incidents button.refresh').first().click();
  await page.locator(`[data-testid=incident-item][data-id="${id}"]`).click({ timeout: 30_000 });
  await page.locator(`[data-testid=incident-detail][data-id="${id}"]`).waitFor();
}

loggedOutBeforeEach(session);

test('server errors read as translated sentences, the server text as a detail (item 6)', { timeout: 150_000 }, async () => {
  const { page } = session;
  await page.locator('#login-username').fill('dispatcher');
  await page.locator('#login-password').fill('not the password');
  await page.locator('.login-card button[type=submit]').click();
  const error = page.locator('.login-card .form-error');
  await error.locator('.sentence').filter({ hasText: '用户名或密码错误' }).waitFor({ timeout: 20_000 });
  assert.doesNotMatch(await error.locator('.sentence').textContent(), /[a-z]{4}/i, 'no English in the Chinese sentence');
  assert.match(await error.locator('[data-testid=error-detail]').textContent(), /bad_credentials/);
  await toggleLanguage(page, true);
  await error.locator('.sentence').filter({ hasText: 'Unknown username, wrong password' }).waitFor();
  await toggleLanguage(page, false);

  // An action refused by the server names the field in the interface's words.
  await login(page, 'dispatcher');
  const token = await apiToken('dispatcher');
  const inc = await createIncident(token, SPOT, `item6 ${Date.now()}`, 'citizen.environment');
  await openFromList(page, inc.id);
  await page.locator('[data-testid=incident-detail] input.dup-of').fill('999999999');
  await page.locator('[data-testid=incident-detail] button.action[data-action=mark_duplicate]').click();
  const refused = page.locator('[data-testid=incident-detail] .form-error');
  await refused.locator('.sentence').filter({ hasText: '“原事件编号”的值不能接受' }).waitFor({ timeout: 20_000 });
  assert.match(await refused.locator('[data-testid=error-detail]').textContent(), /no incident with id 999999999/);
  await toggleLanguage(page, true);
  await refused.locator('.sentence').filter({ hasText: 'The value of "original incident number" cannot be accepted' }).waitFor();
});

test('the legend shows what the map paints (item 7)', { timeout: 150_000 }, async () => {
  const { page } = session;
  await login(page, 'dispatcher');
  await page.locator('.tab-panel[data-tab=dispatch] .dispatch').waitFor();
  // Route a point so the Dispatch overlay's layers exist.
  await page.locator('#dispatch-where').fill(`${SPOT[0]},${SPOT[1]}`);
  await page.locator('form.where button[type=submit]').click();
  await page.locator('[data-testid=route-grid-code]').filter({ hasText: /^\d{15}$/ }).waitFor({ timeout: 30_000 });
  const entries = page.locator('[data-testid=legend-entry]');
  await entries.first().waitFor();
  const checked = await page.evaluate(() => {
    const map = window.__citygrid.map;
    return [...document.querySelectorAll('[data-testid=legend-entry]')].map((li) => {
      const { layer, paint, value, colour } = li.dataset;
      let painted = map.getLayer(layer) ? map.getPaintProperty(layer, paint) : undefined;
      if (value && Array.isArray(painted) && painted[0] === 'match') {
        const i = painted.findIndex((v, k) => k >= 2 && k % 2 === 0 && (v === value || (Array.isArray(v) && v.includes(value))));
        painted = i < 0 ? undefined : painted[i + 1];
      }
      return { layer, paint, value, colour, painted, label: li.textContent.trim() };
    });
  });
  // Cameras (3 statuses), open (4) and finished (3) incidents, the four base lines/fills and the
  // Dispatch overlay's five symbols.
  assert.ok(checked.length >= 19, `legend entries: ${JSON.stringify(checked)}`);
  for (const e of checked) {
    assert.equal(typeof e.painted, 'string', `${e.label}: ${e.layer}.${e.paint} is not a plain colour in the style`);
    assert.equal(e.painted.toLowerCase(), e.colour.toLowerCase(), `${e.label}: legend ${e.colour}, map ${e.painted}`);
  }
  const colours = checked.filter((e) => /circle|sector/.test(e.layer) || /incident|camera|point/.test(e.layer)).map((e) => e.colour);
  assert.equal(new Set(colours).size, colours.length, `one colour per point symbol: ${colours}`);
  const labels = checked.map((e) => e.label);
  assert.ok(labels.includes('事件 · 已关闭') && labels.includes('摄像头 · 离线'), labels.join(' | '));
  await toggleLanguage(page, true);
  await page.locator('[data-testid=legend-entry]', { hasText: 'Incident · Closed' }).waitFor();
  await page.locator('[data-testid=legend-entry]', { hasText: 'Camera · Offline' }).waitFor();
  // Other tabs do not draw the Dispatch overlay, so their legend does not list it.
  const withOverlay = await entries.count();
  await page.locator('.tab[data-tab=planning]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=legend-entry]').length < n, withOverlay);
});

test('the dispatcher records the worker\'s steps for them; resolve asks for a note (item 9)', { timeout: 180_000 }, async () => {
  const { page } = session;
  await login(page, 'dispatcher');
  // The language chosen in the previous test may be kept with the workspace draft.
  if (await page.evaluate(() => document.documentElement.lang.startsWith('en'))) await toggleLanguage(page, false);
  const token = await apiToken('dispatcher');
  const inc = await createIncident(token, SPOT, `item9 ${Date.now()}`, 'citizen.environment');
  const assigned = await api(token, 'POST', `/api/incidents/${inc.id}/transitions`, { action: 'assign' });
  assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
  const worker = assigned.body.assignee_name;
  assert.ok(worker, `the grid has a worker: ${JSON.stringify(assigned.body)}`);
  await openFromList(page, inc.id);
  const detail = page.locator('[data-testid=incident-detail]');
  const accept = detail.locator('button.action[data-action=accept]');
  assert.match(await accept.textContent(), new RegExp(`签收.*代 ${worker}`));
  await accept.click();
  await detail.locator('[data-testid=event-worker]', { hasText: worker }).waitFor({ timeout: 20_000 });
  await detail.locator('button.action[data-action=start]').click();
  await detail.locator('button.action[data-action=resolve]').click({ timeout: 20_000 });
  const confirm = detail.locator('[data-testid=confirm-action][data-action=resolve]');
  await confirm.waitFor();
  assert.equal(await confirm.locator('[data-testid=confirm]').isDisabled(), true, 'no confirmation without a note');
  let current = await api(token, 'GET', `/api/incidents/${inc.id}`);
  assert.equal(current.body.incident.status, 'in_progress', 'asking for the note sent nothing');
  await toggleLanguage(page, true);
  await confirm.filter({ hasText: 'Add a note and confirm' }).waitFor();
  await toggleLanguage(page, false);
  await confirm.locator('textarea').fill('已清运');
  await confirm.locator('[data-testid=confirm]').click();
  await detail.locator('button.action[data-action=close]').waitFor({ timeout: 20_000 });
  current = await api(token, 'GET', `/api/incidents/${inc.id}`);
  assert.equal(current.body.incident.status, 'resolved');
  const events = current.body.timeline.map((e) => [e.action, e.actor, e.on_behalf_of?.name ?? null]);
  assert.deepEqual(events.slice(-4), [
    ['assign', 'dispatcher', null],
    ['accept', 'dispatcher', worker],
    ['start', 'dispatcher', worker],
    ['resolve', 'dispatcher', null],
  ]);
  await toggleLanguage(page, true);
  await detail.locator('[data-testid=event-actor]', { hasText: `for ${worker}` }).first().waitFor();
});
