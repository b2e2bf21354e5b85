package bootstrap

import (
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/envconf"
)

// A subject Apple's push service refuses stops start-up with an error that
// names the variable, outside development mode as in it.
func TestReadConfigChecksVAPIDSubjectAgainstApple(t *testing.T) {
	t.Parallel()
	for sub, hint := range map[string]string{
		"mailto:ops@localhost":      "Apple",
		"mailto:dev@herald.invalid": "Apple",
		"https://10.1.2.3/contact":  "Apple",
		"mailto:mailto:ops@x.com":   "repeats",
		"ops@example.com":           "did you mean mailto:ops@example.com",
	} {
		for _, env := range []map[string]string{production(map[string]string{"HERALD_VAPID_SUBJECT": sub}), {"HERALD_VAPID_SUBJECT": sub}} {
			r := envconf.FromMap(env)
			ReadConfig(r)
			err := r.Err()
			if err == nil {
				t.Errorf("HERALD_VAPID_SUBJECT=%q accepted (%d settings)", sub, len(env))
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, "HERALD_VAPID_SUBJECT") || !strings.Contains(msg, hint) {
				t.Errorf("%q: error %q does not name HERALD_VAPID_SUBJECT and say %q", sub, msg, hint)
			}
		}
	}
	r := envconf.FromMap(production(nil))
	if c := ReadConfig(r); r.Err() != nil || c.VAPIDSubject != "mailto:ops@example.com" {
		t.Fatalf("a good subject: %v %q", r.Err(), c.VAPIDSubject)
	}
	r = envconf.FromMap(nil)
	if c := ReadConfig(r); r.Err() != nil || c.VAPIDSubject != DevVAPIDSubject {
		t.Fatalf("dev mode without a subject: %v %q", r.Err(), c.VAPIDSubject)
	}
}
