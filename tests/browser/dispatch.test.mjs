// The Dispatch tab as a dispatcher: click the map → routing result, register an incident there,
// see it in the open-incident list, and move it one step through the state machine.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { browserForFile, freeSpot, jumpAndSettle, login, mapBox, screenshot, settle } from './lib.mjs';

const CITY_CENTRE = [119.02, 33.6];

const session = browserForFile();

test('route a point, register an incident, follow it', { timeout: 180_000 }, async () => {
  const { page } = session;
  await login(page, 'dispatcher');
  // A dispatcher lands on the Dispatch tab.
  await page.locator('.tab-panel[data-tab=dispatch] .dispatch').waitFor();
  await jumpAndSettle(page, CITY_CENTRE, 15);

  // Click the map (not on an incident: that would open it): the panel shows who is responsible.
  const box = await mapBox(page);
  const [x, y] = await freeSpot(page);
  await page.mouse.click(box.x + x, box.y + y);
  const gridCode = page.locator('[data-testid=route-grid-code]');
  await gridCode.filter({ hasText: /^\d{15}$/ }).waitFor({ timeout: 30_000 });
  const code = (await gridCode.textContent()).trim();
  assert.equal(await page.locator('.escalation li').count(), 4, 'grid → village → township → county centre');
  // The responsible grid is outlined on the map (the overlay source holds its polygon).
  await page.waitForFunction(
    () =>
      window.__citygrid.map
        .querySourceFeatures('citygrid-dispatch')
        .some((f) => f.properties.role === 'grid' && f.geometry.type.endsWith('Polygon')),
    null,
    { timeout: 20_000 },
  );
  await settle(page);
  await screenshot(page, 'dispatch-route');

  // Register an incident there.
  const description = `浏览器测试 browser test ${Date.now()}`;
  await page.locator('#incident-description').fill(description);
  await page.locator('[data-testid=register-incident]').click();
  const registered = page.locator('[data-testid=registered-link]');
  await registered.waitFor({ timeout: 30_000 });
  const id = await registered.getAttribute('data-id');
  assert.match(id, /^\d+$/);

  // It shows up in the open incidents of the view (as the backend lists them).
  const item = page.locator(`[data-testid=incident-list] [data-testid=incident-item][data-id="${id}"]`);
  await item.waitFor({ timeout: 30_000 });
  assert.equal(await item.getAttribute('data-status'), 'new');

  // Selected: its timeline starts with the report; assign it.
  const timeline = page.locator('[data-testid=incident-timeline] li');
  await page.locator(`[data-testid=incident-detail][data-id="${id}"]`).waitFor();
  await assert.doesNotReject(timeline.first().waitFor());
  assert.equal(await timeline.count(), 1);
  const detailGrid = await page.locator('[data-testid=incident-detail] code').first().textContent();
  assert.equal(detailGrid.trim(), code, 'registered in the routed grid');
  await page.locator('[data-testid=incident-detail] button[data-action=assign]').click();
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid=incident-timeline] li').length === 2,
    null,
    { timeout: 20_000 },
  );
  await page.locator(`[data-testid=incident-item][data-id="${id}"][data-status=assigned]`).waitFor({ timeout: 20_000 });
  await settle(page);
  await screenshot(page, 'dispatch-incident');
});
