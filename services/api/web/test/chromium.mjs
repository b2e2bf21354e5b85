// Chromium test of herald-sw.js and the demo page, driven by the Go test
// (services/herald/browser_chromium_test.go). Chromium cannot subscribe
// offline, so pushes are handed to the service worker over the DevTools
// protocol (ServiceWorker.deliverPushMessage) with payloads Herald really
// built (the Go side had the push simulator decrypt them). A headless
// browser cannot click a notification either: clicks and closes are
// dispatched as NotificationEvents inside the worker, where herald-sw.js's
// own listeners handle them.
//
// node chromium.mjs '<json config>'  config: {api, appId, screenshot, payloads: {name: payload}}
// api is the test's front proxy: POST /_test/offline?on=1 makes Herald
// unreachable for engagement reports.
// Prints one JSON line {ok, checks} and exits 0, or prints the failure and exits 1.
import { run, demoWorker } from './lib.mjs';

const cfg = JSON.parse(process.argv[2]);
const api = cfg.api;

await run([], async (browser, expect) => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  context.setDefaultTimeout(30000);
  await context.grantPermissions(['notifications'], { origin: api });
  // Every message the worker posts to a page, from the page's first script on.
  await context.addInitScript(() => {
    window.__herald = [];
    navigator.serviceWorker.addEventListener('message', (e) => window.__herald.push(e.data));
  });
  const { page, cdp, sw, scope, registrationId } = await demoWorker(context, api, cfg.appId);

  // The demo page: loads, registers its worker, nothing asks for permission.
  expect(scope === `${api}/demo/`, 'demo registers its service worker with scope /demo/');
  for (const sel of ['h1', '#app-id', '#enable', '#send', '#status', '#support']) {
    expect(await page.locator(sel).isVisible(), `demo shows ${sel}`);
  }
  expect((await page.locator('h1').textContent()).includes('Herald'), 'demo heading names Herald');
  expect(await page.inputValue('#app-id') === cfg.appId, 'demo fills the app id from the URL');
  expect((await page.locator('#support').textContent()).includes('supported'), 'demo says push works here');
  await page.screenshot({ path: cfg.screenshot, fullPage: true });

  const waitMessage = async (match) => (await page.waitForFunction((m) => (window.__herald || []).find(
    (x) => Object.keys(m).every((k) => x[k] === m[k])), match)).jsonValue();
  const push = async (name, counted = true) => {
    const p = cfg.payloads[name];
    const id = p.notification_id;
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: api, registrationId, data: JSON.stringify(p) });
    const ev = await waitMessage({ herald: 'event', type: 'received', notification_id: id });
    if (counted) expect(ev.result.status === 202 && ev.result.body.counted === true, `${name}: received reported and counted`);
    return { p, id, ev };
  };
  const shown = (tag) => sw.evaluate(async (tag) => (await self.registration.getNotifications({ tag }))
    .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data, actions: n.actions.map((a) => a.action),
      requireInteraction: n.requireInteraction, icon: n.icon, lang: n.lang, dir: n.dir })), tag);
  // dispatch fires a notificationclick or notificationclose inside the worker
  // for the newest notification with tag.
  const dispatch = (type, tag, action = '') => sw.evaluate(async ([type, tag, action]) => {
    const list = await self.registration.getNotifications({ tag });
    if (!list.length) throw new Error('no notification tagged ' + tag);
    self.dispatchEvent(new NotificationEvent(type, { notification: list[list.length - 1], action }));
  }, [type, tag, action]);
  const offline = (on) => fetch(`${api}/_test/offline?on=${on ? 1 : 0}`, { method: 'POST' });

  // Display: every field of the payload reaches showNotification, and the
  // declarative format shows the same notification as the standard one.
  const { p: first } = await push('display');
  const [n1] = await shown('order');
  expect(n1 && n1.title === first.title && n1.body === first.body, 'display: title and body');
  expect(n1.actions.join(',') === 'yes,no', 'display: action buttons');
  expect(n1.requireInteraction === true && n1.icon.endsWith('/icon.png'), 'display: require_interaction and icon');
  expect(n1.data.data && n1.data.data.order === 42, 'display: data passed to the page');
  const { p: decl } = await push('declarative');
  expect(decl.web_push === 8030 && decl.notification.navigate, 'declarative: the payload is Declarative Web Push JSON');
  const [nd] = await shown('order-declarative');
  const same = (k) => JSON.stringify(nd[k]) === JSON.stringify(n1[k]);
  expect(nd && ['title', 'body', 'actions', 'requireInteraction', 'icon'].every(same) &&
    nd.data.data.order === 42 && nd.data.herald.url === decl.notification.navigate,
  'declarative: shown exactly as the standard payload, navigate as the click target');

  // Badge: app_badge reaches navigator.setAppBadge with the number sent.
  await sw.evaluate(() => {
    self.__badges = [];
    const nav = self.navigator, set = nav.setAppBadge.bind(nav);
    Object.defineProperty(nav, 'setAppBadge', { configurable: true, value: (n) => { self.__badges.push(n); return set(n); } });
  });
  const { p: badged } = await push('badge');
  const badgeShown = await waitMessage({ herald: 'shown', notification_id: badged.notification_id });
  const badges = await sw.evaluate(() => self.__badges);
  expect(badges.length === 1 && badges[0] === badged.app_badge && badgeShown.badge_set === true,
    `badge: setAppBadge(${badged.app_badge}) called and resolved`);

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
  const { p: click } = await push('click');
  await dispatch('notificationclick', click.tag);
  await page.waitForURL((u) => u.href === click.url);
  expect(true, 'click: the open window navigates to the notification url');
  expect((await shown(click.tag)).length === 0, 'click: the notification is closed');
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);

  // Action button: opens the action's own url and reports the action.
  const { p: act } = await push('action');
  await dispatch('notificationclick', act.tag, 'buy');
  await page.waitForURL((u) => u.href === act.actions[0].url);
  expect(true, 'action: the window goes to the action url');
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);

  // A signed click link (click_tracking "link"): the click opens Herald's
  // link, which counts it and redirects to the target; a second click by
  // this browser lands again and is not counted again (the Go side checks).
  const { p: tracked } = await push('tracked');
  const link = tracked.notification.navigate;
  expect(tracked.click_report === 'link' && link.includes('/v1/clicks/') && link.includes('u=' + encodeURIComponent(`${api}/demo/?clicked=link`)),
    'tracked: navigate is a signed Herald link to the target');
  for (const round of ['first', 'second']) {
    if (round === 'second') await push('tracked', false);
    await page.goto(`${api}/demo/?app=${cfg.appId}`);
    await page.waitForFunction(() => !!navigator.serviceWorker.controller);
    await dispatch('notificationclick', 'tracked');
    await page.waitForURL((u) => u.href === `${api}/demo/?clicked=link`);
    expect(true, `tracked: the ${round} click goes through Herald's link and lands on the target`);
  }

  // Dismiss.
  const { p: dis } = await push('dismiss');
  await dispatch('notificationclose', dis.tag);
  const dismissed = await waitMessage({ herald: 'event', type: 'dismissed', notification_id: dis.notification_id });
  expect(dismissed.result.status === 202 && dismissed.result.body.counted, 'dismiss: dismissed reported');

  // Offline, then Background Sync: the report is kept and sent by the sync
  // event (dispatched over DevTools: Chromium's own retry comes minutes later).
  await offline(true);
  const { ev: kept1 } = await push('offline-sync', false);
  expect(kept1.result.status === 0 && kept1.result.queued === true, 'offline: the received report is kept');
  await offline(false);
  await cdp.send('ServiceWorker.dispatchSyncEvent', { origin: api, registrationId, tag: 'herald-reports', lastChance: false });
  const late1 = await waitMessage({ herald: 'event', type: 'received', notification_id: cfg.payloads['offline-sync'].notification_id, late: true });
  expect(late1.result.status === 202 && late1.result.body.counted, 'background sync: the kept report is sent and counted');

  // Offline, then the next page load: herald.js asks the worker to send what
  // it kept (the way browsers without Background Sync get it out).
  await offline(true);
  const { ev: kept2 } = await push('offline-reload', false);
  expect(kept2.result.queued === true, 'offline: a second report is kept');
  await offline(false);
  await page.reload();
  const flushed = await waitMessage({ herald: 'flushed' });
  const late2 = await waitMessage({ herald: 'event', type: 'received', notification_id: cfg.payloads['offline-reload'].notification_id, late: true });
  expect(flushed.sent === 1 && flushed.pending === 0 && late2.result.body.counted, 'page load: the kept report is sent and counted');
});
