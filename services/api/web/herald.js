/* Herald browser SDK. Load as a plain script (/sdk/herald.js, sets window.Herald)
 * or as an ES module (/sdk/herald.mjs). No build step.
 *
 *   Herald.init({appId, apiBase, serviceWorker: '/sw.js'})
 *   const s = Herald.support()      // {supported, reason, message}: say why not, in words
 *   button.onclick = () => Herald.subscribe({userId, userHash, topics})
 *   // or a small pre-permission banner whose Allow asks the browser:
 *   Herald.prompt({text: 'Get a note when your order ships?', subscribe: {userId, userHash}})
 *
 * Permission is asked only inside subscribe(), which the site must call from a
 * user gesture (a click), never on page load. */
(function (global) {
  'use strict';
  var cfg = null;
  var ready = null;
  var RENEW_WITHIN = 48 * 3600 * 1000; // re-subscribe when the subscription expires sooner
  var PUSH_TIMEOUT = 10000; // how long subscribe waits for the browser's push service

  function storeKey(name) { return 'herald:' + (name ? name + ':' : '') + cfg.appId; }
  function load(key) {
    try { return JSON.parse(global.localStorage.getItem(key) || 'null'); } catch (e) { return null; }
  }
  function store(key, v) {
    try { global.localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* private mode */ }
  }
  function saved() { return load(storeKey()); }
  function save(v) { store(storeKey(), v); }
  function timezone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { return ''; }
  }
  function urlBase64ToBytes(s) {
    var pad = '='.repeat((4 - (s.length % 4)) % 4);
    var raw = global.atob((s + pad).replace(/-/g, '+').replace(/_/g, '/'));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function api(path, init) {
    return fetch(cfg.apiBase + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) {
          var e = new Error((body.error && body.error.message) || ('HTTP ' + r.status));
          e.code = body.error && body.error.code;
          e.status = r.status;
          throw e;
        }
        return body;
      });
    });
  }
  function postJSON(path, body) {
    return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }
  function need() { if (!cfg) throw new Error('Herald.init({appId, apiBase}) first'); }

  // --- what this browser can do ------------------------------------------

  var MESSAGES = {
    insecure_context: 'Notifications need a secure page: open this site over https.',
    ios_not_installed: 'On iPhone and iPad, notifications work only in the installed app: tap Share, then ' +
      '"Add to Home Screen", and open the site from its Home Screen icon.',
    no_service_worker: 'This browser cannot run the background script notifications need here ' +
      '(private browsing, an embedded view or a sandboxed frame can block it).',
    no_push: 'This browser does not support push notifications.',
    permission_denied: 'Notifications are blocked for this site. Allow them in the browser\'s site settings to turn them on.'
  };

  function isIOS() {
    var nav = global.navigator || {};
    var ua = nav.userAgent || '';
    // iPadOS reports itself as a Mac; a touch screen gives it away.
    return /iPad|iPhone|iPod/.test(ua) || (nav.platform === 'MacIntel' && nav.maxTouchPoints > 1);
  }
  function installed() {
    if (global.navigator && global.navigator.standalone === true) return true;
    try { return !!(global.matchMedia && global.matchMedia('(display-mode: standalone)').matches); } catch (e) { return false; }
  }
  function hasServiceWorker() {
    // A sandboxed frame throws on navigator.serviceWorker instead of hiding it.
    try { return 'serviceWorker' in navigator && !!navigator.serviceWorker; } catch (e) { return false; }
  }

  /* support says whether push works here and, if not, why:
   * {supported, reason, message}; reason is one of insecure_context,
   * ios_not_installed, no_service_worker, no_push, permission_denied. */
  function support() {
    var reason = '';
    if (global.isSecureContext === false) reason = 'insecure_context';
    else if (isIOS() && !installed() && !('PushManager' in global)) reason = 'ios_not_installed';
    else if (!hasServiceWorker()) reason = 'no_service_worker';
    else if (!('PushManager' in global) || !('Notification' in global)) reason = 'no_push';
    else if (global.Notification.permission === 'denied') reason = 'permission_denied';
    return { supported: !reason, reason: reason, message: reason ? MESSAGES[reason] : '' };
  }
  function isSupported() {
    var r = support().reason;
    return !r || r === 'permission_denied';
  }

  // --- subscriptions -------------------------------------------------------

  // register posts the subscription to Herald: 201 new, 200 known (updated).
  function register(sub, opts) {
    var body = { subscription: sub.toJSON(), timezone: timezone() };
    if (opts.userId) { body.user_id = opts.userId; body.user_hash = opts.userHash; }
    if (opts.topics) body.topics = opts.topics;
    return postJSON('/v1/apps/' + encodeURIComponent(cfg.appId) + '/subscriptions', body).then(function (res) {
      save({ id: res.id, endpoint: sub.endpoint, timezone: body.timezone,
        userId: opts.userId || '', userHash: opts.userHash || '', topics: opts.topics || null });
      tellWorker({ herald: 'subscribed', endpoint: sub.endpoint });
      return { id: res.id, endpoint: sub.endpoint };
    });
  }

  function tellWorker(msg) {
    if (!ready) return;
    ready.then(function (reg) { if (reg && reg.active) reg.active.postMessage(msg); }).catch(function () {});
  }

  // withTimeout rejects when the browser's push service gives no answer in
  // ms: a browser that cannot reach it (offline, blocked by the network, a
  // build without one) may never settle pushManager.subscribe.
  function withTimeout(p, ms) {
    return new Promise(function (resolve, reject) {
      var t = setTimeout(function () {
        var e = new Error('The browser\'s push service did not answer within ' + Math.round(ms / 1000) +
          ' s: this device may be offline, or the network may block the push service.');
        e.code = 'push_service_unreachable';
        reject(e);
      }, ms);
      p.then(function (v) { clearTimeout(t); resolve(v); }, function (e) { clearTimeout(t); reject(e); });
    });
  }

  // renew replaces a subscription that expires within 48 hours, or one made
  // with a VAPID key the app has rotated away from (then key is the new
  // one), with a new subscription; Herald's replace route carries user,
  // topics and timezone over.
  function renew(reg, sub, key) {
    key = key || (sub.options && sub.options.applicationServerKey);
    var old = sub.endpoint;
    return sub.unsubscribe().then(function () {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    }).then(function (next) {
      return postJSON('/v1/apps/' + encodeURIComponent(cfg.appId) + '/subscriptions/replace',
        { old_endpoint: old, subscription: next.toJSON() }).then(function (res) {
        var s = saved() || {};
        s.id = res.id; s.endpoint = next.endpoint;
        save(s);
        tellWorker({ herald: 'subscribed', endpoint: next.endpoint });
        return s;
      });
    });
  }
  // sameKey tells whether sub was made with key (bytes); a browser that
  // does not say which key it used counts as the same.
  function sameKey(sub, key) {
    if (!sub.options || !sub.options.applicationServerKey) return true;
    var a = new Uint8Array(sub.options.applicationServerKey);
    return a.length === key.length && a.every(function (b, i) { return b === key[i]; });
  }
  function activeKey() {
    return api('/v1/apps/' + encodeURIComponent(cfg.appId) + '/vapid-public-key').then(function (r) {
      return urlBase64ToBytes(r.public_key);
    });
  }
  // rotatedKey resolves the app's active key when sub was made with another
  // one (a rotation), else null; when Herald cannot be asked, null: the old
  // key still works, the next page load tries again.
  function rotatedKey(sub) {
    return activeKey().then(function (key) { return sameKey(sub, key) ? null : key; }, function () { return null; });
  }
  function expiresSoon(sub) {
    return typeof sub.expirationTime === 'number' && sub.expirationTime - Date.now() < RENEW_WITHIN;
  }

  // --- clicks that land with herald_click ------------------------------------

  // landed reports a click that brought the visitor here with the
  // herald_click parameter (Herald adds it to links when the site, not a
  // Herald link, counts clicks), then takes the parameter out of the address.
  function landed() {
    var loc = global.location;
    if (!loc || !loc.search || loc.search.indexOf('herald_click=') < 0) return null;
    var url = new URL(loc.href);
    var value = url.searchParams.get('herald_click') || '';
    var action = url.searchParams.get('herald_action') || '';
    url.searchParams.delete('herald_click');
    url.searchParams.delete('herald_action');
    try { global.history.replaceState(global.history.state, '', url.pathname + url.search + url.hash); } catch (e) { /* ignore */ }
    var sep = value.indexOf(':');
    if (sep <= 0) return null;
    var body = { type: 'clicked', notification_id: value.slice(0, sep), token: value.slice(sep + 1), action: action };
    // The service worker sends it (with this browser's endpoint, so Herald
    // counts it once) and keeps it if the network is down.
    return ready.then(function (reg) {
      if (reg && reg.active) { reg.active.postMessage({ herald: 'report', body: body }); return body; }
      throw new Error('no service worker');
    }).catch(function () {
      body.event_id = browserID();
      return postJSON('/v1/events', body).catch(function () { return null; });
    });
  }
  function browserID() {
    var key = 'herald:browser';
    var id = load(key);
    if (!id) { id = Math.random().toString(36).slice(2) + Date.now().toString(36); store(key, id); }
    return id;
  }

  // --- the soft prompt -------------------------------------------------------

  var PROMPT_CSS = '.herald-prompt{position:fixed;left:16px;right:16px;bottom:16px;max-width:420px;margin:0 auto;' +
    'padding:16px;border-radius:10px;background:#fff;color:#1f2328;box-shadow:0 4px 18px #0003;' +
    'font:15px/1.4 system-ui,sans-serif;z-index:2147483000}' +
    '.herald-prompt-text{margin:0 0 12px}.herald-prompt-buttons{display:flex;gap:8px;justify-content:flex-end}' +
    '.herald-prompt button{border:0;border-radius:6px;padding:8px 14px;font:inherit;cursor:pointer}' +
    '.herald-prompt-allow{background:#23395d;color:#fff}.herald-prompt-later{background:#eef2f7;color:#1f2328}';

  function promptStyles(doc) {
    if (doc.getElementById('herald-prompt-style')) return;
    var style = doc.createElement('style');
    style.id = 'herald-prompt-style';
    style.textContent = PROMPT_CSS;
    // First in <head>, so the site's own rules for the same classes win.
    doc.head.insertBefore(style, doc.head.firstChild);
  }

  /* prompt shows a small banner before the browser's own permission prompt;
   * its Allow button calls subscribe() from that click. Options: text,
   * allowText, laterText, subscribe (subscribe()'s options), snoozeDays
   * (after "Not now", default 7), delay (ms before showing), container,
   * unstyled (no built-in CSS; style .herald-prompt yourself). Resolves
   * {outcome: subscribed|dismissed|snoozed|already|unsupported|denied|error}. */
  function prompt(o) {
    need();
    o = o || {};
    var s = support();
    if (!s.supported) return Promise.resolve({ outcome: s.reason === 'permission_denied' ? 'denied' : 'unsupported', reason: s.reason, message: s.message });
    var snooze = load(storeKey('prompt'));
    if (snooze && snooze.until > Date.now()) return Promise.resolve({ outcome: 'snoozed', until: snooze.until });
    return Herald.isSubscribed().then(function (yes) {
      if (yes) return { outcome: 'already', subscription: saved() };
      return new Promise(function (resolve) { setTimeout(resolve, o.delay || 0); }).then(function () { return banner(o); });
    });
  }

  function banner(o) {
    var doc = global.document;
    if (!o.unstyled) promptStyles(doc);
    var box = doc.createElement('div');
    box.className = 'herald-prompt';
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-live', 'polite');
    var text = doc.createElement('p');
    text.className = 'herald-prompt-text';
    text.textContent = o.text || 'Get notified about updates from this site?';
    var buttons = doc.createElement('div');
    buttons.className = 'herald-prompt-buttons';
    var later = doc.createElement('button');
    later.type = 'button';
    later.className = 'herald-prompt-later';
    later.textContent = o.laterText || 'Not now';
    var allow = doc.createElement('button');
    allow.type = 'button';
    allow.className = 'herald-prompt-allow';
    allow.textContent = o.allowText || 'Allow';
    buttons.appendChild(later);
    buttons.appendChild(allow);
    box.appendChild(text);
    box.appendChild(buttons);
    (o.container || doc.body).appendChild(box);
    return new Promise(function (resolve) {
      later.addEventListener('click', function () {
        box.remove();
        var until = Date.now() + (o.snoozeDays === undefined ? 7 : o.snoozeDays) * 86400000;
        store(storeKey('prompt'), { until: until });
        resolve({ outcome: 'dismissed', until: until });
      });
      allow.addEventListener('click', function () {
        box.remove();
        // Still inside the click: the browser shows its own prompt now.
        Herald.subscribe(o.subscribe || {}).then(function (sub) {
          resolve({ outcome: 'subscribed', subscription: sub });
        }, function (e) {
          resolve({ outcome: /^permission_/.test(e.code || '') ? 'denied' : 'error', error: e });
        });
      });
    });
  }

  var Herald = {
    /* init registers the service worker (no permission needed); when this
     * browser is already subscribed it refreshes what Herald knows, renews a
     * subscription that expires within 48 hours or was made with a retired
     * VAPID key, sends engagement reports
     * kept while offline, and reports a click that landed here. */
    init: function (options) {
      if (!options || !options.appId) throw new Error('Herald.init: appId is required');
      cfg = {
        appId: options.appId,
        apiBase: (options.apiBase || global.location.origin).replace(/\/+$/, ''),
        serviceWorker: options.serviceWorker || '/herald-sw.js',
        scope: options.scope
      };
      var s = support();
      if (s.reason && s.reason !== 'permission_denied') {
        var e = new Error(s.message);
        e.code = s.reason;
        ready = Promise.reject(e);
        ready.catch(function () {});
        return ready;
      }
      var reg = cfg.scope ? navigator.serviceWorker.register(cfg.serviceWorker, { scope: cfg.scope })
        : navigator.serviceWorker.register(cfg.serviceWorker);
      ready = reg.then(function (r) {
        return r.active ? r : new Promise(function (resolve, reject) {
          var w = r.installing || r.waiting;
          if (!w) return resolve(r);
          w.addEventListener('statechange', function () {
            if (w.state === 'activated') resolve(r);
            if (w.state === 'redundant') reject(new Error('the service worker failed to install'));
          });
        });
      });
      navigator.serviceWorker.addEventListener('message', function (e) {
        // herald-sw.js asks a window it cannot navigate itself to follow a click.
        if (e.data && e.data.herald === 'navigate') global.location.href = e.data.url;
      });
      ready.then(function () {
        tellWorker({ herald: 'flush' });
        landed();
        return Herald.refresh();
      }).catch(function () {});
      return ready;
    },
    support: support,
    isSupported: isSupported,
    prompt: prompt,
    /* permission: 'default' | 'granted' | 'denied' | 'unsupported' */
    permission: function () { return isSupported() ? Notification.permission : 'unsupported'; },
    /* subscribe asks for permission (call it from a click), subscribes and
     * tells Herald. Resolves {id, endpoint}. opts.onProgress(step) is told
     * each step: permission, service_worker, push_service, herald. A push
     * service that does not answer within opts.timeout ms (10000) rejects
     * with code push_service_unreachable instead of waiting forever. */
    subscribe: function (opts) {
      need();
      opts = opts || {};
      var progress = function (step) { try { if (opts.onProgress) opts.onProgress(step); } catch (e) { /* the page's */ } };
      var s = support();
      if (s.reason && s.reason !== 'permission_denied') {
        var err = new Error(s.message);
        err.code = s.reason;
        return Promise.reject(err);
      }
      progress('permission');
      var asked = Notification.permission === 'granted' ? Promise.resolve('granted')
        : Notification.requestPermission();
      return Promise.resolve(asked).then(function (p) {
        if (p !== 'granted') { var e = new Error('notification permission ' + p); e.code = 'permission_' + p; throw e; }
        progress('service_worker');
        return Promise.all([ready, activeKey()]);
      }).then(function (both) {
        var reg = both[0], key = both[1];
        progress('push_service');
        return reg.pushManager.getSubscription().then(function (old) {
          if (!old || sameKey(old, key)) return old;
          return old.unsubscribe().then(function () { return null; });
        }).then(function (sub) {
          return sub || withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
            opts.timeout || PUSH_TIMEOUT);
        });
      }).then(function (sub) { progress('herald'); return register(sub, opts); });
    },
    /* unsubscribe stops this browser's subscription; Herald marks it gone on
     * its next send. */
    unsubscribe: function () {
      need();
      return ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
        try { global.localStorage.removeItem(storeKey()); } catch (e) { /* ignore */ }
        return sub ? sub.unsubscribe() : false;
      });
    },
    isSubscribed: function () {
      need();
      if (!isSupported() || Notification.permission !== 'granted') return Promise.resolve(false);
      return ready.then(function (reg) { return reg.pushManager.getSubscription(); })
        .then(function (sub) { return !!sub; }, function () { return false; });
    },
    /* subscription: what Herald knows about this browser ({id, endpoint, ...}) or null. */
    subscription: function () { need(); return saved(); },
    /* refresh renews a subscription that expires within 48 hours or was
     * made with a VAPID key the app rotated away from, and re-posts it when
     * its endpoint or the timezone changed. */
    refresh: function () {
      need();
      var s = saved();
      if (!s || !isSupported() || Notification.permission !== 'granted') return Promise.resolve(null);
      return ready.then(function (reg) {
        return reg.pushManager.getSubscription().then(function (sub) {
          if (!sub) return null;
          if (expiresSoon(sub)) return renew(reg, sub);
          return rotatedKey(sub).then(function (key) {
            if (key) return renew(reg, sub, key);
            if (sub.endpoint === s.endpoint && s.timezone === timezone()) return s;
            return register(sub, { userId: s.userId, userHash: s.userHash, topics: s.topics });
          });
        });
      });
    }
  };
  global.Herald = Herald;
})(typeof window !== 'undefined' ? window : globalThis);
