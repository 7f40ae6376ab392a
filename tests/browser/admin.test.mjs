// Issue #8: the admin page. An administrator creates an account in the client (Chinese by
// default, English on the toggle), and that account can then log in; disabling it refuses its
// login, enabling it and resetting its password let it in with the new password. Roles that may
// not administer users (the matrix in api/src/access.rs) see no admin entry at all.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { apiLogin, browserForFile, loggedOutBeforeEach, login, screenshot, toggleLanguage } from './lib.mjs';

const session = browserForFile();

loggedOutBeforeEach(session);

test('the administrator creates an account that can log in, disables it and resets its password', { timeout: 240_000 }, async () => {
  const { page } = session;
  await login(page, 'admin');
  const entry = page.locator('[data-testid=admin-entry]');
  assert.equal((await entry.textContent()).trim(), '用户管理');
  await entry.click();
  const dialog = page.locator('[data-testid=user-admin]');
  await dialog.locator('#admin-title').filter({ hasText: '用户管理' }).waitFor();
  // The demo accounts are listed, the administrator's own row has no actions.
  await dialog.locator('[data-testid=user-row][data-username=dispatcher]').waitFor();
  const own = dialog.locator('[data-testid=user-row][data-username=admin]');
  assert.equal(await own.locator('button').count(), 0, 'no action on one\'s own account');
  await toggleLanguage(page, true);
  await dialog.locator('#admin-title').filter({ hasText: 'User administration' }).waitFor();
  await dialog.locator('[data-testid=user-row][data-username=dispatcher] .status').filter({ hasText: 'Active' }).waitFor();
  await toggleLanguage(page, false);

  // A form the server would refuse is refused before sending, in the interface's language.
  const username = `t${Date.now().toString(36)}`;
  await dialog.locator('#new-username').fill('Bad Name');
  await dialog.locator('#new-display-name').fill('测试员');
  await dialog.locator('#new-password').fill('first password');
  await dialog.locator('[data-testid=create-user]').click();
  await dialog.locator('.create-user .form-error').filter({ hasText: '用户名须以小写字母开头' }).waitFor();

  // Created: a leader of the first county in the list.
  await dialog.locator('#new-username').fill(username);
  await dialog.locator('#new-role').selectOption('leader');
  const county = await dialog.locator('#new-county option:not([value=""])').first().getAttribute('value');
  assert.match(county, /^\d{6}$/, 'the counties are offered by code');
  await dialog.locator('#new-county').selectOption(county);
  await dialog.locator('[data-testid=create-user]').click();
  await dialog.locator('[data-testid=user-created]').filter({ hasText: username }).waitFor();
  const row = dialog.locator(`[data-testid=user-row][data-username="${username}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /测试员/);
  assert.match(await row.textContent(), /领导/);
  assert.match(await row.textContent(), new RegExp(county));
  assert.equal(await dialog.locator('#new-username').inputValue(), '', 'the form is cleared');
  await screenshot(page, 'admin-created');

  // The new account logs in (through the API here; through the form below).
  const first = await apiLogin(username, 'first password');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.user.county_code, county);

  // Disabled: its login is refused.
  await row.locator('button[data-action=disable]').click();
  await page.locator(`[data-testid=user-row][data-username="${username}"][data-disabled=true]`).waitFor();
  assert.match(await row.locator('.status').textContent(), /已停用/);
  assert.equal((await apiLogin(username, 'first password')).status, 401);

  // Enabled and given a new password: too short is refused in the row, a good one works.
  await row.locator('button[data-action=enable]').click();
  await page.locator(`[data-testid=user-row][data-username="${username}"][data-disabled=false]`).waitFor();
  await row.locator('button[data-action=reset]').click();
  await row.locator('input.new-password').fill('short');
  await row.locator('button[data-action=save-password]').click();
  await row.locator('.form-error').filter({ hasText: '密码至少 8 位' }).waitFor();
  await row.locator('input.new-password').fill('second password');
  await row.locator('button[data-action=save-password]').click();
  await row.locator('[data-testid=row-ok]').filter({ hasText: '密码已重置' }).waitFor();
  assert.equal((await apiLogin(username, 'first password')).status, 401, 'the old password no longer works');

  // The new account logs in through the form, and sees no admin entry.
  await page.locator('[data-testid=admin-close]').click();
  await page.locator('.logout').click();
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill('second password');
  await page.locator('.login-card button[type=submit]').click();
  await page.locator('.top-bar .user-name').filter({ hasText: '测试员' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=admin-entry]').count(), 0);
});

test('roles that may not administer users see no admin entry', { timeout: 240_000 }, async () => {
  const { page } = session;
  for (const username of ['dispatcher', 'planner', 'leader']) {
    await page.evaluate(() => localStorage.clear());
    await login(page, username);
    await page.locator('.top-bar .user-name').waitFor();
    assert.equal(await page.locator('[data-testid=admin-entry]').count(), 0, `${username} sees the admin entry`);
    assert.equal(await page.locator('[data-testid=user-admin]').count(), 0);
    await page.locator('.logout').click();
    await page.locator('#login-username').waitFor();
  }
});
