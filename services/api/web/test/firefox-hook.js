/* Injected by the Firefox test into the demo page (the page itself has no
 * test hooks). It presses the demo's "Enable notifications" (permission is
 * pre-granted by the profile) until Firefox's push socket is up, and reports
 * what the page and its service worker see to the test. */
(function () {
  'use strict';
  function report(kind, data) {
    return fetch('/_test/report', { method: 'POST', body: JSON.stringify({ kind: kind, data: data }) });
  }
  navigator.serviceWorker.addEventListener('message', function (e) { report('sw', e.data); });
  var tries = 0, done = false;
  // A subscribe made before Firefox's push socket is up can fail or never
  // settle; each attempt gets 5 s, then the next one starts.
  function attempt() {
    if (done) return;
    tries++;
    var timeout = new Promise(function (resolve, reject) {
      setTimeout(function () { reject(new Error('no answer in 5s')); }, 5000);
    });
    Promise.race([window.heraldDemo.enable(), timeout]).then(function (s) {
      if (done) return;
      done = true;
      report('subscribed', s);
    }, function (e) {
      report('retry', String(e && e.message || e));
      if (tries < 30) setTimeout(attempt, 500);
    });
  }
  attempt();
})();
