package masterkey

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k, text, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("a VAPID private key")
	sealed, err := k.Seal(secret, []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.Open(sealed, []byte("row-1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, []byte("row-2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("other associated data: err = %v, want ErrOpen", err)
	}
	other, _, _ := Generate()
	if _, err := other.Open(sealed, []byte("row-1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("other key: err = %v, want ErrOpen", err)
	}
	again, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(sealed, []byte("row-1")); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("parsed key cannot open: %v", err)
	}
}

func TestParseForms(t *testing.T) {
	t.Parallel()
	hexKey := strings.Repeat("ab", 32)
	for _, s := range []string{hexKey, "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s"} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "short", strings.Repeat("ab", 31)} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

func TestLoadOrCreateFileKeepsKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, created, err := LoadOrCreateFile(path)
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	sealed, _ := k1.Seal([]byte("x"), nil)
	k2, created, err := LoadOrCreateFile(path)
	if err != nil || created {
		t.Fatalf("reload: created=%v err=%v", created, err)
	}
	if _, err := k2.Open(sealed, nil); err != nil {
		t.Fatalf("reloaded key differs: %v", err)
	}
}
