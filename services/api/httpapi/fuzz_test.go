package httpapi

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/textcheck"
)

// Strict decoding of every request type, whatever the bytes: a fault or a
// decoded value without NUL in any field, never a panic or an untyped error.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"subscription": {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "a", "auth": "b"}}, "user_id": "u"}`,
		`{"target": {"user_ids": ["a\u0000b"]}, "notification": {"title": "x", "data": {"k": [1, 2]}}}`,
		`{"notification_id": "x", "token": "y", "type": "clicked", "event_id": "\ud800"}`,
		"\xff{}", `{"a":`, `[]`, `{} {}`, `{"ttl": 1e300}`,
	} {
		f.Add([]byte(seed))
	}
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range []func() any{
			func() any { return &subscribeRequest{} }, func() any { return &createNotificationRequest{} },
			func() any { return &eventRequest{} }, func() any { return &replaceRequest{} },
		} {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("POST", "/", bytes.NewReader(body))
			v := dst()
			if err := decodePublicJSON(c, v); err != nil {
				if _, ok := fault.As(err); !ok {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if path := textcheck.FindNUL(v); path != "" {
				t.Fatalf("decoded NUL at %s from %q", path, body)
			}
		}
	})
}
