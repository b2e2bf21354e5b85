package main

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// runFloorLoop is the library floor: a plain loop of webpush-go
// SendNotification calls, with in.Concurrency goroutines, through the HTTP
// client Herald's worker uses (pushsend.NewClient), to the simulator: no
// queue, no database. Its CPU is this process's over the loop. RecordSize is
// fitted to the payload as Herald's worker does (webpush-go would otherwise
// pad every message to 4096 bytes).
//
// With SameHeader, every request carries the Authorization header webpush-go
// built for the first one, as Herald's worker sends its cached token:
// webpush-go still signs a JWT per call (its cost stays in the floor), but
// the simulator, which caches verified tokens, does the same work per
// message for both. Without it the simulator verifies an ECDSA signature per
// message, which on a small machine slows the floor for reasons outside it.
func runFloorLoop(ctx context.Context, in floorInput) (floorOutput, error) {
	policy, err := pushendpoint.NewPolicy([]string{in.SimOrigin})
	if err != nil {
		return floorOutput{}, err
	}
	httpClient := pushsend.NewClient(pushsend.Config{Endpoints: policy, MaxConnsPerHost: in.Concurrency})
	var client webpush.HTTPClient = httpClient
	if in.SameHeader {
		client = &firstHeaderClient{client: httpClient}
	}
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return floorOutput{}, err
	}
	payload := []byte(in.Payload)
	recordSize := uint32(len(payload) + 86 + 16 + 1) // header, tag, delimiter: as pkg/pushsend
	work := make(chan simSub, in.Concurrency)
	var errCount atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	runtime.GC()
	cpu0 := selfCPU()
	start := time.Now()
	for range in.Concurrency {
		wg.Go(func() {
			for s := range work {
				plain := make([]byte, len(payload), len(payload)+1)
				copy(plain, payload)
				resp, err := webpush.SendNotificationWithContext(ctx, plain,
					&webpush.Subscription{Endpoint: s.Endpoint, Keys: webpush.Keys{P256dh: s.Keys.P256dh, Auth: s.Keys.Auth}},
					&webpush.Options{HTTPClient: client, RecordSize: recordSize, Subscriber: "bench@example.com", TTL: 3600,
						VAPIDPublicKey: pub, VAPIDPrivateKey: priv})
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	for _, s := range in.Subs {
		work <- s
	}
	close(work)
	wg.Wait()
	out := floorOutput{CPUSeconds: selfCPU() - cpu0, WallSeconds: time.Since(start).Seconds(), Errors: errCount.Load()}
	if e, ok := firstErr.Load().(string); ok {
		out.FirstError = e
	}
	out.PeakRSS, _ = peakRSS(0)
	return out, nil
}

// firstHeaderClient sends every request with the first request's
// Authorization header.
type firstHeaderClient struct {
	client webpush.HTTPClient
	once   sync.Once
	auth   string
}

func (c *firstHeaderClient) Do(req *http.Request) (*http.Response, error) {
	c.once.Do(func() { c.auth = req.Header.Get("Authorization") })
	req.Header.Set("Authorization", c.auth)
	return c.client.Do(req)
}
