// Chromium test of herald-sw.js and the demo page, driven by the Go test
// (services/herald/browser_chromium_test.go). Chromium cannot subscribe
// offline, so pushes are handed to the service worker over the DevTools
// protocol (ServiceWorker.deliverPushMessage) with payloads Herald really
// built (the Go side had the push simulator decrypt them).
//
// node chromium.mjs '<json config>'  config: {api, appId, screenshot, payloads: {name: payload}}
// Prints one JSON line {ok, checks} and exits 0, or prints the failure and exits 1.
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const api = cfg.api;
const step = (s) => console.error('chromium: ' + s);
const checks = [];
function expect(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  checks.push(what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  timeout: 60000,
});
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  context.setDefaultTimeout(30000);
  await context.grantPermissions(['notifications'], { origin: api });
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

  // The demo page: loads, registers its worker, nothing asks for permission.
  await page.goto(`${api}/demo?app=${cfg.appId}`);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope === `${api}/demo/`, 'demo registers its service worker with scope /demo/');
  for (const sel of ['h1', '#app-id', '#enable', '#send', '#status']) {
    expect(await page.locator(sel).isVisible(), `demo shows ${sel}`);
  }
  expect((await page.locator('h1').textContent()).includes('Herald'), 'demo heading names Herald');
  expect(await page.inputValue('#app-id') === cfg.appId, 'demo fills the app id from the URL');
  await page.screenshot({ path: cfg.screenshot, fullPage: true });

  while (!registrations.some((r) => r.scopeURL === scope && !r.isDeleted)) {
    await new Promise((resolve) => { onRegistration = resolve; });
  }
  const registrationId = registrations.find((r) => r.scopeURL === scope).registrationId;
  let sw = context.serviceWorkers().find((w) => w.url().includes('/demo/sw.js'));
  if (!sw) sw = await context.waitForEvent('serviceworker', (w) => w.url().includes('/demo/sw.js'));

  // Every message the worker posts to the page, kept for waitMessage.
  const listen = () => page.evaluate(() => {
    window.__herald = [];
    navigator.serviceWorker.addEventListener('message', (e) => window.__herald.push(e.data));
  });
  await listen();
  const waitEvent = async (type, id) => {
    const h = await page.waitForFunction(([type, id]) => (window.__herald || []).find(
      (m) => m.herald === 'event' && m.type === type && m.notification_id === id), [type, id]);
    return h.jsonValue();
  };
  const push = async (name) => {
    const p = cfg.payloads[name];
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: api, registrationId, data: JSON.stringify(p) });
    const ev = await waitEvent('received', p.notification_id);
    expect(ev.result.status === 202 && ev.result.body.counted === true, `${name}: received reported and counted`);
    return p;
  };
  const shown = (tag) => sw.evaluate(async (tag) => (await self.registration.getNotifications({ tag }))
    .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data, actions: n.actions.map((a) => a.action),
      requireInteraction: n.requireInteraction, icon: n.icon })), tag);

  // Display: every field of the payload reaches showNotification.
  const first = await push('display');
  const [n1] = await shown(first.tag);
  expect(n1 && n1.title === first.title && n1.body === first.body, 'display: title and body');
  expect(n1.actions.join(',') === 'yes,no', 'display: action buttons');
  expect(n1.requireInteraction === true && n1.icon.endsWith('/icon.png'), 'display: require_interaction and icon');
  expect(n1.data.data && n1.data.data.order === 42, 'display: data passed to the page');

  // Stacking: same tag replaces, with "and N more".
  await push('stack1');
  await push('stack2');
  let stack = await shown('news');
  expect(stack.length === 1 && stack[0].body.endsWith('and 1 more'), 'stack: second of a tag says "and 1 more"');
  await push('stack3');
  stack = await shown('news');
  expect(stack.length === 1 && stack[0].title === cfg.payloads.stack3.title && stack[0].body.endsWith('and 2 more'),
    'stack: third shows the newest title and "and 2 more"');

  // Click on the body: the open demo window is navigated to the url.
  const click = await push('click');
  const clickDone = sw.evaluate(async (tag) => {
    const [n] = await self.registration.getNotifications({ tag });
    await self.HeraldSW.onClick(n, '');
  }, click.tag);
  await page.waitForURL((u) => u.href === click.url);
  await clickDone;
  expect(true, 'click: the open window navigates to the notification url');
  expect((await shown(click.tag)).length === 0, 'click: the notification is closed');
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  await listen();

  // Action button: opens the action's own url and reports the action.
  const act = await push('action');
  const actDone = sw.evaluate(async (tag) => {
    const [n] = await self.registration.getNotifications({ tag });
    return self.HeraldSW.onClick(n, 'buy');
  }, act.tag);
  const [clickResult] = await actDone;
  expect(clickResult && clickResult.status === 202 && clickResult.body.counted, 'action: clicked reported with action');
  await page.waitForURL((u) => u.href === act.actions[0].url);
  expect(true, 'action: the window goes to the action url');
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  await listen();

  // Dismiss.
  const dis = await push('dismiss');
  const dismissed = await sw.evaluate(async (tag) => {
    const [n] = await self.registration.getNotifications({ tag });
    return self.HeraldSW.onClose(n);
  }, dis.tag);
  expect(dismissed && dismissed.status === 202 && dismissed.body.counted, 'dismiss: dismissed reported');

  console.log(JSON.stringify({ ok: true, checks }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e), checks }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
