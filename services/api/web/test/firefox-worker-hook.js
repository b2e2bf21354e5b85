/* Appended by the Firefox tests to the demo's service worker, after
 * herald-sw.js is loaded. A headless browser cannot click a notification, so
 * on the test's request this dispatches notificationclick and
 * notificationclose inside the worker, where herald-sw.js's own listeners
 * handle them as they would a real click. */
self.addEventListener('message', function (e) {
  var m = e.data || {};
  if (m.test !== 'click' && m.test !== 'close') return;
  e.waitUntil(self.registration.getNotifications({ tag: m.tag }).then(function (list) {
    if (!list.length) throw new Error('no notification with tag ' + m.tag);
    var type = m.test === 'click' ? 'notificationclick' : 'notificationclose';
    self.dispatchEvent(new NotificationEvent(type, { notification: list[list.length - 1], action: m.action || '' }));
  }));
});
