/* Herald browser SDK. Load as a plain script (/sdk/herald.js, sets window.Herald)
 * or as an ES module (/sdk/herald.mjs). No build step.
 *
 *   Herald.init({appId, apiBase, serviceWorker: '/sw.js'})
 *   button.onclick = () => Herald.subscribe({userId, userHash, topics})
 *
 * Permission is asked only inside subscribe(), which the site must call from a
 * user gesture (a click), never on page load. */
(function (global) {
  'use strict';
  var cfg = null;
  var ready = null;

  function storeKey() { return 'herald:' + cfg.appId; }
  function saved() {
    try { return JSON.parse(global.localStorage.getItem(storeKey()) || 'null'); } catch (e) { return null; }
  }
  function save(v) {
    try { global.localStorage.setItem(storeKey(), JSON.stringify(v)); } catch (e) { /* private mode */ }
  }
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
  function need() { if (!cfg) throw new Error('Herald.init({appId, apiBase}) first'); }

  function isSupported() {
    return 'serviceWorker' in navigator && 'PushManager' in global && 'Notification' in global;
  }

  // register posts the subscription to Herald: 201 new, 200 known (updated).
  function register(sub, opts) {
    var body = { subscription: sub.toJSON(), timezone: timezone() };
    if (opts.userId) { body.user_id = opts.userId; body.user_hash = opts.userHash; }
    if (opts.topics) body.topics = opts.topics;
    return api('/v1/apps/' + encodeURIComponent(cfg.appId) + '/subscriptions', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (res) {
      save({ id: res.id, endpoint: sub.endpoint, timezone: body.timezone,
        userId: opts.userId || '', userHash: opts.userHash || '', topics: opts.topics || null });
      return { id: res.id, endpoint: sub.endpoint };
    });
  }

  var Herald = {
    /* init registers the service worker (no permission needed) and, when this
     * browser is already subscribed, refreshes the stored timezone. */
    init: function (options) {
      if (!options || !options.appId) throw new Error('Herald.init: appId is required');
      cfg = {
        appId: options.appId,
        apiBase: (options.apiBase || global.location.origin).replace(/\/+$/, ''),
        serviceWorker: options.serviceWorker || '/herald-sw.js',
        scope: options.scope
      };
      if (!isSupported()) { ready = Promise.reject(new Error('push is not supported here')); ready.catch(function () {}); return ready; }
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
      ready.then(function () { return Herald.refresh(); }).catch(function () {});
      return ready;
    },
    isSupported: isSupported,
    /* permission: 'default' | 'granted' | 'denied' | 'unsupported' */
    permission: function () { return isSupported() ? Notification.permission : 'unsupported'; },
    /* subscribe asks for permission (call it from a click), subscribes and
     * tells Herald. Resolves {id, endpoint}. */
    subscribe: function (opts) {
      need();
      opts = opts || {};
      var asked = Notification.permission === 'granted' ? Promise.resolve('granted')
        : Notification.requestPermission();
      return Promise.resolve(asked).then(function (p) {
        if (p !== 'granted') { var e = new Error('notification permission ' + p); e.code = 'permission_' + p; throw e; }
        return Promise.all([ready, api('/v1/apps/' + encodeURIComponent(cfg.appId) + '/vapid-public-key')]);
      }).then(function (both) {
        var reg = both[0], key = urlBase64ToBytes(both[1].public_key);
        return reg.pushManager.getSubscription().then(function (old) {
          if (old && old.options && old.options.applicationServerKey) {
            var a = new Uint8Array(old.options.applicationServerKey);
            if (a.length === key.length && a.every(function (b, i) { return b === key[i]; })) return old;
            return old.unsubscribe().then(function () { return null; });
          }
          return old;
        }).then(function (sub) {
          return sub || reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        });
      }).then(function (sub) { return register(sub, opts); });
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
    /* refresh re-posts the subscription when its endpoint or the timezone changed. */
    refresh: function () {
      need();
      var s = saved();
      if (!s || Notification.permission !== 'granted') return Promise.resolve(null);
      return ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
        if (!sub) return null;
        if (sub.endpoint === s.endpoint && s.timezone === timezone()) return s;
        return register(sub, { userId: s.userId, userHash: s.userHash, topics: s.topics });
      });
    }
  };
  global.Herald = Herald;
})(typeof window !== 'undefined' ? window : globalThis);
