// Package pushsend delivers one Web Push message to one subscription: it
// encrypts with webpush-go (RFC 8291), authenticates with Herald's cached
// VAPID tokens (RFC 8292), posts through a shared, SSRF-guarded HTTP client
// and classifies the push service's answer for the worker.
//
// webpush-go v1.4.0 has defects this package works around (see
// DEVELOPERS.md), each pinned by a test:
//
//   - It signs a fresh JWT per call, doubles a "mailto:" subject and ignores
//     VapidExpiration: the HTTP client handed to it replaces the
//     Authorization header with one from a cached vapid.Signer, and the
//     Subscriber it sees is the subject with "mailto:" stripped, so even its
//     own token is right.
//   - It pads every record to 4096 bytes: RecordSize is set to the smallest
//     size that holds the payload.
//   - It writes padding into the spare capacity of the payload slice: it
//     only ever sees a private copy.
//   - It builds a new http.Client per call: the shared client is always
//     passed.
//   - It returns the response open: Send reads a bounded prefix, drains and
//     closes every body.
//
// All webpush-go use sits in encrypt.go, so replacing it with Herald's own
// encryption (dropping the JWT it still signs on every call) touches one file.
package pushsend
