package notification

import "testing"

// A variant's switch given as false turns off the top-level true; one not
// given keeps it; one given as true turns on a top-level false.
func TestVariantSwitchesOverrideBothWays(t *testing.T) {
	off, on := false, true
	r := Request{Target: Target{All: true},
		Notification: Content{Title: "T", RequireInteraction: true, Renotify: true, Tag: "t", Silent: false},
		Variants: []Variant{
			{Name: "off", Weight: 1, RequireInteraction: &off, Renotify: &off, Silent: &on},
			{Name: "kept", Weight: 1},
			{Name: "content", Weight: 1, Notification: Content{Silent: true}},
		}}
	got, err := r.validateVariants()
	if err != nil {
		t.Fatal(err)
	}
	type switches struct{ requireInteraction, renotify, silent bool }
	for i, want := range []switches{{false, false, true}, {true, true, false}, {true, true, true}} {
		c := got[i]
		if have := (switches{c.RequireInteraction, c.Renotify, c.Silent}); have != want {
			t.Errorf("variant %s: %+v, want %+v", r.Variants[i].Name, have, want)
		}
	}
}

// The switches a variant may give are left out of the idempotency
// fingerprint when not given, so a request that was fingerprinted before
// they existed still matches its retry (the digests are those made before).
func TestFingerprintWithoutVariantSwitchesUnchanged(t *testing.T) {
	ttl := 60
	plain := Request{Target: Target{Topics: []string{"news"}}, TTL: &ttl,
		Notification: Content{Title: "Hi {{ name }}", Body: "b", RequireInteraction: true}}
	withVariants := plain
	withVariants.Variants = []Variant{{Name: "a", Weight: 1, Notification: Content{Title: "A"}},
		{Name: "b", Weight: 2, Notification: Content{Silent: true}}}
	for name, c := range map[string]struct {
		r    Request
		want string
	}{
		"no variants":   {plain, "8f5479dc9f6e7a36326ff87f5fff60d2b32f79340805c03c1d3aaa4d3f29fca7"},
		"with variants": {withVariants, "7aa1337fb697f2024a0f27723710d1c3d3d2c591650c32b855b293446eef9209"},
	} {
		got, err := fingerprint(c.r)
		if err != nil || got != c.want {
			t.Errorf("%s: fingerprint %s (%v), want %s as before", name, got, err, c.want)
		}
	}
}
