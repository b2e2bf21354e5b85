// Chromium test of Herald.support() and the soft prompt (herald.js), driven
// by the Go test (services/herald/browser_chromium_test.go). Each reason
// support() can give is produced the way Chromium produces it: a page over
// plain http on a non-local host (mapped to the test server by Chromium's
// host resolver), notifications blocked for the site, a sandboxed frame (no
// service worker there). iOS Safari outside the Home Screen has no Push API;
// it is emulated with its user agent and without PushManager and
// Notification, as such a tab has them.
//
// node chromium-support.mjs '<json config>'  config: {api, insecure, appId}
import { run, step } from './lib.mjs';

const cfg = JSON.parse(process.argv[2]);
const { api, appId } = cfg;
const demo = (origin) => `${origin}/demo/?app=${appId}`;
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1';

await run([`--host-resolver-rules=MAP ${new URL(cfg.insecure).hostname} 127.0.0.1`], async (browser, expect) => {
  const support = async (context, url) => {
    const page = await context.newPage();
    page.on('console', (m) => step('console: ' + m.text()));
    await page.goto(url);
    await page.waitForFunction(() => !!window.Herald && document.getElementById('support').textContent !== 'checking');
    const s = await page.evaluate(() => window.Herald.support());
    const shown = await page.locator('#support').textContent();
    return { page, s, shown };
  };
  const reasonIs = (s, reason, what) => {
    expect(s.supported === !reason && s.reason === reason && (reason ? s.message.length > 20 : s.message === ''),
      `${what}: support() says ${reason || 'supported'}`);
  };

  // Supported: a secure page (loopback counts as secure).
  const ok = await browser.newContext();
  const good = await support(ok, demo(api));
  reasonIs(good.s, '', 'https-equivalent page');
  expect(good.shown === 'supported', 'the demo shows it');

  // No service worker: herald.js inside a sandboxed frame, on a page of the
  // same secure origin without the demo's Content-Security-Policy (which
  // refuses this inline script).
  const blank = await ok.newPage();
  await blank.goto(`${api}/healthz`);
  await blank.setContent(`<script>window.__framed = new Promise((resolve) => addEventListener('message', (e) => resolve(e.data), { once: true }));</script>` +
    `<iframe id="f" sandbox="allow-scripts" srcdoc="<script src='${api}/sdk/herald.js'></script><script>parent.postMessage(Herald.support(), '*')</script>"></iframe>`);
  const framed = await blank.evaluate(() => Promise.race([window.__framed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no answer from the sandboxed frame')), 10000))]));
  reasonIs(framed, 'no_service_worker', 'sandboxed frame');

  // The soft prompt: shown, styleable, "Not now" snoozes it; "Allow" asks
  // the browser from inside the click.
  const prompted = await support(ok, demo(api));
  const page = prompted.page;
  await page.evaluate(() => { window.__prompt = Herald.prompt({ text: 'Hear when your order ships?', snoozeDays: 3 }); });
  await page.locator('.herald-prompt').waitFor();
  expect(await page.locator('.herald-prompt-text').textContent() === 'Hear when your order ships?', 'prompt: shows the text given');
  expect(await page.locator('.herald-prompt').evaluate((el) => getComputedStyle(el).position) === 'fixed', 'prompt: built-in style applies');
  await page.addStyleTag({ content: '.herald-prompt { position: static; }' });
  expect(await page.locator('.herald-prompt').evaluate((el) => getComputedStyle(el).position) === 'static', 'prompt: the site\'s CSS overrides it');
  await page.click('.herald-prompt-later');
  const later = await page.evaluate(() => window.__prompt);
  expect(later.outcome === 'dismissed' && later.until > Date.now() + 2.9 * 86400000, 'prompt: "Not now" dismisses for the days asked');
  expect(await page.locator('.herald-prompt').count() === 0, 'prompt: the banner is gone');
  expect((await page.evaluate(() => Herald.prompt())).outcome === 'snoozed', 'prompt: not shown again while snoozed');
  await page.evaluate(() => localStorage.clear());
  await page.evaluate(() => {
    window.__asked = [];
    const real = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = () => { window.__asked.push(navigator.userActivation.isActive); return real(); };
    window.__prompt = Herald.prompt({ allowText: 'Yes please' });
  });
  await page.click('text=Yes please');
  const allowed = await page.evaluate(() => window.__prompt);
  const asked = await page.evaluate(() => window.__asked);
  expect(asked.length === 1 && asked[0] === true, 'prompt: "Allow" asks the browser for permission inside the click');
  expect(allowed.outcome === 'denied' || allowed.outcome === 'error', `prompt: the outcome of the browser's answer is reported (${allowed.outcome})`);

  // Insecure context: plain http on a host that is not loopback.
  const insecure = await support(ok, demo(cfg.insecure));
  reasonIs(insecure.s, 'insecure_context', 'http page');
  expect(insecure.shown === insecure.s.message, 'the demo shows why, in words');

  // Permission denied: notifications blocked for the site.
  const blocked = await browser.newContext();
  const target = await (await blocked.newCDPSession(await blocked.newPage())).send('Target.getTargetInfo');
  const bcdp = await browser.newBrowserCDPSession();
  await bcdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'denied', origin: api,
    browserContextId: target.targetInfo.browserContextId });
  const denied = await support(blocked, demo(api));
  reasonIs(denied.s, 'permission_denied', 'blocked site');
  expect((await denied.page.evaluate(() => Herald.prompt())).outcome === 'denied', 'prompt: not shown where notifications are blocked');

  // iOS Safari in a tab (emulated), then installed to the Home Screen.
  const tab = await browser.newContext({ userAgent: IPHONE, isMobile: true, hasTouch: true });
  await tab.addInitScript(() => { delete window.PushManager; delete window.Notification; });
  reasonIs((await support(tab, demo(api))).s, 'ios_not_installed', 'iOS Safari tab');
  const home = await browser.newContext({ userAgent: IPHONE, isMobile: true, hasTouch: true });
  await home.addInitScript(() => Object.defineProperty(navigator, 'standalone', { value: true }));
  reasonIs((await support(home, demo(api))).s, '', 'iOS Home Screen app');

  // No Push API at all (a desktop browser without it).
  const old = await browser.newContext();
  await old.addInitScript(() => { delete window.PushManager; });
  reasonIs((await support(old, demo(api))).s, 'no_push', 'browser without the Push API');
});
