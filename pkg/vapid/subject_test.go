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
		"mailto:push@sub.herald.example.com",
		"https://push.example.org:8443/ops",
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
		// Well-formed, but Apple's push service refuses them.
		"mailto:dev@localhost":        "reserved domain .localhost",
		"mailto:dev@herald.invalid":   "reserved domain .invalid",
		"mailto:ops@mail.test":        "reserved domain .test",
		"mailto:ops@printer.local":    "reserved domain .local",
		"mailto:ops@intranet":         "single-label host",
		"mailto:ops@[127.0.0.1]":      "IP address",
		"https://localhost/contact":   "reserved domain .localhost",
		"https://app.localhost":       "reserved domain .localhost",
		"https://10.0.0.7/contact":    "IP address",
		"https://[::1]/":              "IP address",
		"mailto:ops@example.invalid.": "reserved domain .invalid",
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

// The placeholder development mode signs with passes the syntax check only,
// so it still works with push services that do not judge the address.
func TestCheckSubjectSyntaxAcceptsWhatAppleRefuses(t *testing.T) {
	for _, sub := range []string{"mailto:dev@herald.invalid", "mailto:ops@localhost", "https://localhost"} {
		if err := CheckSubjectSyntax(sub); err != nil {
			t.Errorf("CheckSubjectSyntax(%q) = %v, want nil", sub, err)
		}
		if err := ValidateSubject(sub); err == nil {
			t.Errorf("ValidateSubject(%q) = nil, want Apple's refusal", sub)
		}
	}
	for _, sub := range []string{"", "mailto:mailto:ops@example.com", "http://example.com"} {
		if err := CheckSubjectSyntax(sub); err == nil {
			t.Errorf("CheckSubjectSyntax(%q) = nil, want an error", sub)
		}
	}
}
