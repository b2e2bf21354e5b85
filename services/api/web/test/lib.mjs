// Shared by the Chromium scripts, which the Go tests in services/herald run
// (browser_chromium_test.go): launching Chromium offline, checks that end the
// script with a JSON line, and the demo's service worker under DevTools.
import { chromium } from 'playwright-core';

export const step = (s) => console.error('chromium: ' + s);

// run calls body(browser, expect) and prints {ok, checks} or {ok: false,
// error, checks}; each expect(cond, what) that holds becomes a check.
export async function run(args, body) {
  const checks = [];
  const expect = (cond, what) => {
    if (!cond) throw new Error('check failed: ' + what);
    checks.push(what);
  };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable', ...args],
    timeout: 60000,
  });
  try {
    await body(browser, expect);
    console.log(JSON.stringify({ ok: true, checks }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), checks }));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

// demoWorker opens the demo page of appId on origin and returns the page, its
// DevTools session, the service worker and its registration id.
export async function demoWorker(context, origin, appId) {
  const page = await context.newPage();
  page.on('console', (m) => step('console: ' + m.text()));
  const cdp = await context.newCDPSession(page);
  const registrations = [];
  let onRegistration = () => {};
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
    registrations.push(...e.registrations);
    onRegistration();
  });
  await cdp.send('ServiceWorker.enable');
  await page.goto(`${origin}/demo/?app=${appId}`);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  while (!registrations.some((r) => r.scopeURL === scope && !r.isDeleted)) {
    await new Promise((resolve) => { onRegistration = resolve; });
  }
  const registrationId = registrations.find((r) => r.scopeURL === scope).registrationId;
  let sw = context.serviceWorkers().find((w) => w.url().includes('/demo/sw.js'));
  if (!sw) sw = await context.waitForEvent('serviceworker', (w) => w.url().includes('/demo/sw.js'));
  return { page, cdp, sw, scope, registrationId };
}
