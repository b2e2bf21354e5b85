// Drives the dashboard's A/B panel in headless Chromium: opens a
// notification's variants from the history, reads the columns side by
// side, takes a screenshot, closes the panel, and prints what it saw as
// JSON for the Go test to compare with the engagement it reported.
//
// env: HERALD_URL, HERALD_ADMIN_TOKEN, NOTIFICATION_ID, SCREENSHOT (PNG
//      path), CHROMIUM (optional; else chromium or chromium-browser from PATH)
import { launch, logIn, must, openPage } from './browser.mjs';

const base = must('HERALD_URL');
const token = must('HERALD_ADMIN_TOKEN');
const id = must('NOTIFICATION_ID');
const screenshot = must('SCREENSHOT');

const browser = await launch();
try {
  const { page, errors } = await openPage(browser, base);
  await logIn(page, token);
  const button = `#history tr[data-id="${id}"] button.show-variants`;
  await page.locator(button).waitFor({ timeout: 15000 });
  const seen = { button: await page.locator(button).textContent() };
  await page.click(button);
  await page.waitForFunction((id) => {
    const panel = document.getElementById('variants-panel');
    return !panel.hidden && panel.dataset.id === id && document.querySelectorAll('#variants th.variant').length > 0;
  }, id);
  // A poll after the click redraws the panel from fresh figures: read it
  // after one, so what is read is what polling keeps showing.
  const updated = await page.locator('#updated').textContent();
  await page.waitForFunction((u) => document.getElementById('updated').textContent !== u, updated, { timeout: 10000 });

  Object.assign(seen, await page.evaluate(() => {
    const heads = [...document.querySelectorAll('#variants th.variant')];
    return {
      title: document.getElementById('variants-of').textContent,
      columns: heads.map((th) => ({ name: th.dataset.name, leader: th.classList.contains('leader'),
        badge: th.querySelector('.badge') ? th.querySelector('.badge').textContent : '' })),
      // Side by side: the columns' left edges, in order, on one line.
      lefts: heads.map((th) => th.getBoundingClientRect().left),
      tops: heads.map((th) => th.getBoundingClientRect().top),
      rows: Object.fromEntries([...document.querySelectorAll('#variants tbody tr')].map((tr) => [tr.dataset.row,
        [...tr.cells].slice(1).map((td) => ({ text: td.textContent, leader: td.classList.contains('leader') }))])),
    };
  }));
  await page.screenshot({ path: screenshot, fullPage: true });

  await page.click('#variants-close');
  await page.waitForTimeout(2500); // a poll goes by and leaves it closed
  seen.closed = await page.evaluate(() => document.getElementById('variants-panel').hidden);
  seen.errors = errors;
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
