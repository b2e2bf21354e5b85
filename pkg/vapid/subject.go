package vapid

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// ValidateSubject checks a VAPID "sub" claim as the strictest push service
// judges it: a mailto: address or an https:// URL where a person operating
// Herald can be reached. It is CheckSubjectSyntax plus Apple's rules: Apple's
// push service answers 403 BadJwtToken for a subject whose address cannot be
// real (@localhost, a single-label host, the reserved .invalid, .test,
// .example and .local names, an IP literal), while FCM and Mozilla take them,
// so a bad subject would otherwise surface only on the first Safari push.
// Use it wherever an operator supplies the subject: at start-up and when an
// app is created.
func ValidateSubject(sub string) error {
	if err := CheckSubjectSyntax(sub); err != nil {
		return err
	}
	host := subjectHost(sub)
	if why := unreachableHost(host); why != "" {
		return fmt.Errorf("VAPID subject %q names %s; Apple's push service (Safari) refuses it with 403 BadJwtToken: use an address or URL on a real domain, like mailto:ops@example.com", sub, why)
	}
	return nil
}

// CheckSubjectSyntax checks only the form RFC 8292 asks for: mailto: or
// https:, with no whitespace and no doubled "mailto:" (webpush-go's bug).
// Signers use it, so that development mode's placeholder subject still signs
// tokens for push services that do not look at it.
func CheckSubjectSyntax(sub string) error {
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
	if !ok || local == "" || domain == "" || strings.ContainsAny(domain, "@/<>?") || strings.ContainsAny(local, "<>") {
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

// subjectHost is the domain of a syntactically valid subject: the part after
// "@" of a mailto: address, the host of an https URL.
func subjectHost(sub string) string {
	if addr, ok := strings.CutPrefix(sub, "mailto:"); ok {
		_, domain, _ := strings.Cut(addr, "@")
		return strings.ToLower(domain)
	}
	u, _ := url.Parse(sub)
	return strings.ToLower(u.Hostname())
}

// reservedSuffixes are special-use names (RFC 2606, RFC 6761, RFC 6762) that
// never reach a person.
var reservedSuffixes = []string{"localhost", "invalid", "test", "example", "local"}

// unreachableHost says why host cannot carry a contact address, or "".
func unreachableHost(host string) string {
	host = strings.TrimSuffix(host, ".")
	if strings.HasPrefix(host, "[") || isIP(host) {
		return "an IP address instead of a domain"
	}
	labels := strings.Split(host, ".")
	tld := labels[len(labels)-1]
	for _, r := range reservedSuffixes {
		if tld == r {
			return "the reserved domain ." + r
		}
	}
	if len(labels) < 2 {
		return "the single-label host " + host
	}
	return ""
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}
