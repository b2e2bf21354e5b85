package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxErrorLength bounds what an attempt's error keeps of the answer.
const maxErrorLength = 500

// attempt is what one request came to.
type attempt struct {
	status  int // HTTP status; 0 if none came
	err     string
	latency time.Duration
}

func (a attempt) ok() bool { return a.status >= 200 && a.status < 300 }

// send signs m for e and posts it.
func (d *Dispatcher) send(ctx context.Context, m *Message, e *Endpoint) attempt {
	at := d.now()
	signers, err := d.store.sealer.signers(e, at)
	if err != nil {
		return attempt{err: err.Error()}
	}
	body := []byte(m.Payload)
	sig, err := sign(signers, m.ID, at, body)
	if err != nil {
		return attempt{err: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return attempt{err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Herald-Webhooks/1")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := d.client.Do(req)
	a := attempt{latency: time.Since(start)}
	if err != nil {
		a.err = err.Error()
		return a
	}
	defer resp.Body.Close()
	a.status = resp.StatusCode
	if !a.ok() {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorLength))
		a.err = fmt.Sprintf("HTTP %d", resp.StatusCode)
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			a.err += " (redirects are not followed; register the final URL)"
		}
		if len(snippet) > 0 {
			a.err += ": " + string(snippet)
		}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	return a
}
