package app

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/vapid"
)

func code(err error) string {
	if f, ok := fault.As(err); ok {
		return f.Code
	}
	return ""
}

func TestListUpdateDelete(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		var ids []string
		for _, name := range []string{"a", "b", "c"} {
			c, err := s.Create(ctx, CreateInput{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.App.ID)
		}
		first, next, err := s.List(ctx, listing.Page{Limit: 2})
		if err != nil || len(first) != 2 || next != ids[1] || first[0].Name != "a" {
			t.Fatalf("page 1: %v %q %v", first, next, err)
		}
		rest, next, err := s.List(ctx, listing.Page{Limit: 2, After: next})
		if err != nil || len(rest) != 1 || next != "" || rest[0].ID != ids[2] {
			t.Fatalf("page 2: %v %q %v", rest, next, err)
		}
		if _, _, err := s.List(ctx, listing.Page{Limit: 2, After: "x"}); code(err) != "invalid_cursor" {
			t.Fatalf("bad cursor: %v", err)
		}

		name, origins, ttl := "renamed", []string{"http://127.0.0.1:8080"}, TTL(60)
		got, err := s.Update(ctx, ids[0], Update{Name: &name, AllowedOrigins: &origins, Settings: &Settings{DefaultTTL: &ttl}})
		if err != nil || got.Name != "renamed" || !got.AllowsOrigin("http://127.0.0.1:8080") || *got.Settings.DefaultTTL != 60 {
			t.Fatalf("update: %+v %v", got, err)
		}
		// A name left out stays; bad values are refused and change nothing.
		bad := TTL(MaxTTL + 1)
		if _, err := s.Update(ctx, ids[0], Update{Settings: &Settings{DefaultTTL: &bad}}); code(err) != "invalid_default_ttl" {
			t.Fatalf("bad ttl: %v", err)
		}
		empty := " "
		if _, err := s.Update(ctx, ids[0], Update{Name: &empty}); code(err) != "invalid_name" {
			t.Fatalf("empty name: %v", err)
		}
		if got, _ := s.Get(ctx, ids[0]); got.Name != "renamed" || *got.Settings.DefaultTTL != 60 {
			t.Fatalf("after refused updates: %+v", got)
		}

		if err := s.Delete(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, ids[0]); !errors.Is(err, ErrAppNotFound) {
			t.Fatalf("deleted app: %v", err)
		}
		if err := s.Delete(ctx, ids[0]); !errors.Is(err, ErrAppNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

// Settings a newer release stored survive an update by this one.
func TestSettingsKeepUnknownKeys(t *testing.T) {
	stored := `{"default_ttl":5,"from_the_future":{"x":1}}`
	s, err := decodeSettings(stored)
	if err != nil || *s.DefaultTTL != 5 {
		t.Fatalf("decode: %+v %v", s, err)
	}
	s.DefaultTTL = nil
	out, err := encodeSettings(stored, s)
	if err != nil || out != `{"from_the_future":{"x":1}}` {
		t.Fatalf("encode = %s, %v", out, err)
	}
}

func TestAPIKeysRotate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		c, err := s.Create(ctx, CreateInput{Name: "Shop"})
		if err != nil {
			t.Fatal(err)
		}
		second, key2, err := s.CreateAPIKey(ctx, c.App.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Both keys work at once: the old one is revoked after deploying the new.
		for _, k := range []string{c.APIKey, key2} {
			if _, err := s.Authenticate(ctx, k); err != nil {
				t.Fatalf("key %s: %v", k[:11], err)
			}
		}
		keys, err := s.ListAPIKeys(ctx, c.App.ID)
		if err != nil || len(keys) != 2 {
			t.Fatalf("list: %v %v", keys, err)
		}
		for _, k := range keys {
			if k.Prefix != c.APIKey[:11] && k.Prefix != key2[:11] {
				t.Errorf("prefix %q is neither key's start", k.Prefix)
			}
			if k.LastUsedAt == nil {
				t.Errorf("key %s: no last_used_at after use", k.ID)
			}
		}
		if keys[0].Prefix == keys[1].Prefix {
			t.Fatalf("two keys made together show the same prefix %q", keys[0].Prefix)
		}
		if err := s.RevokeAPIKey(ctx, c.App.ID, c.APIKeyID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, c.APIKey); !errors.Is(err, ErrInvalidAPIKey) {
			t.Fatalf("revoked key: %v", err)
		}
		if _, err := s.Authenticate(ctx, key2); err != nil {
			t.Fatalf("remaining key: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, c.App.ID, c.APIKeyID); !errors.Is(err, ErrAPIKeyNotFound) {
			t.Fatalf("second revoke: %v", err)
		}
		other, _ := s.Create(ctx, CreateInput{Name: "Other"})
		if err := s.RevokeAPIKey(ctx, other.App.ID, second.ID); !errors.Is(err, ErrAPIKeyNotFound) {
			t.Fatalf("revoke through another app: %v", err)
		}
	})
}

// last_used_at is written once a minute per key, not once a request.
func TestAPIKeyLastUsedIsCheap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	c, err := s.Create(ctx, CreateInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		keys, err := s.ListAPIKeys(ctx, c.App.ID)
		if err != nil || len(keys) != 1 || keys[0].LastUsedAt == nil {
			t.Fatalf("keys %v %v", keys, err)
		}
		return keys[0].LastUsedAt.UTC()
	}
	s.Authenticate(ctx, c.APIKey)
	first := lastUsed()
	now = now.Add(30 * time.Second)
	s.Authenticate(ctx, c.APIKey)
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("rewritten within the minute: %v, then %v", first, got)
	}
	now = now.Add(31 * time.Second)
	s.Authenticate(ctx, c.APIKey)
	if got := lastUsed(); !got.Equal(now) {
		t.Fatalf("not rewritten after a minute: %v, want %v", got, now)
	}
}

func TestVAPIDImportAndRotation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		kp, _ := vapid.Generate()
		other, _ := vapid.Generate()
		std := base64.StdEncoding.EncodeToString(kp.PublicKeyBytes()) // padded standard alphabet is accepted too
		for _, c := range []struct {
			pub, priv, code string
		}{
			{kp.PublicKey(), "", "invalid_vapid_key"},
			{"", kp.PrivateKey(), "invalid_vapid_key"},
			{kp.PublicKey(), "not-base64!", "invalid_vapid_key"},
			{kp.PublicKey(), base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "invalid_vapid_key"}, // zero is no scalar
			{kp.PublicKey(), kp.PublicKey(), "invalid_vapid_key"},                                         // the public key as private
			{other.PublicKey(), kp.PrivateKey(), "vapid_key_mismatch"},
			{"@@", kp.PrivateKey(), "invalid_vapid_key"},
		} {
			if _, err := s.Create(ctx, CreateInput{Name: "x", VAPIDPublicKey: c.pub, VAPIDPrivateKey: c.priv}); code(err) != c.code {
				t.Errorf("import %.10s/%.10s: %v, want %s", c.pub, c.priv, err, c.code)
			}
		}
		created, err := s.Create(ctx, CreateInput{Name: "migrated", VAPIDPublicKey: std, VAPIDPrivateKey: kp.PrivateKey()})
		if err != nil || created.VAPIDPublicKey != kp.PublicKey() {
			t.Fatalf("import: %+v %v", created, err)
		}
		first, _ := s.ActiveVAPIDKey(ctx, created.App.ID)
		opened, err := s.VAPIDKeyPair(ctx, first.ID)
		if err != nil || opened.PrivateKey() != kp.PrivateKey() {
			t.Fatalf("imported key opens as %v, %v", opened, err)
		}
		// Rotation: a generated key becomes active, the imported one retired.
		next, err := s.AddVAPIDKey(ctx, created.App.ID, "", "")
		if err != nil || !next.Active {
			t.Fatalf("rotate: %+v %v", next, err)
		}
		if active, _ := s.ActiveVAPIDKey(ctx, created.App.ID); active.ID != next.ID {
			t.Fatalf("active key %s, want %s", active.ID, next.ID)
		}
		keys, _ := s.ListVAPIDKeys(ctx, created.App.ID)
		if len(keys) != 2 || keys[1].ID != first.ID || keys[1].Active || keys[1].RetiredAt == nil {
			t.Fatalf("keys after rotation: %+v", keys)
		}
		if k, err := s.VAPIDKeyByPublicKey(ctx, created.App.ID, std); err != nil || k.ID != first.ID {
			t.Fatalf("retired key by public key: %v %v", k, err)
		}
		if _, err := s.AddVAPIDKey(ctx, created.App.ID, kp.PublicKey(), kp.PrivateKey()); code(err) != "vapid_key_exists" {
			t.Fatalf("same key twice: %v", err)
		}
		holders := &fakeHolders{active: map[string]int64{first.ID: 3}}
		bind := func(*database.DB) KeyHolders { return holders }
		if err := s.DeleteVAPIDKey(ctx, created.App.ID, next.ID, bind); !errors.Is(err, ErrVAPIDKeyActive) {
			t.Fatalf("delete active key: %v", err)
		}
		if err := s.DeleteVAPIDKey(ctx, created.App.ID, first.ID, bind); code(err) != "vapid_key_in_use" {
			t.Fatalf("delete a key subscriptions hold: %v", err)
		}
		holders.active = nil
		if err := s.DeleteVAPIDKey(ctx, created.App.ID, first.ID, bind); err != nil || holders.cleared != first.ID {
			t.Fatalf("delete a key none hold: %v (cleared %q)", err, holders.cleared)
		}
		if keys, _ := s.ListVAPIDKeys(ctx, created.App.ID); len(keys) != 1 {
			t.Fatalf("keys after delete: %+v", keys)
		}
	})
}

// fakeHolders stands for the subscriptions' counts; the real store's side
// is tested in pkg/subscription and through the API.
type fakeHolders struct {
	active  map[string]int64
	cleared string
}

func (f *fakeHolders) ActiveByVAPIDKey(_ context.Context, ids []string) (map[string]int64, error) {
	return f.active, nil
}

func (f *fakeHolders) DeleteInactiveByVAPIDKey(_ context.Context, id string) (int64, error) {
	f.cleared = id
	return 0, nil
}
