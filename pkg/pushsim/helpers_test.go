package pushsim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock starts at the real time so JWTs minted by webpush-go (exp =
// real now + 12h) stay valid, and only moves when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startSim runs a simulator behind httptest, the way other modules' tests do.
func startSim(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	srv := New(cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	srv.SetPublicOrigin(ts.URL)
	return srv, ts
}

func mint(t testing.TB, srv *Server, behavior string) Subscription {
	t.Helper()
	b, err := ParseBehavior(behavior)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := srv.Mint(b, "")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// vapidKey is a sender's VAPID key pair.
type vapidKey struct {
	priv *ecdsa.PrivateKey
	k    string // base64url uncompressed public key
}

func newVAPIDKey(t testing.TB) vapidKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return vapidKey{priv: priv, k: base64.RawURLEncoding.EncodeToString(pub)}
}

// signJWT builds a JWS ES256 compact token by hand.
func signJWT(t testing.TB, key *ecdsa.PrivateKey, header, claims any) string {
	t.Helper()
	seg := func(v any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	input := seg(header) + "." + seg(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func goodClaims(aud string, now time.Time) map[string]any {
	return map[string]any{"aud": aud, "exp": now.Add(12 * time.Hour).Unix(), "sub": "mailto:ops@example.com"}
}

var es256Header = map[string]string{"typ": "JWT", "alg": "ES256"}

// encryptForTest is an independent RFC 8291 sender that can split the
// plaintext into several records of size rs.
func encryptForTest(t testing.TB, sub Subscription, plaintext []byte, rs int) []byte {
	t.Helper()
	decode := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	uaPub, err := ecdh.P256().NewPublicKey(decode(sub.Keys.P256dh))
	if err != nil {
		t.Fatal(err)
	}
	auth := decode(sub.Keys.Auth)
	asPriv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := asPriv.ECDH(uaPub)
	if err != nil {
		t.Fatal(err)
	}
	asPub := asPriv.PublicKey().Bytes()
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	info := "WebPush: info\x00" + string(uaPub.Bytes()) + string(asPub)
	ikm, err := hkdf.Key(sha256.New, secret, auth, info, 32)
	if err != nil {
		t.Fatal(err)
	}
	cek, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	baseNonce, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)

	var out bytes.Buffer
	out.Write(salt)
	_ = binary.Write(&out, binary.BigEndian, uint32(rs))
	out.WriteByte(byte(len(asPub)))
	out.Write(asPub)
	chunk := rs - 17
	for seq := 0; ; seq++ {
		n := min(chunk, len(plaintext))
		last := n == len(plaintext)
		rec := append([]byte{}, plaintext[:n]...)
		plaintext = plaintext[n:]
		if last {
			rec = append(rec, 0x02)
		} else {
			rec = append(rec, 0x01)
		}
		nonce := append([]byte{}, baseNonce...)
		for i := 0; i < 8; i++ {
			nonce[11-i] ^= byte(uint64(seq) >> (8 * i))
		}
		out.Write(gcm.Seal(nil, nonce, rec, nil))
		if last {
			return out.Bytes()
		}
	}
}

// pushReq is a hand-built push request; fields left empty are omitted.
type pushReq struct {
	body     []byte
	ttl      string
	encoding string
	auth     string
	headers  map[string]string
}

func send(t *testing.T, endpoint string, p pushReq) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	if p.ttl != "" {
		req.Header.Set("TTL", p.ttl)
	}
	if p.encoding != "" {
		req.Header.Set("Content-Encoding", p.encoding)
	}
	if p.auth != "" {
		req.Header.Set("Authorization", p.auth)
	}
	for k, v := range p.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// validPush is a correct request to sub, signed by key, for aud.
func validPush(t testing.TB, sub Subscription, key vapidKey, aud string, now time.Time, payload string) pushReq {
	t.Helper()
	jwt := signJWT(t, key.priv, es256Header, goodClaims(aud, now))
	return pushReq{
		body:     encryptForTest(t, sub, []byte(payload), 4096),
		ttl:      "60",
		encoding: "aes128gcm",
		auth:     "vapid t=" + jwt + ", k=" + key.k,
	}
}

func wantStatus(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status = %d, want %d", resp.StatusCode, want)
	}
}
