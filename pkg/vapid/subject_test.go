package vapid

import (
	"strings"
	"testing"
)

func TestValidateSubject(t *testing.T) {
	for _, ok := range []string{
		"mailto:ops@example.com",
		"mailto:ops+push@sub.example.co.uk",
		"https://example.com",
		"https://example.com/contact?x=1",
	} {
		if err := ValidateSubject(ok); err != nil {
			t.Errorf("ValidateSubject(%q) = %v, want nil", ok, err)
		}
	}
	for sub, hint := range map[string]string{
		"":                              "empty",
		"mailto:mailto:ops@example.com": "repeats",
		"MAILTO:mailto:ops@example.com": "mailto:",
		"ops@example.com":               "did you mean mailto:ops@example.com",
		"http://example.com":            "http",
		"mailto:ops":                    "e-mail address",
		"mailto:@example.com":           "e-mail address",
		"mailto:":                       "e-mail address",
		"https://":                      "no host",
		"https:example.com":             "https://",
		"HTTPS://example.com":           "https://",
		"https://u:p@example.com":       "user info",
		" mailto:ops@example.com":       "whitespace",
		"mailto:ops@example.com\n":      "whitespace",
		"urn:example":                   "mailto:",
	} {
		err := ValidateSubject(sub)
		if err == nil {
			t.Errorf("ValidateSubject(%q) = nil, want an error", sub)
			continue
		}
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("ValidateSubject(%q) = %q, want it to mention %q", sub, err, hint)
		}
	}
}
