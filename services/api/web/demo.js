// The demo page's script (demo.html), a file of its own: the page's
// Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  var appId = params.get('app') || sessionStorage.getItem('herald-demo:app') || '';
  var sub = null, polling = null;
  $('app-id').value = appId;
  $('api-key').value = sessionStorage.getItem('herald-demo:key') || '';

  function log(text) {
    var li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    $('log').insertBefore(li, $('log').firstChild);
  }
  function refresh() {
    var s = Herald.support();
    $('support').textContent = s.supported ? 'supported' : s.message;
    $('permission').textContent = Herald.permission();
    $('subscription').textContent = sub ? sub.id : 'none';
    $('send').disabled = !sub;
  }
  function start(id) {
    appId = id;
    sessionStorage.setItem('herald-demo:app', id);
    var ready = Herald.init({ appId: id, apiBase: location.origin, serviceWorker: '/demo/sw.js?app=' + encodeURIComponent(id), scope: '/demo/' });
    ready.then(function () { sub = Herald.subscription(); return Herald.isSubscribed(); })
      .then(function (yes) { if (!yes) sub = null; refresh(); }, function (e) { refresh(); log('service worker: ' + e.message); });
    return ready;
  }

  var STEPS = { permission: 'Asking for permission…', service_worker: 'Starting the service worker…',
    push_service: 'Subscribing with the browser\'s push service…', herald: 'Registering with Herald…' };
  function progress(text, failed) {
    var p = $('progress');
    p.hidden = false;
    p.textContent = text;
    p.className = 'state' + (failed ? ' failed' : '');
  }

  // enable runs from the button's click: Herald asks for permission only
  // there. Each step shows; a push service that does not answer fails
  // within 10 s (Herald.subscribe's timeout) rather than leaving a grey button.
  function enable() {
    var id = $('app-id').value.trim();
    if (!id) { log('enter the app id first'); return Promise.reject(new Error('no app id')); }
    if (id !== appId) start(id);
    $('enable').disabled = true;
    return Herald.subscribe({ onProgress: function (step) { progress(STEPS[step] || step); } }).then(function (s) {
      sub = s;
      progress('Subscribed: notifications reach this browser.');
      log('subscribed: ' + s.id);
      refresh();
      return s;
    }).catch(function (e) {
      progress('Could not enable notifications: ' + e.message, true);
      log('subscribe failed: ' + e.message);
      refresh();
      throw e;
    }).finally(function () { $('enable').disabled = false; });
  }

  function send() {
    var key = $('api-key').value.trim();
    sessionStorage.setItem('herald-demo:key', key);
    return fetch('/v1/notifications', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + key },
      body: JSON.stringify({ target: { subscription_ids: [sub.id] }, notification: {
        title: $('title').value, body: $('body').value, url: location.origin + '/demo/', tag: 'herald-demo',
        actions: [{ action: 'open', title: 'Open demo', url: location.origin + '/demo/?from=action' }] } })
    }).then(function (r) { return r.json(); }).then(function (n) {
      if (n.error) throw new Error(n.error.message);
      log('sent notification ' + n.id);
      watch(n.id, key);
      return n;
    }).catch(function (e) { log('send failed: ' + e.message); throw e; });
  }

  function watch(id, key) {
    clearInterval(polling);
    var tick = function () {
      fetch('/v1/notifications/' + id, { headers: { 'Authorization': 'Bearer ' + key } })
        .then(function (r) { return r.json(); }).then(function (n) {
          if (!n.counts) return;
          var c = n.counts;
          $('status').textContent = n.status + '  delivered ' + c.delivered + '  received ' + c.received +
            '  clicked ' + c.clicked + '  dismissed ' + c.dismissed + '  dead ' + c.dead;
        });
    };
    tick();
    polling = setInterval(tick, 1000);
  }

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', function (e) {
      var m = e.data || {};
      if (m.herald === 'shown') log('shown: ' + m.title);
      if (m.herald === 'event') log('reported ' + m.type + (m.action ? ' (' + m.action + ')' : '') + ': ' + (m.result && m.result.status));
    });
  }
  $('enable').addEventListener('click', function () { enable().catch(function () {}); });
  $('send').addEventListener('click', function () { send().catch(function () {}); });
  if (appId) start(appId); else refresh();
  window.heraldDemo = { enable: enable, send: send, log: log };
})();
