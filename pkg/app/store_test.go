package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

func newStore(t *testing.T, db *database.DB) *Store {
	t.Helper()
	key, _, err := masterkey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(db, key)
}

func TestCreateAndAuthenticate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		c, err := s.Create(ctx, CreateInput{Name: "Shop", AllowedOrigins: []string{"https://Shop.example:443", "http://localhost:3000"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.App.AllowedOrigins(); len(got) != 2 || got[0] != "https://shop.example" {
			t.Fatalf("origins = %v", got)
		}
		a, err := s.Authenticate(ctx, c.APIKey)
		if err != nil || a.ID != c.App.ID {
			t.Fatalf("Authenticate = %v, %v", a, err)
		}
		if !a.AllowsOrigin("https://shop.example") || a.AllowsOrigin("https://evil.example") {
			t.Fatal("AllowsOrigin wrong")
		}
		for _, bad := range []string{"", "hk_x", c.APIKey + "x", strings.Replace(c.APIKey, "_", "-", 1), flipLast(c.APIKey)} {
			if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrInvalidAPIKey) {
				t.Errorf("Authenticate(%q) err = %v", bad, err)
			}
		}
		// The user hash a backend computes with the identity secret verifies.
		if err := a.VerifyUserHash("u1", UserHash(c.IdentitySecret, "u1")); err != nil {
			t.Fatal(err)
		}
		if err := a.VerifyUserHash("u2", UserHash(c.IdentitySecret, "u1")); !errors.Is(err, ErrInvalidUserHash) {
			t.Fatalf("hash of another user accepted: %v", err)
		}
		// The stored VAPID key signs with the public key handed to browsers.
		vk, err := s.ActiveVAPIDKey(ctx, a.ID)
		if err != nil || vk.PublicKey != c.VAPIDPublicKey {
			t.Fatalf("ActiveVAPIDKey = %v, %v", vk, err)
		}
		kp, err := s.VAPIDKeyPair(ctx, vk.ID)
		if err != nil || kp.PublicKey() != c.VAPIDPublicKey {
			t.Fatalf("VAPIDKeyPair = %v, %v", kp, err)
		}
	})
}

func TestNoPlaintextSecretsInDatabase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		c, err := s.Create(ctx, CreateInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		vk, _ := s.ActiveVAPIDKey(ctx, c.App.ID)
		kp, _ := s.VAPIDKeyPair(ctx, vk.ID)
		secrets := [][]byte{kp.PrivateKeyBytes(), []byte(kp.PrivateKey()), []byte(c.APIKey), []byte(c.IdentitySecret)}
		for _, table := range []string{"apps", "vapid_keys", "api_keys"} {
			var rows []map[string]any
			if err := db.Table(table).Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				for col, v := range row {
					var b []byte
					switch v := v.(type) {
					case []byte:
						b = v
					case string:
						b = []byte(v)
					}
					for _, secret := range secrets {
						if len(b) > 0 && bytes.Contains(b, secret) {
							t.Errorf("%s.%s holds a secret in plaintext", table, col)
						}
					}
				}
			}
		}
	})
}

func TestWrongMasterKeyCannotOpen(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	ctx := context.Background()
	c, err := newStore(t, db).Create(ctx, CreateInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newStore(t, db).Get(ctx, c.App.ID); !errors.Is(err, masterkey.ErrOpen) {
		t.Fatalf("Get with another master key: err = %v, want ErrOpen", err)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := newStore(t, dbtest.SQLite(t))
	for _, in := range []CreateInput{
		{Name: ""},
		{Name: strings.Repeat("x", 201)},
		{Name: "a", AllowedOrigins: []string{"shop.example"}},
		{Name: "a", AllowedOrigins: []string{"https://shop.example/path"}},
		{Name: "a", AllowedOrigins: []string{"ftp://shop.example"}},
	} {
		if _, err := s.Create(context.Background(), in); err == nil {
			t.Errorf("Create(%+v) accepted", in)
		}
	}
	if _, err := s.Get(context.Background(), "not-a-uuid"); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("Get(bad id) = %v", err)
	}
}

// flipLast changes the last character, so the key is surely different.
func flipLast(s string) string {
	last := byte('A')
	if s[len(s)-1] == 'A' {
		last = 'B'
	}
	return s[:len(s)-1] + string(last)
}
