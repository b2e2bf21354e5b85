// Package pushsend delivers one Web Push message to one subscription: it
// encrypts (RFC 8291 aes128gcm), authenticates with Herald's cached VAPID
// tokens (RFC 8292), posts through a shared, SSRF-guarded HTTP client and
// classifies the push service's answer for the worker. What each push
// service requires beyond RFC 8030 (TTL caps, WNS's cache policy headers,
// the Topic limit, Firefox for Android's smaller bodies) is in
// servicerules.go.
//
// It holds no throttle of its own: the worker's send scheduler
// (pkg/inflight) decides how many sends run, and hands out the turns
// (Message.Turn) encryption waits for.
//
// Encryption is Herald's own (aes128gcm.go, crypto/ecdh + crypto/hkdf +
// AES-GCM), byte-compatible with webpush-go, which stays the reference and
// the fallback (Config.WebpushGo; tests compare the two and decrypt both in
// the simulator). webpush-go v1.4.0 signs a VAPID JWT and re-derives the
// public key on every call, about a third of a worker's CPU, for a header
// Herald replaces anyway; BENCHMARKS.md has the measurements.
//
// On the webpush-go path, its defects (see DEVELOPERS.md) are worked
// around, each pinned by a test:
//
//   - It signs a fresh JWT per call, doubles a "mailto:" subject and ignores
//     VapidExpiration: the HTTP client handed to it replaces the
//     Authorization header with one from a cached vapid.Signer, and the
//     Subscriber it sees is the subject with "mailto:" stripped, so even its
//     own token is right.
//   - It pads every record to 4096 bytes: RecordSize is set to the smallest
//     size that holds the payload (the own path never pads either).
//   - It writes padding into the spare capacity of the payload slice: it
//     only ever sees a private copy.
//   - It builds a new http.Client per call: the shared client is always
//     passed.
//   - It returns the response open: Send reads a bounded prefix, drains and
//     closes every body (on both paths).
//
// All webpush-go use sits in webpushgo.go.
package pushsend
