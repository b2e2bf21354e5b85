// Package pushsim is a Web Push service simulator: it mints browser-like push
// subscriptions, accepts RFC 8030 push requests, verifies RFC 8292 VAPID
// JWTs, decrypts RFC 8291 aes128gcm payloads with the subscription's private
// key, and answers like a real push service — or fails on purpose, per
// subscription, to exercise a sender's retry and cleanup logic.
//
// It deliberately depends on nothing from Herald: it checks Herald from the
// outside, the way Mozilla autopush or FCM would.
//
// # In-process use
//
// The JWT "aud" a sender signs is the origin of the endpoint URL, so the
// simulator has to know its own public origin. Either let Listen pick it from
// the listener:
//
//	srv, ln, err := pushsim.Listen("127.0.0.1:0", pushsim.Config{KeepPayloads: true})
//	go http.Serve(ln, srv.Handler())
//
// or, with net/http/httptest, set it once the test server has a URL and
// before minting subscriptions:
//
//	srv := pushsim.New(pushsim.Config{KeepPayloads: true})
//	ts := httptest.NewServer(srv.Handler())
//	srv.SetPublicOrigin(ts.URL)
//	sub, err := srv.Mint(pushsim.Behavior{}, "")
//
// # HTTP surface
//
//	POST /push/{id}                  the push endpoint (201 Created on delivery)
//	POST /_sim/subscriptions         mint {"count", "behavior", "application_server_key"}
//	GET  /_sim/subscriptions/{id}    one subscription's attempts and deliveries
//	GET  /_sim/stats                 totals (see Stats)
//	POST /_sim/reset                 forget everything (?keep_subscriptions=true keeps them)
//	GET  /_sim/health                liveness
//
// # Order of checks on the push endpoint
//
// Unknown subscription (404), body size (413), TTL / Content-Encoding /
// Urgency / Topic headers (400/415), VAPID (401/403), decryption (400). Only
// a request that passes all of them counts as an attempt for the
// subscription's Behavior; the others are counted as rejected by reason.
package pushsim
