// Chromium test of the demo's "Enable notifications" when the browser's push
// service cannot be reached, driven by the Go test
// (services/herald/browser_demo_test.go). Each step shows as it starts, and
// the page says what failed within about 10 s, the button usable again:
// first as this offline Chromium really fails, then with a push service
// that never answers (pushManager.subscribe made to hang, as a browser
// behind a network that drops its push connection sees it).
//
// node chromium-enable.mjs '<json config>'  config: {api, appId}
import { run, step } from './lib.mjs';

const cfg = JSON.parse(process.argv[2]);

await run([], async (browser, expect) => {
  const attempt = async (what, hang) => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: cfg.api });
    if (hang) await context.addInitScript(() => { PushManager.prototype.subscribe = () => new Promise(() => {}); });
    const page = await context.newPage();
    page.on('console', (m) => step('console: ' + m.text()));
    await page.goto(`${cfg.api}/demo/?app=${cfg.appId}`);
    await page.waitForFunction(() => document.getElementById('support').textContent === 'supported');
    await page.evaluate(() => {
      const p = document.getElementById('progress');
      window.__progress = [];
      new MutationObserver(() => window.__progress.push(p.textContent)).observe(p, { childList: true, characterData: true, subtree: true });
    });
    const started = Date.now();
    await page.click('#enable');
    await page.waitForFunction(() => document.getElementById('progress').classList.contains('failed'), null, { timeout: 20000 });
    const elapsed = Date.now() - started;
    const seen = await page.evaluate(() => window.__progress);
    const shown = await page.locator('#progress').textContent();
    step(`${what}: ${elapsed} ms, progress ${JSON.stringify(seen)}`);
    expect(seen.some((t) => t.includes('push service')), `${what}: the push-service step shows while it runs`);
    expect(elapsed < 12000, `${what}: the error shows within about 10 s (${elapsed} ms)`);
    expect(shown.startsWith('Could not enable notifications: ') && shown.length > 40, `${what}: the error says what failed`);
    expect(await page.locator('#enable').isEnabled(), `${what}: the button is usable again`);
    await context.close();
    return { elapsed, shown };
  };
  await attempt('offline Chromium', false);
  const hung = await attempt('a push service that never answers', true);
  expect(hung.elapsed >= 9500 && hung.shown.includes('did not answer within 10 s'),
    `a push service that never answers: the 10 s timeout fires (${hung.elapsed} ms: ${hung.shown})`);
});
