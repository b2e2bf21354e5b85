package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// setupLimited starts the API with rules on the public routes, trusting
// the loopback proxy so that X-Forwarded-For picks each request's client.
func setupLimited(t *testing.T, rules map[publiclimit.Route]publiclimit.Rules) *harness {
	return setupWith(t, sqliteDB(t), func(d *Deps, rdb *redis.Client) {
		d.Limits = publiclimit.New(rdb, rules)
		d.TrustedProxies = []string{"127.0.0.1"}
		httpMetrics, err := metrics.NewHTTP(d.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		d.Ops.HTTP = httpMetrics
	})
}

// hourly is a burst of n, then one an hour: within a test, exactly n pass.
func hourly(n int) publiclimit.Rule { return publiclimit.Rule{Rate: 1, Period: time.Hour, Burst: n} }

// One address hammering the public subscribe route gets 429 once its
// allowance is spent, and exactly the allowance is stored; other addresses
// and the API-key route go on as before.
func TestPublicSubscribeLimitUnderLoad(t *testing.T) {
	t.Parallel()
	const allowance, hammer = 20, 300
	h := setupLimited(t, map[publiclimit.Route]publiclimit.Rules{
		publiclimit.Subscribe: {PerAddress: hourly(allowance), PerApp: hourly(1000)},
	})
	a := h.createApp()
	public := "/v1/apps/" + a.ID + "/subscriptions"
	var mu sync.Mutex
	statuses := map[int]int{}
	var retryAfter string
	var wg sync.WaitGroup
	for w := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range hammer / 30 {
				sub := browserSubscription(t, fmt.Sprintf("https://fcm.googleapis.com/fcm/send/hammer-%d-%d", w, i))
				r := h.do("POST", public, map[string]any{"subscription": sub}, "Origin", pageOrigin, "X-Forwarded-For", "203.0.113.7")
				mu.Lock()
				statuses[r.status]++
				if r.status == http.StatusTooManyRequests {
					if r.code() != "rate_limited" {
						t.Errorf("429 with code %q", r.code())
					}
					retryAfter = r.header.Get("Retry-After")
				}
				mu.Unlock()
			}
		}()
	}
	// Meanwhile other addresses and a backend subscribe as usual.
	others := 0
	for i := range 10 {
		sub := browserSubscription(t, fmt.Sprintf("https://fcm.googleapis.com/fcm/send/other-%d", i))
		if r := h.do("POST", public, map[string]any{"subscription": sub}, "Origin", pageOrigin,
			"X-Forwarded-For", "198.51.100."+strconv.Itoa(i)); r.status != http.StatusCreated {
			t.Errorf("another address refused: %d %s", r.status, r.raw)
		}
		others++
		sub = browserSubscription(t, fmt.Sprintf("https://fcm.googleapis.com/fcm/send/backend-%d", i))
		if r := h.do("POST", "/v1/subscriptions", map[string]any{"subscription": sub}, "Authorization", "Bearer "+a.APIKey,
			"X-Forwarded-For", "203.0.113.7"); r.status != http.StatusCreated {
			t.Errorf("API-key route refused: %d %s", r.status, r.raw)
		}
		others++
	}
	wg.Wait()
	if statuses[http.StatusCreated] != allowance || statuses[http.StatusTooManyRequests] != hammer-allowance {
		t.Fatalf("hammering address got %v, want %d x 201 and %d x 429", statuses, allowance, hammer-allowance)
	}
	if secs, err := strconv.Atoi(retryAfter); err != nil || secs < 1 {
		t.Fatalf("Retry-After %q, want whole seconds", retryAfter)
	}
	if n := h.countSubscriptions(); n != int64(allowance+others) {
		t.Fatalf("stored %d subscriptions, want the allowance %d plus %d others", n, allowance, others)
	}
	scrape := h.do("GET", "/metrics", nil)
	want := fmt.Sprintf(`herald_http_refused_total{reason="rate_limited_address",route="/v1/apps/:app_id/subscriptions"} %d`, hammer-allowance)
	if !strings.Contains(string(scrape.raw), want) {
		t.Fatalf("metrics lack %s", want)
	}
}

// X-Forwarded-For counts only from a trusted proxy: a client cannot make
// itself new addresses by sending the header itself.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	h := setupWith(t, sqliteDB(t), func(d *Deps, rdb *redis.Client) {
		d.Limits = publiclimit.New(rdb, map[publiclimit.Route]publiclimit.Rules{
			publiclimit.VAPIDKey: {PerAddress: hourly(3)},
		})
		d.TrustedProxies = []string{"10.0.0.0/8"} // not the test's loopback client
	})
	a := h.createApp()
	var got []int
	for i := range 5 {
		r := h.do("GET", "/v1/apps/"+a.ID+"/vapid-public-key", nil, "X-Forwarded-For", "198.51.100."+strconv.Itoa(i))
		got = append(got, r.status)
	}
	if fmt.Sprint(got) != "[200 200 200 429 429]" {
		t.Fatalf("statuses %v: a spoofed X-Forwarded-For got a fresh allowance", got)
	}
}

// The per-app limit holds across addresses, and an address refused by its
// own limit takes nothing from the app's.
func TestPerAppLimit(t *testing.T) {
	t.Parallel()
	h := setupLimited(t, map[publiclimit.Route]publiclimit.Rules{
		publiclimit.VAPIDKey: {PerAddress: hourly(2), PerApp: hourly(5)},
	})
	a, b := h.createApp(), h.createApp()
	get := func(appID, addr string) response {
		return h.do("GET", "/v1/apps/"+appID+"/vapid-public-key", nil, "X-Forwarded-For", addr)
	}
	for range 4 { // 2 pass, 2 refused per address: the app's allowance keeps 3
		get(a.ID, "192.0.2.1")
	}
	var got []int
	for i := range 4 {
		got = append(got, get(a.ID, "192.0.2."+strconv.Itoa(10+i)).status)
	}
	if fmt.Sprint(got) != "[200 200 200 429]" {
		t.Fatalf("statuses %v, want the app's 3 left then 429", got)
	}
	r := get(a.ID, "192.0.2.99")
	if r.status != 429 || !strings.Contains(r.raw2(), "for this app") {
		t.Fatalf("app limit: %d %s", r.status, r.raw)
	}
	if r := get(b.ID, "192.0.2.99"); r.status != 200 {
		t.Fatalf("another app limited by the first's allowance: %d", r.status)
	}
}
