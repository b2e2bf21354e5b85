/* The demo page's service worker: Herald's library, configured for this API. */
importScripts('/sdk/herald-sw.js');
HeraldSW.configure({ apiBase: self.location.origin, appId: new URL(self.location.href).searchParams.get('app') || '' });
self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });
