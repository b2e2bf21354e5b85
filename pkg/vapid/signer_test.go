package vapid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

const testAudience = "https://fcm.googleapis.com"

func newTestSigner(t testing.TB, subject string, ttl time.Duration) *Signer {
	t.Helper()
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(k, subject, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verifyHeader checks an Authorization value the way a push service does and
// returns its decoded claims.
func verifyHeader(t *testing.T, value, publicKey string) map[string]any {
	t.Helper()
	rest, ok := strings.CutPrefix(value, "vapid t=")
	if !ok {
		t.Fatalf("header %q does not start with \"vapid t=\"", value)
	}
	jwt, k, ok := strings.Cut(rest, ", k=")
	if !ok || k != publicKey {
		t.Fatalf("header %q does not end with \", k=<public key>\"", value)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	decode := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWT part %q is not unpadded base64url: %v", s, err)
		}
		return b
	}
	var header map[string]any
	if err := json.Unmarshal(decode(parts[0]), &header); err != nil {
		t.Fatal(err)
	}
	if len(header) != 2 || header["typ"] != "JWT" || header["alg"] != "ES256" {
		t.Fatalf("JWT header %v", header)
	}
	pubBytes, _ := base64.RawURLEncoding.DecodeString(publicKey)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pubBytes)
	if err != nil {
		t.Fatal(err)
	}
	sig := decode(parts[2])
	if len(sig) != 64 {
		t.Fatalf("signature is %d bytes, want raw r||s of 64", len(sig))
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		t.Fatal("JWT signature does not verify against the public key")
	}
	var claims map[string]any
	if err := json.Unmarshal(decode(parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestAuthorizationVerifies(t *testing.T) {
	now := time.Unix(1_700_000_000, 500_000_000)
	for _, sub := range []string{"mailto:ops@example.com", "https://example.com/contact"} {
		s := newTestSigner(t, sub, 0)
		value, err := s.Authorization(testAudience, now)
		if err != nil {
			t.Fatal(err)
		}
		claims := verifyHeader(t, value, s.PublicKey())
		if len(claims) != 3 || claims["aud"] != testAudience || claims["sub"] != sub {
			t.Fatalf("claims %v, want aud %q and sub %q exactly", claims, testAudience, sub)
		}
		exp := int64(claims["exp"].(float64))
		if want := now.Add(DefaultTTL).Unix(); exp != want {
			t.Errorf("exp %d, want now+12h = %d", exp, want)
		}
		if exp-now.Unix() > int64(MaxTTL/time.Second) {
			t.Errorf("exp is more than 24h away")
		}
	}
}

func TestAuthorizationMaxTTLNeverExceeds24h(t *testing.T) {
	s := newTestSigner(t, "mailto:ops@example.com", MaxTTL)
	now := time.Unix(1_700_000_000, 999_999_999)
	value, _ := s.Authorization(testAudience, now)
	exp := int64(verifyHeader(t, value, s.PublicKey())["exp"].(float64))
	if float64(exp)-float64(now.UnixNano())/1e9 > MaxTTL.Seconds() {
		t.Fatalf("exp %d is more than 24h after %v", exp, now)
	}
}

func TestNewSignerRejects(t *testing.T) {
	k, _ := Generate()
	for name, tc := range map[string]struct {
		sub string
		ttl time.Duration
	}{
		"doubled mailto":             {"mailto:mailto:ops@example.com", 0},
		"ttl too long":               {"mailto:ops@example.com", 25 * time.Hour},
		"negative ttl":               {"mailto:ops@example.com", -time.Hour},
		"renewed sooner than hourly": {"mailto:ops@example.com", MinTTL - time.Second},
		"one minute":                 {"mailto:ops@example.com", time.Minute},
	} {
		if _, err := NewSigner(k, tc.sub, tc.ttl); err == nil {
			t.Errorf("%s: NewSigner accepted it", name)
		}
	}
	if _, err := NewSigner(nil, "mailto:ops@example.com", 0); err == nil {
		t.Error("NewSigner accepted a nil key")
	}
}

func TestAuthorizationRejectsNonOrigins(t *testing.T) {
	s := newTestSigner(t, "mailto:ops@example.com", 0)
	for _, aud := range []string{"", "fcm.googleapis.com", "https://fcm.googleapis.com/fcm/send/x", "https://fcm.googleapis.com?x", "ftp://x", "https://a@b"} {
		if _, err := s.Authorization(aud, time.Now()); !errors.Is(err, ErrInvalidAudience) {
			t.Errorf("Authorization(%q) = %v, want ErrInvalidAudience", aud, err)
		}
	}
}

func TestAuthorizationCachesPerAudience(t *testing.T) {
	ttl := 2 * time.Hour
	s := newTestSigner(t, "mailto:ops@example.com", ttl)
	now := time.Unix(1_700_000_000, 0)

	first, _ := s.Authorization(testAudience, now)
	again, _ := s.Authorization(testAudience, now.Add(ttl/2-time.Second))
	if again != first {
		t.Fatal("a second call with more than half the ttl left re-signed")
	}
	other, _ := s.Authorization("https://web.push.apple.com", now)
	if other == first {
		t.Fatal("two audiences share a token")
	}
	if claims := verifyHeader(t, other, s.PublicKey()); claims["aud"] != "https://web.push.apple.com" {
		t.Fatalf("aud %v", claims["aud"])
	}

	later := now.Add(ttl / 2)
	renewed, _ := s.Authorization(testAudience, later)
	if renewed == first {
		t.Fatal("half the ttl has passed but the token was not re-signed")
	}
	exp := int64(verifyHeader(t, renewed, s.PublicKey())["exp"].(float64))
	if exp != later.Add(ttl).Unix() {
		t.Fatalf("renewed exp %d, want %d", exp, later.Add(ttl).Unix())
	}
	if again, _ := s.Authorization(testAudience, later.Add(time.Minute)); again != renewed {
		t.Fatal("renewed token was not cached")
	}
}

// If the clock steps back, a cached token could carry an exp more than 24h
// ahead, which push services refuse; it must be re-signed.
func TestAuthorizationResignsWhenClockStepsBack(t *testing.T) {
	s := newTestSigner(t, "mailto:ops@example.com", MaxTTL)
	now := time.Unix(1_700_000_000, 0)
	first, _ := s.Authorization(testAudience, now)
	if same, _ := s.Authorization(testAudience, now.Add(500*time.Millisecond)); same != first {
		t.Fatal("re-signed within the same second")
	}
	back, _ := s.Authorization(testAudience, now.Add(-time.Minute))
	if back == first {
		t.Fatal("clock stepped back, but the cached token (exp > now+24h) was reused")
	}
}

func TestSweepDropsStaleTokens(t *testing.T) {
	s := newTestSigner(t, "mailto:ops@example.com", MinTTL)
	now := time.Unix(1_700_000_000, 0)
	for i := range sweepEvery - 1 {
		if _, err := s.Authorization(fmt.Sprintf("https://h%d.notify.windows.com", i), now); err != nil {
			t.Fatal(err)
		}
	}
	// The sweepEvery-th signing, an hour later, sweeps everything older.
	if _, err := s.Authorization(testAudience, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n := 0
	s.tokens.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d tokens cached after sweep, want 1", n)
	}
}

func TestAuthorizationConcurrent(t *testing.T) {
	s := newTestSigner(t, "mailto:ops@example.com", MinTTL)
	start := time.Unix(1_700_000_000, 0)
	audiences := []string{testAudience, "https://web.push.apple.com", "https://updates.push.services.mozilla.com"}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				aud := audiences[(g+i)%len(audiences)]
				now := start.Add(time.Duration(i) * time.Minute / 2) // crosses several refreshes
				value, err := s.Authorization(aud, now)
				if err != nil {
					errs <- err
					return
				}
				if !strings.HasPrefix(value, "vapid t=") {
					errs <- fmt.Errorf("bad value %q", value)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, aud := range audiences {
		value, _ := s.Authorization(aud, start.Add(100*time.Minute))
		if claims := verifyHeader(t, value, s.PublicKey()); claims["aud"] != aud {
			t.Fatalf("aud %v, want %s", claims["aud"], aud)
		}
	}
}

func BenchmarkAuthorizationCached(b *testing.B) {
	s := newTestSigner(b, "mailto:ops@example.com", 0)
	now := time.Now()
	if _, err := s.Authorization(testAudience, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authorization(testAudience, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignFresh is the cost webpush-go pays on every send.
func BenchmarkSignFresh(b *testing.B) {
	s := newTestSigner(b, "mailto:ops@example.com", 0)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.sign(testAudience, now); err != nil {
			b.Fatal(err)
		}
	}
}

// Apple asks for renewals no more often than hourly and refuses an exp more
// than a day ahead: at every lifetime allowed, a token is reused for at least
// MinRenewal and its exp stays within MaxTTL, for every push service.
func TestRenewalNoMoreOftenThanHourly(t *testing.T) {
	for _, ttl := range []time.Duration{MinTTL, DefaultTTL, MaxTTL} {
		s := newTestSigner(t, "mailto:ops@example.com", ttl)
		start := time.Unix(1_700_000_000, 0)
		for _, aud := range []string{"https://web.push.apple.com", testAudience, "https://updates.push.services.mozilla.com", "https://wns2-db5p.notify.windows.com"} {
			first, _ := s.Authorization(aud, start)
			signings := 1
			prev, signedAt := first, start
			for now := start; now.Before(start.Add(3 * MaxTTL)); now = now.Add(time.Minute) {
				v, err := s.Authorization(aud, now)
				if err != nil {
					t.Fatal(err)
				}
				if v == prev {
					continue
				}
				if gap := now.Sub(signedAt); gap < MinRenewal {
					t.Fatalf("ttl %s, %s: renewed after %s, sooner than hourly", ttl, aud, gap)
				}
				exp := int64(verifyHeader(t, v, s.PublicKey())["exp"].(float64))
				if time.Unix(exp, 0).Sub(now) > MaxTTL {
					t.Fatalf("ttl %s: exp more than a day ahead", ttl)
				}
				prev, signedAt = v, now
				signings++
			}
			if signings < 2 {
				t.Fatalf("ttl %s, %s: never renewed in %s", ttl, aud, 3*MaxTTL)
			}
		}
	}
}
