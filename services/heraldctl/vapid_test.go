package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/vapid"
)

// checkPair asserts the printed private key parses and yields the printed public key.
func checkPair(t *testing.T, publicKey, privateKey string) {
	t.Helper()
	k, err := vapid.ParsePrivateKey(privateKey)
	if err != nil {
		t.Fatalf("printed private key does not parse: %v", err)
	}
	if k.PublicKey() != publicKey {
		t.Fatalf("printed public key %q does not belong to the private key (want %q)", publicKey, k.PublicKey())
	}
}

func TestVAPIDGenerateText(t *testing.T) {
	var out bytes.Buffer
	if err := runVAPIDGenerate(nil, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	const rule = "======================================="
	want := []string{rule, "", "Public Key:", "*", "", "Private Key:", "*", "", rule, ""}
	if len(lines) != len(want) {
		t.Fatalf("output has %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if w != "*" && lines[i] != w {
			t.Fatalf("line %d = %q, want %q:\n%s", i+1, lines[i], w, out.String())
		}
	}
	checkPair(t, lines[3], lines[6])
}

func TestVAPIDGenerateJSON(t *testing.T) {
	var out bytes.Buffer
	if err := runVAPIDGenerate([]string{"--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var got struct {
		PublicKey  string `json:"public_key"`
		PrivateKey string `json:"private_key"`
	}
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("output is not the expected JSON: %v", err)
	}
	checkPair(t, got.PublicKey, got.PrivateKey)
}

func TestVAPIDGenerateFreshKeys(t *testing.T) {
	var a, b bytes.Buffer
	if err := runVAPIDGenerate(nil, &a); err != nil {
		t.Fatal(err)
	}
	if err := runVAPIDGenerate(nil, &b); err != nil {
		t.Fatal(err)
	}
	if a.String() == b.String() {
		t.Fatal("two runs printed the same key pair")
	}
}

func TestVAPIDGenerateBadArgs(t *testing.T) {
	for _, args := range [][]string{{"--yaml"}, {"extra"}} {
		var out bytes.Buffer
		if err := runVAPIDGenerate(args, &out); err == nil {
			t.Errorf("runVAPIDGenerate(%q) = nil, want an error", args)
		}
		if out.Len() != 0 {
			t.Errorf("runVAPIDGenerate(%q) wrote %q to stdout on error", args, out.String())
		}
	}
	var out bytes.Buffer
	if err := runVAPIDGenerate([]string{"-h"}, &out); err != nil || !strings.Contains(out.String(), "usage:") {
		t.Errorf("-h: err %v, output %q", err, out.String())
	}
}
