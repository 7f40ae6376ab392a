// Shared helpers of the browser tests: launching Debian's Chromium, logging in (the form and the
// API), SQL on the file's own database, waiting for the map, screenshots and a tiny PNG decoder
// (node's zlib, no other dependency).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { after, before, beforeEach } from 'node:test';

import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.CITYGRID_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
export const ARTIFACTS = process.env.CITYGRID_ARTIFACTS || join(process.cwd(), 'artifacts');
export const PASSWORD = process.env.CITYGRID_DEMO_PASSWORD || 'citygrid-demo';
export const CHROMIUM = process.env.CITYGRID_CHROMIUM || '/usr/bin/chromium';
/** The database the backend of this test file serves (its own clone; `cargo xtask test` sets it). */
export const DATABASE_URL = process.env.CITYGRID_DATABASE_URL;

/** Flags that let WebGL render in headless Chromium (SwiftShader) and keep it quiet. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One browser for a test file: opened before its tests, closed after them; the page's console
 * is printed when a test failed. Tests take `session.page`. */
export function browserForFile() {
  const session = {};
  before(async () => Object.assign(session, await openBrowser()));
  after(async () => {
    if (process.exitCode && session.logs?.length) console.log(session.logs.join('\n'));
    await session.browser?.close();
  });
  return session;
}

/** Before each test of the file: the login page with nothing stored (no token, the default
 * language), so every test starts logged out. */
export function loggedOutBeforeEach(session) {
  beforeEach(async () => {
    const { page } = session;
    await page.goto(`${BASE_URL}/`);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
  });
}

/** The requests of each page opened by `openBrowser` that have no answer yet. */
const inFlight = new WeakMap();

/** A fresh browser (launch() gives it a fresh temporary profile) and page. */
export async function openBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => logs.push(`[requestfailed] ${r.url()}: ${r.failure()?.errorText}`));
  // Requests still waiting for their answer: named when the map does not become idle.
  const pending = new Set();
  inFlight.set(page, pending);
  page.on('request', (r) => pending.add(r));
  page.on('requestfinished', (r) => pending.delete(r));
  page.on('requestfailed', (r) => pending.delete(r));
  return { browser, page, logs };
}

export async function screenshot(page, name, options = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  const buf = await page.screenshot({ path, ...options });
  return { path, buf };
}

/** Logs in through the login form and waits for the map's first `idle`. */
export async function login(page, username) {
  await page.goto(`${BASE_URL}/`);
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('.login-card button[type=submit]').click();
  await page.waitForFunction(() => document.body.dataset.mapState === 'idle' && window.__citygrid?.map, null, {
    timeout: 90_000,
  });
}

/** Clicks the language toggle and waits until the page is in English (`true`) or Chinese. */
export async function toggleLanguage(page, expectEnglish) {
  await page.locator('.lang-toggle').first().click();
  await page.waitForFunction((en) => document.documentElement.lang.startsWith('en') === en, expectEnglish);
}

/** `POST /api/auth/login` as `username`: its status and JSON body. */
export async function apiLogin(username, password = PASSWORD) {
  const res = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { status: res.status, body: await res.json() };
}

/** A bearer token for `username` with the demo password (through the API, not the page). */
export async function apiToken(username) {
  const { status, body } = await apiLogin(username);
  assert.equal(status, 200, `login of ${username} through the API: ${JSON.stringify(body)}`);
  return body.token;
}

/** One API call with `token` (and a JSON `body` when given): its status and JSON body. A call
 * without a body sends no JSON content type (an empty body declared as JSON is invalid JSON). */
export async function api(token, method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Registers an incident at [lon, lat] through the API as the holder of `token`; returns it. */
export async function createIncident(token, [lon, lat], description, category = 'citizen.infrastructure') {
  const r = await api(token, 'POST', '/api/incidents', { lon, lat, category, source: 'hotline', description });
  if (r.status !== 201) throw new Error(`registering an incident: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.incident;
}

/** The rows of `query` (each an array of its text fields) on this file's database, through psql. */
export function sql(query) {
  assert.ok(DATABASE_URL, 'CITYGRID_DATABASE_URL names the database this file runs against (cargo xtask test sets it)');
  const out = execFileSync('psql', [DATABASE_URL, '-XAtq', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-f', '-'], {
    input: query,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** The first row of `query` (its text fields). */
export function sqlRow(query) {
  const [row] = sql(query);
  assert.ok(row, `a row from: ${query}`);
  return row;
}

/** The first field of the first row of `query` (`''` for no row or a null). */
export function sqlValue(query) {
  return sql(query)[0]?.[0] ?? '';
}

/** Polls `fn` every 250 ms until it returns something truthy (that value), at most `timeoutMs`. */
export async function polled(what, fn, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Bound on waiting for the map's `idle`: tiles, glyphs and a repaint, on a loaded machine. */
const IDLE_MS = 60_000;

/**
 * Runs `action` on the map (`'jump'` with `[center, zoom]`, `'fit'` with `[x0, y0, x1, y1]`, or
 * `'repaint'`) and resolves at the map's next `idle`. If it does not come within `IDLE_MS`, the
 * error says which sources are still loading and which requests are still unanswered.
 */
async function untilIdle(page, action, args) {
  try {
    await page.evaluate(
      ([action, args, ms]) =>
        new Promise((resolve, reject) => {
          const map = window.__citygrid.map;
          const timer = setTimeout(() => {
            const loading = Object.keys(map.getStyle().sources).filter((id) => !map.isSourceLoaded(id));
            const state =
              `moving ${map.isMoving()}, style loaded ${map.isStyleLoaded()}, ` +
              `tiles loaded ${map.areTilesLoaded()}; sources loading: ${loading.join(', ') || 'none'}`;
            reject(new Error(`map did not become idle within ${ms / 1000} s (${state})`));
          }, ms);
          map.once('idle', () => {
            clearTimeout(timer);
            resolve();
          });
          if (action === 'jump') map.jumpTo({ center: args[0], zoom: args[1] });
          else if (action === 'fit') map.fitBounds([args.slice(0, 2), args.slice(2)], { animate: false, padding: 60 });
          // A render (hence an `idle`) even when the camera did not change.
          map.triggerRepaint();
        }),
      [action, args, IDLE_MS],
    );
  } catch (e) {
    const waiting = [...(inFlight.get(page) ?? [])].map((r) => r.url());
    if (waiting.length) e.message += `; unanswered requests: ${waiting.join(' ')}`;
    throw e;
  }
}

/** Moves the map (no animation) and resolves once it has rendered everything. */
export async function jumpAndSettle(page, center, zoom) {
  await untilIdle(page, 'jump', [center, zoom]);
}

/** Fits the map to `[x0, y0, x1, y1]` (no animation, 60 px padding) and resolves once it has rendered everything. */
export async function fitAndSettle(page, bounds) {
  await untilIdle(page, 'fit', bounds);
}

/** Resolves at the map's next `idle` (after a forced repaint), so screenshots show the latest state. */
export async function settle(page) {
  await untilIdle(page, 'repaint', null);
}

/** A pixel of the map (relative to its canvas) near the centre with no incident under it: in the
 * Dispatch tab a click on an incident opens it, anywhere else it picks the location. */
export async function freeSpot(page) {
  return page.evaluate(() => {
    const map = window.__citygrid.map;
    const { width, height } = map.getCanvas().getBoundingClientRect();
    const layers = ['incidents-circle', 'incidents-finished'].filter((l) => map.getLayer(l));
    for (let r = 0; r < Math.min(width, height) / 2; r += 6) {
      for (let k = 0; k < 16; k++) {
        const a = (k / 16) * 2 * Math.PI;
        const p = [Math.round(width / 2 + r * Math.cos(a)), Math.round(height / 2 + r * Math.sin(a))];
        const near = [[p[0] - 10, p[1] - 10], [p[0] + 10, p[1] + 10]];
        if (layers.length === 0 || map.queryRenderedFeatures(near, { layers }).length === 0) return p;
        if (r === 0) break;
      }
    }
    throw new Error('no spot free of incidents near the centre');
  });
}

/** The map canvas's box on the page. */
export async function mapBox(page) {
  const box = await page.locator('#map canvas.maplibregl-canvas').boundingBox();
  if (!box) throw new Error('no map canvas');
  return box;
}

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG into `{width, height, rgba}`. */
export function decodePng(buf) {
  const sig = '89504e470d0a1a0a';
  if (buf.subarray(0, 8).toString('hex') !== sig) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colourType = data[9];
      const interlace = data[12];
      if (depth !== 8 || ![2, 6].includes(colourType) || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
      }
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  const bpp = colourType === 6 ? 4 : 3;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp] : 0;
      const b = prev[x];
      const c = x >= bpp ? prev[x - bpp] : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      line[x] = (line[x] + add) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = line[x * bpp];
      out[o + 1] = line[x * bpp + 1];
      out[o + 2] = line[x * bpp + 2];
      out[o + 3] = bpp === 4 ? line[x * bpp + 3] : 255;
    }
    prev = line;
  }
  return { width, height, rgba: out };
}

export function hexRgb(hex) {
  const n = parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** `fill` at `opacity` over `background`, as the compositor draws it. */
export function blend(fill, background, opacity) {
  return fill.map((v, i) => Math.round(v * opacity + background[i] * (1 - opacity)));
}

/** How many pixels of `img` lie within `tolerance` (per channel) of each colour. */
export function countColours(img, colours, tolerance) {
  const counts = colours.map(() => 0);
  for (let o = 0; o < img.rgba.length; o += 4) {
    for (let k = 0; k < colours.length; k++) {
      const [r, g, b] = colours[k];
      if (
        Math.abs(img.rgba[o] - r) <= tolerance &&
        Math.abs(img.rgba[o + 1] - g) <= tolerance &&
        Math.abs(img.rgba[o + 2] - b) <= tolerance
      ) {
        counts[k]++;
        break;
      }
    }
  }
  return counts;
}
