// Herald's live dashboard: polls the admin JSON endpoints every 2 seconds
// with the admin token kept in sessionStorage.
'use strict';

const TOKEN_KEY = 'herald.adminToken';
const POLL_MS = 2000;
const HISTORY = 300; // queue depth samples kept (10 minutes at 2 s)
const WINDOW_BUCKETS = 120; // rate buckets shown (10 minutes at 5 s)
const COLORS = ['#2563eb', '#059669', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

const $ = (id) => document.getElementById(id);
const queueHistory = { t: [], byQueue: {} };
let timer = null;
let appNames = {}; // app id -> name, from GET /v1/apps
let variantsOf = null; // the notification whose A/B variants are shown

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(method, path) {
  const res = await fetch(path, { method, headers: { Authorization: `Bearer ${token()}` } });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) { logout('The token was refused.'); throw new Error('unauthorized'); }
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body;
}

function showLogin(message) {
  $('main').hidden = true; $('logout').hidden = true; $('login').hidden = false;
  $('login-error').textContent = message || '';
  setStatus('not connected', '');
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(timer);
  showLogin(message);
}

function setStatus(text, cls) { const s = $('status'); s.textContent = text; s.className = `status ${cls}`; }

function start() {
  $('login').hidden = true; $('main').hidden = false; $('logout').hidden = false;
  poll();
}

async function poll() {
  clearTimeout(timer);
  try {
    const [stats, dead, history, apps] = await Promise.all([api('GET', '/v1/admin/stats'),
      api('GET', '/v1/admin/dead-letters?limit=20'), api('GET', '/v1/admin/notifications?limit=20'), api('GET', '/v1/apps?limit=1000')]);
    appNames = Object.fromEntries(apps.items.map((a) => [a.id, a.name]));
    render(stats, dead, history.items);
    if (variantsOf) renderVariants(await api('GET', `/v1/admin/notifications/${encodeURIComponent(variantsOf)}`));
    setStatus('live', 'live');
    $('updated').textContent = new Date().toLocaleTimeString();
  } catch (e) {
    if (!token()) return;
    setStatus(`error: ${e.message}`, 'down');
  }
  if (token()) timer = setTimeout(poll, POLL_MS);
}

function text(id, v) { $(id).textContent = v; }
function num(v) { return Number(v).toLocaleString('en-US', { maximumFractionDigits: 1 }); }
function clock(t) { return new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }); }

function appName(id) { return appNames[id] || id || '-'; }

// Every tile is counted from what the tables below it show, in the same poll.
function render(s, dead, history) {
  const r = s.delivery_rates;
  const inProgress = s.notifications_in_progress;
  text('workers', num(s.workers));
  text('rate-delivered', num(r.delivered_per_second));
  text('rate-failed', num(r.failed_per_second + r.retry_per_second + r.gone_per_second));
  text('subs-active', num(s.counts.subscriptions.active || 0));
  text('notes-sending', num(inProgress.length));
  text('dead-count', num(dead.open));
  renderQueues(s.queues);
  renderRates(s.series.slice(-WINDOW_BUCKETS), s.bucket_seconds);
  renderProgress(inProgress);
  renderHistory(history);
  renderDeadLetters(dead.dead_letters, dead.open);
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c); else td.textContent = c;
    tr.append(td);
  }
  return tr;
}

function renderQueues(queues) {
  $('queues').tBodies[0].replaceChildren(...queues.map((q) => row([q.name, num(q.pending), num(q.active),
    num(q.scheduled), num(q.retry), num(q.archived), `${num(q.latency_ms)} ms`, num(q.processed), num(q.failed)])));
  queueHistory.t.push(Date.now() / 1000);
  for (const q of queues) {
    (queueHistory.byQueue[q.name] ||= []).push(q.pending + q.active + q.scheduled + q.retry);
  }
  if (queueHistory.t.length > HISTORY) {
    queueHistory.t.shift();
    for (const k in queueHistory.byQueue) queueHistory.byQueue[k].shift();
  }
  const series = Object.keys(queueHistory.byQueue).map((name, i) => ({
    label: name.replace(/^herald:/, ''), color: COLORS[i % COLORS.length], values: queueHistory.byQueue[name] }));
  window.lineChart($('chart-queues'), $('legend-queues'), queueHistory.t, series, clock);
}

function renderRates(points, bucket) {
  const xs = points.map((p) => p.t);
  window.lineChart($('chart-deliveries'), $('legend-deliveries'), xs, [
    { label: 'delivered', color: COLORS[1], values: points.map((p) => p.delivered / bucket) },
  ], clock);
  const reasons = new Set();
  for (const p of points) for (const k in (p.reasons || {})) reasons.add(k);
  const series = [...reasons].sort().map((k, i) => ({
    label: k, color: COLORS[(i + 2) % COLORS.length], values: points.map((p) => ((p.reasons || {})[k] || 0) / bucket) }));
  window.lineChart($('chart-failures'), $('legend-failures'), xs, series, clock);
}

function progressBar(c) {
  const done = c.delivered + c.gone + c.dead + (c.capped || 0);
  const pct = c.targeted ? Math.min(100, (100 * done) / c.targeted) : 0;
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuenow', pct.toFixed(1));
  const fill = document.createElement('div');
  fill.className = 'fill'; fill.style.width = `${pct}%`;
  const label = document.createElement('span');
  label.className = 'text';
  label.textContent = `${num(done)} / ${num(c.targeted)} (${pct.toFixed(0)}%) · delivered ${num(c.delivered)} · gone ${num(c.gone)} · dead ${num(c.dead)} · capped ${num(c.capped || 0)}`;
  bar.append(fill, label);
  return bar;
}

function renderProgress(list) {
  $('progress').tBodies[0].replaceChildren(...list.map((n) => {
    const tr = row([n.id, appName(n.app_id), n.status, progressBar(n.counts), new Date(n.created_at).toLocaleTimeString()]);
    tr.dataset.id = n.id;
    return tr;
  }));
  $('progress-empty').hidden = list.length > 0;
}

// retryAllButton retries every dead letter of a notification.
function retryAllButton(n) {
  const button = document.createElement('button');
  button.type = 'button'; button.className = 'retry-all';
  button.textContent = `Retry ${num(n.counts.dead)} dead`;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const res = await api('POST', `/v1/admin/notifications/${encodeURIComponent(n.id)}/dead-letters/retry`);
      button.textContent = `Retried ${num(res.retried)}`;
      button.classList.add('done');
    } catch (e) {
      button.textContent = `Failed: ${e.message}`;
    }
  });
  return button;
}

// variantsButton opens the panel with a notification's variants side by side.
function variantsButton(n) {
  const button = document.createElement('button');
  button.type = 'button'; button.className = 'show-variants';
  button.textContent = `A/B: ${n.variants} variants`;
  button.addEventListener('click', async () => {
    variantsOf = n.id;
    try {
      renderVariants(await api('GET', `/v1/admin/notifications/${encodeURIComponent(n.id)}`));
    } catch (e) {
      setStatus(`error: ${e.message}`, 'down');
    }
  });
  return button;
}

function renderHistory(list) {
  $('history').tBodies[0].replaceChildren(...list.map((n) => {
    const c = n.counts;
    const actions = document.createElement('span');
    if (n.variants > 0) actions.append(variantsButton(n));
    if (c.dead > 0) actions.append(retryAllButton(n));
    const tr = row([n.id, appName(n.app_id), n.title, n.status, num(c.targeted), num(c.delivered), num(c.gone), num(c.dead),
      num(c.capped), num(c.pending), new Date(n.created_at).toLocaleTimeString(), actions]);
    tr.dataset.id = n.id;
    return tr;
  }));
  $('history-empty').hidden = list.length > 0;
}

// VARIANT_ROWS are the panel's rows: a label and each variant's cell.
const VARIANT_ROWS = [
  ['weight', (v, total) => `${num(v.weight)} (${percent(v.weight / total)})`],
  ['delivered', (v) => num(v.counts.delivered)], ['gone', (v) => num(v.counts.gone)],
  ['dead', (v) => num(v.counts.dead)], ['capped', (v) => num(v.counts.capped)], ['final', (v) => num(v.counts.final)],
  ['received', (v) => num(v.counts.received)], ['clicked', (v) => num(v.counts.clicked)],
  ['dismissed', (v) => num(v.counts.dismissed)], ['click-through rate', (v) => percent(v.counts.click_through_rate)],
];

function percent(f) { return `${(100 * f).toFixed(1)}%`; }

// leaderOf is the index of the variant with the highest click-through
// rate, or -1 while none has a click or two share the highest.
function leaderOf(vs) {
  const rates = vs.map((v) => v.counts.click_through_rate);
  const best = Math.max(...rates);
  return best > 0 && rates.filter((r) => r === best).length === 1 ? rates.indexOf(best) : -1;
}

// renderVariants shows a notification's variants side by side: one column
// each, the leading click-through rate's marked.
function renderVariants(n) {
  if (n.id !== variantsOf) return; // closed, or another opened, meanwhile
  const vs = n.variants || [];
  const total = vs.reduce((sum, v) => sum + v.weight, 0);
  const lead = leaderOf(vs);
  const mark = (cell, i) => { if (i === lead) cell.classList.add('leader'); return cell; };
  const head = document.createElement('tr');
  head.append(Object.assign(document.createElement('th'), { textContent: 'variant' }));
  vs.forEach((v, i) => {
    const th = mark(Object.assign(document.createElement('th'), { className: 'variant', textContent: v.name }), i);
    th.dataset.name = v.name;
    if (i === lead) th.append(Object.assign(document.createElement('span'), { className: 'badge', textContent: 'leading CTR' }));
    head.append(th);
  });
  $('variants').tHead.replaceChildren(head);
  $('variants').tBodies[0].replaceChildren(...VARIANT_ROWS.map(([label, cell]) => {
    const tr = row([label, ...vs.map((v) => cell(v, total))]);
    tr.dataset.row = label;
    [...tr.cells].slice(1).forEach(mark);
    return tr;
  }));
  $('variants-of').textContent = `${n.notification.title || n.id} (${n.id})`;
  $('variants-panel').dataset.id = n.id;
  $('variants-panel').hidden = false;
}

// cleanError is a dead letter's error once: without the status the table
// already shows, without repeated parts, on one line.
function cleanError(d) {
  const parts = [];
  for (const p of String(d.last_error || '').replace(/\s+/g, ' ').split('; ')) {
    const part = p.trim();
    if (!part || part === `HTTP ${d.last_status}` || parts.includes(part)) continue;
    parts.push(part);
  }
  return parts.join('; ') || '-';
}

function renderDeadLetters(list, open) {
  $('dead-letters').tBodies[0].replaceChildren(...list.map((d) => {
    const button = document.createElement('button');
    button.type = 'button'; button.className = 'retry'; button.textContent = 'Retry';
    button.addEventListener('click', () => retry(d.id, button));
    const error = cleanError(d);
    const tr = row([d.id, appName(d.app_id), d.notification_id, d.attempts, d.last_status || 'none', error, button]);
    tr.cells[5].className = 'error-text';
    tr.cells[5].title = error;
    tr.dataset.id = d.id;
    return tr;
  }));
  $('dead-empty').hidden = list.length > 0;
  $('dead-summary').textContent = open > list.length ? `${num(open)} waiting; the ${num(list.length)} newest shown.` : '';
}

async function retry(id, button) {
  button.disabled = true;
  try {
    await api('POST', `/v1/admin/dead-letters/${encodeURIComponent(id)}/retry`);
    button.textContent = 'Retried';
    button.classList.add('done');
  } catch (e) {
    button.textContent = `Failed: ${e.message}`;
  }
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  start();
});
$('logout').addEventListener('click', () => logout());
$('variants-close').addEventListener('click', () => { variantsOf = null; $('variants-panel').hidden = true; });

if (token()) start(); else showLogin();
