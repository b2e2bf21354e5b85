/* Injected by the Firefox tests into the demo page (the page itself has no
 * test hooks). It presses the demo's "Enable notifications" (permission is
 * pre-granted by the profile) until Firefox's push socket is up, reports what
 * the page and its service worker see to the test, and runs the snippets the
 * test sends (its remote control, as Playwright is for Chromium). */
(function () {
  'use strict';
  function report(kind, data) {
    return fetch('/_test/report', { method: 'POST', body: JSON.stringify({ kind: kind, data: data }) });
  }
  navigator.serviceWorker.addEventListener('message', function (e) { report('sw', e.data); });
  report('loaded', { url: location.href });

  // Commands: the test queues async function bodies; each result goes back
  // as a "result" report.
  function commands() {
    fetch('/_test/command', { method: 'POST' }).then(function (r) {
      if (r.status !== 200) return null;
      return r.json().then(function (cmd) {
        return Promise.resolve().then(function () { return new Function('return (async () => {' + cmd.js + '\n})()')(); })
          .then(function (value) { return report('result', { id: cmd.id, value: value === undefined ? null : value }); },
            function (e) { return report('result', { id: cmd.id, error: String(e && e.stack || e) }); });
      });
    }).catch(function () { return new Promise(function (res) { setTimeout(res, 500); }); }).then(commands);
  }
  commands();

  // Once per tab: pages the test navigates to later only report.
  if (sessionStorage.getItem('herald-test:subscribed')) return;
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
      sessionStorage.setItem('herald-test:subscribed', '1');
      report('subscribed', s);
    }, function (e) {
      report('retry', String(e && e.message || e));
      if (tries < 30) setTimeout(attempt, 500);
    });
  }
  attempt();
})();
