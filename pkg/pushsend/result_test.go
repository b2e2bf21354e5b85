package pushsend

import (
	"net/http"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for status, want := range map[int]Outcome{
		200: Delivered, 201: Delivered, 202: Delivered, 204: Delivered,
		404: Gone, 410: Gone,
		408: Retry, 429: Retry, 500: Retry, 502: Retry, 503: Retry, 504: Retry,
		400: Failed, 401: Failed, 403: Failed, 413: Failed, 415: Failed, 422: Failed,
		301: Failed, 0: Failed,
	} {
		if got := Classify(status); got != want {
			t.Errorf("Classify(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":       0,
		"7":      7 * time.Second,
		" 120 ":  2 * time.Minute,
		"0":      0,
		"-5":     0,
		"soon":   0,
		"1.5":    0,
		"999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
		now.Add(72 * time.Hour).Format(http.TimeFormat):   24 * time.Hour,
		"99999999999999999999":                            0, // overflows int64: bad
	} {
		if got := parseRetryAfter(h, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}

// recordSize must leave webpush-go exactly the payload plus delimiter, so no
// padding is written, and reach 4096 at MaxPlaintext.
func TestRecordSize(t *testing.T) {
	for _, n := range []int{0, 1, 100, MaxPlaintext()} {
		rs := int(recordSize(n))
		if room := rs - 16 - headerLen; room != n+1 {
			t.Errorf("recordSize(%d) = %d leaves %d bytes for payload+delimiter, want %d", n, rs, room, n+1)
		}
	}
	if rs := recordSize(MaxPlaintext()); rs != 4096 {
		t.Errorf("recordSize(MaxPlaintext()) = %d, want 4096", rs)
	}
}

func TestNewSenderRejectsBadSubject(t *testing.T) {
	for _, subject := range []string{"", "ops@example.com", "mailto:mailto:ops@example.com", "http://example.com"} {
		if _, err := NewSender(Config{Subject: subject}); err == nil {
			t.Errorf("NewSender accepted subject %q", subject)
		}
	}
	if _, err := NewSender(Config{Subject: testSubject, TokenTTL: 48 * time.Hour}); err == nil {
		t.Error("NewSender accepted a 48h token lifetime")
	}
}
