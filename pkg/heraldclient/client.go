package heraldclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of the retry policy (WithRetries changes them).
const (
	DefaultMaxRetries   = 4
	DefaultMaxRetryWait = 30 * time.Second
	firstBackoff        = 500 * time.Millisecond
	maxResponseBytes    = 32 << 20
)

var (
	// ErrNoAPIKey is returned, before any request, by a call to a
	// server-to-server route on a client without WithAPIKey.
	ErrNoAPIKey = errors.New("heraldclient: this route acts for one app and needs its API key (WithAPIKey, or HERALD_API_KEY)")
	// ErrNoAdminToken is returned, before any request, by a call to an
	// admin route on a client without WithAdminToken.
	ErrNoAdminToken = errors.New("heraldclient: this is an admin route and needs the admin token (WithAdminToken, or HERALD_ADMIN_TOKEN)")
)

// Client calls one Herald API. It is safe for concurrent use.
type Client struct {
	base       string
	apiKey     string
	adminToken string
	http       *http.Client
	maxRetries int
	maxWait    time.Duration
	userAgent  string
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey sets the app's API key the server-to-server routes use.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithAdminToken sets the admin token (HERALD_ADMIN_TOKEN) of the admin routes.
func WithAdminToken(token string) Option { return func(c *Client) { c.adminToken = token } }

// WithHTTPClient replaces http.DefaultClient.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetries sets how many times a call is tried again after a 429, a 503
// or (when safe) no answer, and the longest wait between two tries: a
// Retry-After longer than maxWait ends the call with the *Error at once.
// WithRetries(0, 0) turns retries off.
func WithRetries(max int, maxWait time.Duration) Option {
	return func(c *Client) { c.maxRetries, c.maxWait = max, maxWait }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the API at baseURL (like http://127.0.0.1:8080).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: http.DefaultClient,
		maxRetries: DefaultMaxRetries, maxWait: DefaultMaxRetryWait, userAgent: "heraldclient"}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL is the API's address as given to New, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Error is a non-2xx answer of the API.
type Error struct {
	Method     string
	Path       string
	StatusCode int
	Code       string        // Herald's stable error code, like "not_found"
	Message    string        // what was wrong and what to do about it
	RetryAfter time.Duration // the server's Retry-After, when it sent one
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, e.Code, e.Message)
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// StatusOf is the HTTP status of an *Error in err's chain, 0 for any other error.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// credential is which token a route takes.
type credential int

const (
	public credential = iota
	apiKey
	admin
)

// call is one request; body is kept as bytes so a retry can send it again.
type call struct {
	method      string
	path        string
	query       url.Values
	body        []byte
	contentType string
	cred        credential
	header      http.Header
	replayable  bool      // safe to repeat after a request that got no answer
	stream      io.Reader // a body read once (an import): the call is never repeated
}

func jsonCall(method, path string, cred credential, body any) (call, error) {
	cl := call{method: method, path: path, cred: cred, replayable: method == http.MethodGet || method == http.MethodDelete || method == http.MethodPut}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return cl, fmt.Errorf("heraldclient: encode %s %s: %w", method, path, err)
		}
		cl.body, cl.contentType = b, "application/json"
	}
	return cl, nil
}

// doJSON makes a JSON call and decodes a 2xx answer into out (when not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, cred credential, body, out any) (http.Header, error) {
	cl, err := jsonCall(method, path, cred, body)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, cl, out)
}

// do sends cl, retrying on 429 and 503 (and, when replayable, on no
// answer), and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, cl call, out any) (http.Header, error) {
	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := decodeBody(cl, resp, out); err != nil {
		return nil, err
	}
	return resp.Header, nil
}

// decodeBody decodes a 2xx JSON answer into out (when not nil).
func decodeBody(cl call, resp *http.Response, out any) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("heraldclient: %s %s: read answer: %w", cl.method, cl.path, err)
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("heraldclient: %s %s: decode answer: %w", cl.method, cl.path, err)
		}
		keepRaw(out, data)
	}
	return nil
}

// send returns a 2xx response, whose body the caller closes, or an error.
func (c *Client) send(ctx context.Context, cl call) (*http.Response, error) {
	token, err := c.token(cl.cred)
	if err != nil {
		return nil, err
	}
	target := c.base + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		var body io.Reader = bytes.NewReader(cl.body)
		if cl.stream != nil {
			body = cl.stream
		}
		req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
		if err != nil {
			return nil, fmt.Errorf("heraldclient: %w", err)
		}
		if cl.body == nil && cl.stream == nil {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		for k, vs := range cl.header {
			req.Header[k] = vs
		}
		if cl.contentType != "" {
			req.Header.Set("Content-Type", cl.contentType)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil || !cl.replayable || attempt >= c.maxRetries {
				return nil, fmt.Errorf("heraldclient: %s %s: %w", cl.method, cl.path, err)
			}
			if err := sleep(ctx, backoff(attempt, c.maxWait)); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		apiErr := readError(cl, resp)
		if (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) && attempt < c.maxRetries && cl.stream == nil {
			wait := apiErr.RetryAfter
			if wait == 0 {
				wait = backoff(attempt, c.maxWait)
			}
			if wait <= c.maxWait {
				if err := sleep(ctx, wait); err != nil {
					return nil, err
				}
				continue
			}
		}
		return nil, apiErr
	}
}

func (c *Client) token(cred credential) (string, error) {
	switch cred {
	case apiKey:
		if c.apiKey == "" {
			return "", ErrNoAPIKey
		}
		return c.apiKey, nil
	case admin:
		if c.adminToken == "" {
			return "", ErrNoAdminToken
		}
		return c.adminToken, nil
	}
	return "", nil
}

// readError turns a non-2xx answer into an *Error and closes its body.
func readError(cl call, resp *http.Response) *Error {
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Method: cl.method, Path: cl.path, StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		return e
	}
	e.Code = "http_" + strconv.Itoa(resp.StatusCode)
	e.Message = strings.TrimSpace(string(data))
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or
// unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// backoff is firstBackoff doubled per attempt, with ±50% jitter, at most max.
func backoff(attempt int, max time.Duration) time.Duration {
	d := firstBackoff << min(attempt, 16)
	d = d/2 + rand.N(d)
	if max > 0 && d > max {
		d = max
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Raw keeps the JSON a response was decoded from; every response type
// embeds it.
type Raw struct{ raw json.RawMessage }

// JSON is the answer as the server sent it.
func (r Raw) JSON() json.RawMessage { return r.raw }

func (r *Raw) setRaw(b []byte) { r.raw = append(json.RawMessage(nil), b...) }

type rawKeeper interface{ setRaw([]byte) }

func keepRaw(out any, data []byte) {
	if k, ok := out.(rawKeeper); ok {
		k.setRaw(data)
	}
	if l, ok := out.(interface{ keepItemsRaw([]byte) }); ok {
		l.keepItemsRaw(data)
	}
}

func pathEscape(s string) string { return url.PathEscape(s) }
