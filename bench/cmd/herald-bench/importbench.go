package main

import (
	"bufio"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"
)

// importResult is the subscriber import through the API: BENCH_IMPORT_N
// generated lines POSTed as one streamed NDJSON body.
type importResult struct {
	Lines      int     `json:"lines"`
	Created    int64   `json:"created"`
	Refused    int64   `json:"refused"`
	Seconds    float64 `json:"seconds"`
	PerSec     float64 `json:"subscriptions_per_second"`
	BodyBytes  int64   `json:"body_bytes"`
	APIRSSBase int64   `json:"api_rss_before_bytes"`
	APIPeakRSS int64   `json:"api_peak_rss_bytes"` // the highest RSS sampled during the import
}

// runImport creates an app of its own and imports n subscriptions into it,
// sampling the API's resident set every 50 ms.
func (b *bench) runImport(ctx context.Context, n int) (*importResult, error) {
	app := &api{base: b.api.base, adminToken: b.api.adminToken}
	if err := app.createApp(ctx); err != nil {
		return nil, err
	}
	lines, err := newImportLines()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	counted := &countingWriter{w: pw}
	go func() {
		bw := bufio.NewWriterSize(counted, 256<<10)
		for i := range n {
			if _, err := bw.Write(lines.line(i)); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(bw.Flush())
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", app.base+"/v1/subscriptions/import", pr)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+app.apiKey)
	req.Header.Set("Content-Type", "application/x-ndjson")

	res := &importResult{Lines: n}
	res.APIRSSBase, _ = currentRSS(b.apiProc.pid())
	stop := make(chan struct{})
	sampled := make(chan int64, 1)
	go func() {
		peak := res.APIRSSBase
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				sampled <- peak
				return
			case <-t.C:
				if rss, err := currentRSS(b.apiProc.pid()); err == nil {
					peak = max(peak, rss)
				}
			}
		}
	}()
	start := time.Now()
	resp, err := (&http.Client{Timeout: time.Hour}).Do(req)
	res.Seconds = time.Since(start).Seconds()
	close(stop)
	res.APIPeakRSS = <-sampled
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer resp.Body.Close()
	var answer struct {
		Created      int64 `json:"created"`
		RefusedCount int64 `json:"refused_count"`
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return nil, fmt.Errorf("import: status %d: %s", resp.StatusCode, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("import answer: %w", err)
	}
	res.Created, res.Refused, res.BodyBytes = answer.Created, answer.RefusedCount, counted.n
	res.PerSec = float64(answer.Created) / res.Seconds
	if answer.Created != int64(n) {
		return res, fmt.Errorf("import created %d of %d lines (%d refused)", answer.Created, n, answer.RefusedCount)
	}
	return res, nil
}

func (r *importResult) print(out io.Writer) {
	const mb = 1 << 20
	fmt.Fprintf(out, "subscriber import (POST /v1/subscriptions/import, %d lines, %.0f MB streamed): %.0f subscriptions/s in %.1f s; API RSS %.0f MB before, peak %.0f MB during\n",
		r.Lines, float64(r.BodyBytes)/mb, r.PerSec, r.Seconds, float64(r.APIRSSBase)/mb, float64(r.APIPeakRSS)/mb)
}

// importLines makes web-push dump rows: distinct FCM endpoints with keys
// drawn from a pool of real P-256 points (validation checks each point).
type importLines struct{ keys []string }

func newImportLines() (*importLines, error) {
	l := &importLines{}
	for range 1024 {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		auth := make([]byte, 16)
		_, _ = rand.Read(auth)
		l.keys = append(l.keys, fmt.Sprintf(`"keys":{"p256dh":%q,"auth":%q}`,
			base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(auth)))
	}
	return l, nil
}

func (l *importLines) line(i int) []byte {
	return []byte(`{"endpoint":"https://fcm.googleapis.com/fcm/send/bench-` + strconv.Itoa(i) + `:APA91b` + randomHex(8) + `",` +
		l.keys[i%len(l.keys)] + `,"user_id":"user-` + strconv.Itoa(i/3) + `"}` + "\n")
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// runImportOnly is BENCH_ONLY=import: the API alone on a fresh schema, and
// the import.
func runImportOnly(ctx context.Context, cfg config) error {
	b := &bench{cfg: cfg}
	defer b.close()
	var err error
	if b.dir, err = os.MkdirTemp("", "herald-bench-"); err != nil {
		return err
	}
	if cfg.binDir == "" {
		slog.Info("building herald-api, herald-worker, herald-pushsim")
		if err := buildBinaries(ctx, b.dir); err != nil {
			return err
		}
	}
	if b.redis, err = claimRedis(ctx, cfg.redisURL, 1); err != nil {
		return err
	}
	if b.dbURL, b.schema, err = createSchema(ctx, cfg.dbURL); err != nil {
		return err
	}
	if err := b.startAPI(ctx, nil); err != nil {
		return err
	}
	slog.Info("subscriber import", "lines", cfg.importN)
	r, err := b.runImport(ctx, cfg.importN)
	if err != nil {
		return err
	}
	r.print(os.Stdout)
	return nil
}
