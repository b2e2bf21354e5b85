// Package web holds the browser half of Herald, embedded in the API binary:
// the SDK (herald.js), the service worker library (herald-sw.js) and the
// demo page. test/ holds the real-browser tests that exercise them.
package web

import "embed"

// Files are the assets the API serves under /sdk/ and /demo.
//
//go:embed herald.js herald-sw.js demo.html demo.js demo-sw.js
var Files embed.FS
