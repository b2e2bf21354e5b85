package vapid

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ValidateSubject checks a VAPID "sub" claim: a mailto: address or an
// https:// URL where the push service can reach the operator. Apple rejects
// anything else, notably the "mailto:mailto:" webpush-go produces, so a bad
// subject is caught at start-up rather than on the first Safari push.
func ValidateSubject(sub string) error {
	const want = "use mailto:you@example.com or https://example.com/contact"
	switch {
	case sub == "":
		return fmt.Errorf("VAPID subject is empty; %s", want)
	case strings.TrimSpace(sub) != sub || strings.ContainsAny(sub, " \t\r\n"):
		return fmt.Errorf("VAPID subject %q contains whitespace; %s", sub, want)
	}
	lower := strings.ToLower(sub)
	switch {
	case strings.HasPrefix(lower, "mailto:"):
		return validateMailto(sub)
	case strings.HasPrefix(lower, "https:"):
		return validateHTTPS(sub)
	case strings.HasPrefix(lower, "http:"):
		return fmt.Errorf("VAPID subject %q uses http; it must be an https:// URL or a mailto: address", sub)
	case strings.Contains(sub, "@") && !strings.Contains(sub, ":"):
		return fmt.Errorf("VAPID subject %q is missing its scheme; did you mean mailto:%s?", sub, sub)
	}
	return fmt.Errorf("VAPID subject %q is neither a mailto: address nor an https:// URL; %s", sub, want)
}

func validateMailto(sub string) error {
	if !strings.HasPrefix(sub, "mailto:") {
		return fmt.Errorf("VAPID subject %q must start with lower-case \"mailto:\"", sub)
	}
	addr := strings.TrimPrefix(sub, "mailto:")
	if strings.HasPrefix(strings.ToLower(addr), "mailto:") {
		return fmt.Errorf("VAPID subject %q repeats \"mailto:\"; use %s", sub, sub[len("mailto:"):])
	}
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(domain, "@/<>") || strings.ContainsAny(local, "<>") {
		return fmt.Errorf("VAPID subject %q is not mailto: followed by an e-mail address like you@example.com", sub)
	}
	return nil
}

func validateHTTPS(sub string) error {
	if !strings.HasPrefix(sub, "https://") {
		return fmt.Errorf("VAPID subject %q must start with lower-case \"https://\"", sub)
	}
	u, err := url.Parse(sub)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("VAPID subject %q is not a valid URL: %w", sub, err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("VAPID subject %q has no host; use a URL like https://example.com/contact", sub)
	case u.User != nil:
		return fmt.Errorf("VAPID subject %q must not contain user info", sub)
	}
	return nil
}
