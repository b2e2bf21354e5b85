/* Herald service worker library. In your own service worker:
 *
 *   importScripts('https://herald.example/sdk/herald-sw.js');
 *   HeraldSW.configure({apiBase: 'https://herald.example', appId: '...'});
 *
 * It shows Herald's pushes, stacks notifications that share a tag, focuses or
 * opens the target page on click, and reports received / clicked / dismissed
 * to Herald with the token Herald signed into the payload. */
(function (sw) {
  'use strict';
  var cfg = { apiBase: sw.location.origin, appId: '' };

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
  // report posts one event, retrying twice on network errors and 5xx.
  function report(type, h, action) {
    if (!h || !h.notification_id || !h.token) return Promise.resolve(null);
    return endpoint().then(function (ep) {
      var body = JSON.stringify({ notification_id: h.notification_id, token: h.token, type: type,
        action: action || '', endpoint: ep, event_id: ep ? '' : randomID() });
      var attempt = function (n) {
        return fetch(cfg.apiBase + '/v1/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body })
          .then(function (r) {
            if (r.status >= 500 && n > 0) throw new Error('HTTP ' + r.status);
            return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
          })
          .catch(function (e) {
            if (n <= 0) return { status: 0, error: String(e) };
            return new Promise(function (res) { setTimeout(res, 1000); }).then(function () { return attempt(n - 1); });
          });
      };
      return attempt(2);
    }).then(function (res) {
      return tell({ herald: 'event', type: type, action: action || '', notification_id: h.notification_id, result: res })
        .then(function () { return res; });
    });
  }

  // show displays a decrypted Herald payload; with a tag already on screen it
  // replaces that notification with "... and N more".
  function show(p) {
    var title = p.title || '';
    var h = { notification_id: p.notification_id, token: p.event_token, url: p.url || '', actions: {}, stack: 1 };
    (p.actions || []).forEach(function (a) { if (a.url) h.actions[a.action] = a.url; });
    var opts = {
      body: p.body || '', icon: p.icon, badge: p.badge, image: p.image, tag: p.tag || '',
      renotify: !!(p.renotify && p.tag), requireInteraction: !!p.require_interaction, silent: !!p.silent,
      vibrate: p.vibrate, data: { herald: h, data: p.data === undefined ? null : p.data },
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
      return sw.registration.showNotification(title, opts);
    }).then(function () {
      return tell({ herald: 'shown', notification_id: p.notification_id, title: title, body: opts.body, tag: opts.tag });
    }).then(function () { return report('received', h); });
  }

  function onPush(data) {
    var p;
    try { p = typeof data === 'string' ? JSON.parse(data) : data; } catch (e) { p = { title: String(data) }; }
    if (!p || typeof p !== 'object') p = { title: String(data) };
    return show(p);
  }

  // focusOrOpen brings a window of url's origin forward and navigates it, or
  // opens one.
  function focusOrOpen(url) {
    var target = new URL(url, sw.location.origin);
    return sw.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
      var win = list.filter(function (c) { return new URL(c.url).origin === target.origin; })[0];
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

  function onClick(notification, action) {
    var h = (notification.data && notification.data.herald) || {};
    notification.close();
    var url = (action && h.actions && h.actions[action]) || h.url;
    return Promise.all([report('clicked', h, action), url ? focusOrOpen(url) : null]);
  }

  function onClose(notification) {
    return report('dismissed', (notification.data && notification.data.herald) || {});
  }

  // onSubscriptionChange resubscribes and asks Herald to replace the old endpoint.
  function onSubscriptionChange(event) {
    var old = event.oldSubscription;
    var key = old && old.options && old.options.applicationServerKey;
    var next = event.newSubscription ? Promise.resolve(event.newSubscription)
      : sw.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    return next.then(function (sub) {
      if (!cfg.appId) return null;
      return fetch(cfg.apiBase + '/v1/apps/' + encodeURIComponent(cfg.appId) + '/subscriptions/replace', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ old_endpoint: old ? old.endpoint : '', subscription: sub.toJSON() })
      });
    });
  }

  sw.addEventListener('push', function (event) {
    var data = null;
    if (event.data) { try { data = event.data.json(); } catch (e) { data = event.data.text(); } }
    event.waitUntil(onPush(data || { title: 'New notification' }));
  });
  sw.addEventListener('notificationclick', function (event) {
    event.waitUntil(onClick(event.notification, event.action));
  });
  sw.addEventListener('notificationclose', function (event) {
    event.waitUntil(onClose(event.notification));
  });
  sw.addEventListener('pushsubscriptionchange', function (event) {
    event.waitUntil(onSubscriptionChange(event));
  });

  sw.HeraldSW = { configure: configure, onPush: onPush, onClick: onClick, onClose: onClose, report: report };
})(self);
