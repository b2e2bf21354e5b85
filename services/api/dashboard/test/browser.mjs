// What the dashboard's browser tests share: their settings, headless
// Chromium, and a page logged in with the admin token that records the
// page's errors.
import { chromium } from 'playwright-core';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function must(name) {
  const v = process.env[name];
  if (!v) fail(`${name} is not set`);
  return v;
}

export function fail(msg) {
  console.error(`dashboard test: ${msg}`);
  process.exit(1);
}

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      try { accessSync(join(dir, name), constants.X_OK); return join(dir, name); } catch { /* next */ }
    }
  }
  fail('no chromium on PATH (Debian: apt-get install -y chromium)');
}

export function launch() {
  return chromium.launch({
    executablePath: findChromium(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

// openPage opens the dashboard and returns the page with the list its
// errors go to: uncaught ones and console errors, except failed loads (a
// wrong token's 401s).
export async function openPage(browser, base) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  await page.goto(`${base}/dashboard`);
  return { page, errors };
}

// logIn enters the token and waits for the first poll to go through.
export async function logIn(page, token) {
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('#login-form button');
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'live');
}
