/* Herald service worker library. In your own service worker:
 *
 *   importScripts('https://herald.example/sdk/herald-sw.js');
 *   HeraldSW.configure({apiBase: 'https://herald.example', appId: '...'});
 *
 * It shows Herald's pushes in either payload format (Herald's standard JSON
 * or WebKit's Declarative Web Push JSON, which browsers without Declarative
 * Web Push deliver here as an ordinary push), sets the app badge, stacks
 * notifications that share a tag, focuses or opens the target page on click,
 * reports received / clicked / dismissed to Herald with the token Herald
 * signed into the payload (keeping reports made offline until the network is
 * back), and moves the subscription over when the browser replaces it. */
(function (sw) {
  'use strict';
  var cfg = { apiBase: sw.location.origin, appId: '' };
  var DB_NAME = 'herald', REPORTS = 'reports', META = 'meta', SYNC_TAG = 'herald-reports';

  function configure(o) {
    if (o && o.apiBase) cfg.apiBase = String(o.apiBase).replace(/\/+$/, '');
    if (o && o.appId) cfg.appId = o.appId;
  }
  function randomID() {
    var b = new Uint8Array(16);
    sw.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function endpoint() {
    return sw.registration.pushManager.getSubscription()
      .then(function (s) { return s ? s.endpoint : ''; }, function () { return ''; });
  }
  function tell(msg) {
    return sw.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
      list.forEach(function (c) { c.postMessage(msg); });
    });
  }
  function wait(ms) { return new Promise(function (res) { setTimeout(res, ms); }); }

  // keep extends event's lifetime until p settles. Events a page or a test
  // dispatches itself cannot be extended (waitUntil throws for them); their
  // work still runs.
  function keep(event, p) {
    try { event.waitUntil(p); } catch (e) { if (event.isTrusted) throw e; }
    return p;
  }

  // --- reports kept while offline (IndexedDB), sent by flush -------------

  function db() {
    return new Promise(function (resolve, reject) {
      var req = sw.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(REPORTS, { autoIncrement: true });
        req.result.createObjectStore(META);
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode), out;
        out = fn(t.objectStore(store));
        t.oncomplete = function () { d.close(); resolve(out && 'result' in out ? out.result : out); };
        t.onerror = t.onabort = function () { d.close(); reject(t.error); };
      });
    });
  }
  function remember(key, value) { return tx(META, 'readwrite', function (s) { s.put(value, key); }).catch(function () {}); }
  function recall(key) { return tx(META, 'readonly', function (s) { return s.get(key); }).catch(function () { return undefined; }); }

  // post sends one report body; 'retry' means keep it for later.
  function post(body) {
    return fetch(cfg.apiBase + '/v1/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          return { status: r.status, body: j, retry: r.status >= 500 || r.status === 429 };
        });
      }, function (e) { return { status: 0, error: String(e), retry: true }; });
  }
  function enqueue(body) {
    return tx(REPORTS, 'readwrite', function (s) { s.add({ body: body, at: Date.now() }); }).then(function () {
      // Background Sync sends it when the network is back; browsers without
      // it get a flush on the next push, page load (herald.js asks) or start.
      return sw.registration.sync ? sw.registration.sync.register(SYNC_TAG).catch(function () {}) : null;
    }).catch(function () {});
  }
  // kept lists the kept reports, oldest first, with their keys.
  function kept() {
    return tx(REPORTS, 'readonly', function (s) {
      var out = { result: [] }, req = s.openCursor();
      req.onsuccess = function () {
        var c = req.result;
        if (c) { out.result.push({ key: c.key, body: c.value.body }); c.continue(); }
      };
      return out;
    });
  }
  var flushing = null;
  // flush sends the kept reports oldest first and stops at the first that
  // still cannot go out. Herald counts a report once, so a resend is safe.
  function flush() {
    if (flushing) return flushing;
    flushing = kept().then(function (items) {
      var sent = 0, i = 0;
      var next = function () {
        if (i >= items.length) return sent;
        var item = items[i++];
        return post(item.body).then(function (res) {
          if (res.retry) throw new Error('Herald is still unreachable');
          sent++;
          return tx(REPORTS, 'readwrite', function (s) { s.delete(item.key); }).then(function () {
            var j = JSON.parse(item.body);
            return tell({ herald: 'event', type: j.type, action: j.action, notification_id: j.notification_id, result: res, late: true });
          }).then(next);
        });
      };
      return next();
    }).then(function (n) { flushing = null; return n; }, function (e) { flushing = null; throw e; });
    return flushing;
  }
  function pending() { return tx(REPORTS, 'readonly', function (s) { return s.count(); }).catch(function () { return 0; }); }

  // report posts one event, retrying twice on network errors and 5xx; if it
  // still cannot go out it is kept and sent later.
  function report(type, h, action) {
    if (!h || !h.notification_id || !h.token) return Promise.resolve(null);
    return endpoint().then(function (ep) {
      var body = JSON.stringify({ notification_id: h.notification_id, token: h.token, type: type,
        action: action || '', endpoint: ep, event_id: ep ? '' : randomID() });
      var attempt = function (n) {
        return post(body).then(function (res) {
          if (!res.retry || n <= 0) return res;
          return wait(1000).then(function () { return attempt(n - 1); });
        });
      };
      return attempt(2).then(function (res) {
        if (!res.retry) return flush().catch(function () {}).then(function () { return res; });
        return enqueue(body).then(function () { res.queued = true; return res; });
      });
    }).then(function (res) {
      var msg = { herald: 'event', type: type, action: action || '', notification_id: h.notification_id, result: res };
      return tell(msg).then(function () { return res; });
    });
  }

  // --- payloads ----------------------------------------------------------

  // normalize reads either payload format into one shape: Herald's standard
  // JSON as it is, or Declarative Web Push JSON (web_push: 8030, the fields
  // under notification, url as navigate) with Herald's members at the top.
  function normalize(p) {
    if (!p || p.web_push !== 8030 || !p.notification || typeof p.notification !== 'object') return p;
    var n = p.notification, out = {};
    ['title', 'body', 'icon', 'badge', 'image', 'tag', 'lang', 'dir', 'silent', 'require_interaction',
      'renotify', 'vibrate', 'timestamp', 'data'].forEach(function (k) { if (n[k] !== undefined) out[k] = n[k]; });
    // NotificationOptions' own name, which Herald's declarative payloads use.
    if (n.requireInteraction !== undefined) out.require_interaction = n.requireInteraction;
    out.url = n.navigate;
    out.actions = (n.actions || []).map(function (a) { return { action: a.action, title: a.title, url: a.navigate, icon: a.icon }; });
    ['notification_id', 'event_token', 'app_badge', 'click_report'].forEach(function (k) { if (p[k] !== undefined) out[k] = p[k]; });
    return out;
  }

  // badge applies app_badge: a count sets the badge, 0 clears it, true shows
  // a plain mark. Browsers without the Badging API skip it.
  function badge(n) {
    var nav = sw.navigator;
    if (n === undefined || n === null || !nav || !nav.setAppBadge) return Promise.resolve(null);
    var call = n === 0 ? nav.clearAppBadge() : n === true ? nav.setAppBadge() : nav.setAppBadge(n);
    return Promise.resolve(call).then(function () { return true; }, function () { return false; });
  }

  // show displays a payload; with a tag already on screen it replaces that
  // notification with "... and N more".
  function show(p) {
    var title = p.title || '';
    // click_report says who counts a click: absent, this worker reports it;
    // "link", url is a signed Herald link that counts it; "page", url
    // carries herald_click, which herald.js on the landing page reports.
    var h = { notification_id: p.notification_id, token: p.event_token, url: p.url || '', actions: {}, stack: 1,
      click_report: p.click_report || '' };
    (p.actions || []).forEach(function (a) { if (a.url) h.actions[a.action] = a.url; });
    var opts = {
      body: p.body || '', icon: p.icon, badge: p.badge, image: p.image, tag: p.tag || '', lang: p.lang, dir: p.dir,
      timestamp: p.timestamp, renotify: !!(p.renotify && p.tag), requireInteraction: !!p.require_interaction,
      silent: !!p.silent, vibrate: p.silent ? undefined : p.vibrate,
      data: { herald: h, data: p.data === undefined ? null : p.data },
      actions: (p.actions || []).map(function (a) { return { action: a.action, title: a.title, icon: a.icon }; })
    };
    Object.keys(opts).forEach(function (k) { if (opts[k] === undefined) delete opts[k]; });
    var stacked = p.tag ? sw.registration.getNotifications({ tag: p.tag }) : Promise.resolve([]);
    return stacked.then(function (list) {
      var prev = list.length ? list[list.length - 1].data : null;
      if (prev && prev.herald) {
        h.stack = (prev.herald.stack || 1) + 1;
        opts.body = (opts.body ? opts.body + '\n' : '') + 'and ' + (h.stack - 1) + ' more';
      }
      return Promise.all([sw.registration.showNotification(title, opts), badge(p.app_badge)]);
    }).then(function (done) {
      return tell({ herald: 'shown', notification_id: p.notification_id, title: title, body: opts.body, tag: opts.tag,
        url: h.url, app_badge: p.app_badge === undefined ? null : p.app_badge, badge_set: done[1] });
    }).then(function () { return Promise.all([report('received', h), flush().catch(function () {})]); });
  }

  function onPush(data) {
    var p;
    try { p = typeof data === 'string' ? JSON.parse(data) : data; } catch (e) { p = { title: String(data) }; }
    if (!p || typeof p !== 'object') p = { title: String(data) };
    return show(normalize(p));
  }

  // --- clicks ------------------------------------------------------------

  // landing is where a click ends up: a signed Herald link's target (its u
  // parameter), else the url itself.
  function landing(url, h) {
    if (h.click_report !== 'link') return url;
    try { return new URL(url).searchParams.get('u') || url; } catch (e) { return url; }
  }

  // focusOrOpen brings a window of the landing page's origin forward and
  // navigates it to url, or opens one.
  function focusOrOpen(url, origin) {
    var target = new URL(url, sw.location.origin);
    return sw.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
      var win = list.filter(function (c) { return new URL(c.url).origin === origin; })[0];
      if (!win) return sw.clients.openWindow(target.href);
      return Promise.resolve(win.focus ? win.focus() : win).catch(function () { return win; }).then(function (w) {
        w = w || win;
        if (w.url === target.href) return w;
        return Promise.resolve(w.navigate ? w.navigate(target.href) : null).catch(function () { return null; })
          .then(function (nav) {
            // navigate() works only on windows this worker controls; others
            // are asked to go there themselves (herald.js listens).
            if (!nav) w.postMessage({ herald: 'navigate', url: target.href });
            return nav || w;
          });
      });
    });
  }

  // clickedIDs are notifications this worker closed because they were
  // clicked: some browsers (Firefox) fire notificationclose for that close,
  // which is not a dismissal.
  var clickedIDs = {};

  function onClick(notification, action) {
    var h = (notification.data && notification.data.herald) || {};
    if (h.notification_id) clickedIDs[h.notification_id] = true;
    notification.close();
    var url = (action && h.actions && h.actions[action]) || h.url;
    var counted = h.click_report === 'link' || h.click_report === 'page' ? Promise.resolve(null) : report('clicked', h, action);
    var go = url ? focusOrOpen(url, new URL(landing(url, h), sw.location.origin).origin) : null;
    return Promise.all([counted, go]);
  }

  function onClose(notification) {
    var h = (notification.data && notification.data.herald) || {};
    if (clickedIDs[h.notification_id]) {
      delete clickedIDs[h.notification_id];
      return Promise.resolve(null);
    }
    return report('dismissed', h);
  }

  // --- subscription changes ------------------------------------------------

  function applicationServerKey(old) {
    var key = old && old.options && old.options.applicationServerKey;
    if (key) return Promise.resolve(key);
    if (!cfg.appId) return Promise.reject(new Error('HeraldSW.configure({appId}) is needed to resubscribe'));
    return fetch(cfg.apiBase + '/v1/apps/' + encodeURIComponent(cfg.appId) + '/vapid-public-key')
      .then(function (r) { return r.json(); }).then(function (j) { return j.public_key; });
  }

  // onSubscriptionChange resubscribes when the browser has not already and
  // asks Herald to move user and topics from the old endpoint to the new.
  function onSubscriptionChange(event) {
    var old = event.oldSubscription;
    var next = event.newSubscription ? Promise.resolve(event.newSubscription) : applicationServerKey(old).then(function (key) {
      return sw.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    });
    return Promise.all([next, old ? old.endpoint : recall('endpoint')]).then(function (both) {
      var sub = both[0], oldEndpoint = both[1] || '';
      if (!cfg.appId || !oldEndpoint) return null;
      return fetch(cfg.apiBase + '/v1/apps/' + encodeURIComponent(cfg.appId) + '/subscriptions/replace', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ old_endpoint: oldEndpoint, subscription: sub.toJSON() })
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          return remember('endpoint', sub.endpoint).then(function () {
            return tell({ herald: 'resubscribed', old_endpoint: oldEndpoint, endpoint: sub.endpoint, status: r.status, result: j });
          });
        });
      });
    });
  }

  // --- listeners -----------------------------------------------------------

  sw.addEventListener('push', function (event) {
    var data = null;
    if (event.data) { try { data = event.data.json(); } catch (e) { data = event.data.text(); } }
    keep(event, onPush(data || { title: 'New notification' }));
  });
  sw.addEventListener('notificationclick', function (event) {
    keep(event, onClick(event.notification, event.action));
  });
  sw.addEventListener('notificationclose', function (event) {
    keep(event, onClose(event.notification));
  });
  sw.addEventListener('pushsubscriptionchange', function (event) {
    keep(event, onSubscriptionChange(event));
  });
  sw.addEventListener('sync', function (event) {
    // A rejection makes the browser try again later, with backoff.
    if (event.tag === SYNC_TAG) keep(event, flush());
  });
  sw.addEventListener('activate', function (event) {
    keep(event, flush().catch(function () {}));
  });
  // herald.js asks for a flush on page load, tells the endpoint it
  // subscribed with, and hands over reports made by the page.
  sw.addEventListener('message', function (event) {
    var m = event.data || {};
    if (m.herald === 'flush') {
      keep(event, flush().then(function (n) { return pending().then(function (left) { return { sent: n, pending: left }; }); },
        function () { return pending().then(function (left) { return { sent: 0, pending: left }; }); })
        .then(function (res) { if (event.source) event.source.postMessage({ herald: 'flushed', sent: res.sent, pending: res.pending }); }));
    } else if (m.herald === 'subscribed' && m.endpoint) {
      keep(event, remember('endpoint', m.endpoint));
    } else if (m.herald === 'report' && m.body) {
      keep(event, report(m.body.type, { notification_id: m.body.notification_id, token: m.body.token }, m.body.action));
    }
  });

  sw.HeraldSW = { configure: configure, onPush: onPush, onClick: onClick, onClose: onClose, report: report,
    flush: flush, normalize: normalize };
})(self);
