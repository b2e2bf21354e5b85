// Drives Herald's /dashboard in headless Chromium: logs in with the admin
// token, waits for live numbers, checks the charts are drawn, takes a
// screenshot, retries a dead letter, and prints what it saw as JSON for the
// Go test to compare with Herald's own figures.
//
// env: HERALD_URL, HERALD_ADMIN_TOKEN, SCREENSHOT (PNG path),
//      CHROMIUM (optional; else chromium or chromium-browser from PATH)
import { launch, logIn, must, openPage } from './browser.mjs';

const base = must('HERALD_URL');
const token = must('HERALD_ADMIN_TOKEN');
const screenshot = must('SCREENSHOT');

const browser = await launch();
try {
  const { page, errors } = await openPage(browser, base);

  // A wrong token is refused and the login form stays.
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', 'wrong-token');
  await page.click('#login-form button');
  await page.waitForFunction(() => document.querySelector('#login-error').textContent.includes('refused'));

  await logIn(page, token);

  // Live numbers: a broadcast in progress, deliveries per second, dead letters.
  await page.waitForFunction(() => {
    const n = (id) => Number(document.getElementById(id).textContent.replace(/,/g, ''));
    return document.querySelectorAll('#progress tbody tr').length > 0 &&
      document.querySelectorAll('#dead-letters tbody tr').length > 0 &&
      n('rate-delivered') > 0 && n('workers') > 0;
  }, null, { timeout: 60000 });
  // The broadcast's first outcomes land after its first flush, and the
  // figures behind the page are cached for seconds: wait for the bar to move.
  await page.waitForFunction(() => [...document.querySelectorAll('#progress [role=progressbar]')]
    .some((bar) => Number(bar.getAttribute('aria-valuenow')) > 0), null, { timeout: 30000 });
  // Let the queue-depth chart gather a few samples.
  await page.waitForTimeout(4500);

  const seen = await page.evaluate(() => {
    const t = (id) => document.getElementById(id).textContent;
    const rows = (sel) => [...document.querySelectorAll(`${sel} tbody tr`)];
    const inked = (id) => {
      const c = document.getElementById(id);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    };
    return {
      status: t('status'),
      tiles: Object.fromEntries(['workers', 'rate-delivered', 'rate-failed', 'subs-active', 'notes-sending', 'dead-count']
        .map((id) => [id, t(id)])),
      queues: rows('#queues').map((r) => [...r.cells].map((c) => c.textContent)),
      progress: rows('#progress').map((r) => ({
        id: r.dataset.id, app: r.cells[1].textContent, status: r.cells[2].textContent,
        percent: Number(r.querySelector('[role=progressbar]').getAttribute('aria-valuenow')),
        fill: r.querySelector('.fill').style.width, label: r.querySelector('.bar .text').textContent,
      })),
      deadLetters: rows('#dead-letters').map((r) => r.dataset.id),
      deadApps: rows('#dead-letters').map((r) => r.cells[1].textContent),
      deadErrors: rows('#dead-letters').map((r) => r.cells[5].textContent),
      history: rows('#history').map((r) => ({ id: r.dataset.id, app: r.cells[1].textContent, title: r.cells[2].textContent,
        dead: Number(r.cells[7].textContent.replace(/,/g, '')), retryAll: !!r.querySelector('button.retry-all') })),
      legends: Object.fromEntries(['queues', 'deliveries', 'failures'].map((k) => [k, t(`legend-${k}`)])),
      inked: Object.fromEntries(['chart-queues', 'chart-deliveries', 'chart-failures'].map((id) => [id, inked(id)])),
    };
  });
  await page.screenshot({ path: screenshot, fullPage: true });

  // Retry the first dead letter: the button says so, and the next poll
  // drops it from the list.
  const first = seen.deadLetters[0];
  await page.click(`#dead-letters tr[data-id="${first}"] button.retry`);
  await page.waitForFunction((id) => {
    const b = document.querySelector(`#dead-letters tr[data-id="${id}"] button.retry`);
    return !b || b.textContent === 'Retried';
  }, first);
  await page.waitForFunction((id) => !document.querySelector(`#dead-letters tr[data-id="${id}"]`), first, { timeout: 15000 });
  seen.retried = first;

  // Retry all of a notification's dead letters from the history.
  const doomed = seen.history.find((h) => h.retryAll);
  if (doomed) {
    await page.click(`#history tr[data-id="${doomed.id}"] button.retry-all`);
    await page.waitForFunction((id) => {
      const b = document.querySelector(`#history tr[data-id="${id}"] button.retry-all`);
      return !b || b.textContent.startsWith('Retried') || b.textContent.startsWith('Failed');
    }, doomed.id);
    seen.retriedAll = await page.evaluate((id) => {
      const b = document.querySelector(`#history tr[data-id="${id}"] button.retry-all`);
      return b ? b.textContent : 'gone';
    }, doomed.id);
  }

  // The token survives a reload (sessionStorage) and is sent as a bearer.
  await page.reload();
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'live');
  seen.keptToken = await page.evaluate(() => document.getElementById('login').hidden);
  seen.errors = errors;
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
