package httpapi

import (
	"encoding/base64"
	"testing"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustDecode(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func merge(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

func sqliteDB(t *testing.T) *database.DB { return dbtest.SQLite(t) }
