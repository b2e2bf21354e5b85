package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/heraldclient"
	"github.com/heraldpush/herald/pkg/pushsim"
)

// The Go client repeats the server's response types (it is standard library
// only, so it cannot import services/api/httpapi). These checks keep the two
// copies the same: every JSON answer the client tests get is decoded again,
// strictly, into the client's type for its route (a field the server sends
// and the client lacks fails), and every field the client's type names must
// be in the answer (a field the client expects and the server never sends
// fails).

// clientTypes is the client's type for each route's answer. Routes whose
// client method returns a scalar list the struct that method decodes into.
var clientTypes = []struct {
	method  string
	path    *regexp.Regexp
	newType func() any
}{
	{"POST", regexp.MustCompile(`^/v1/apps$`), func() any { return &heraldclient.CreatedApp{} }},
	{"GET", regexp.MustCompile(`^/v1/apps$`), func() any { return &heraldclient.Page[heraldclient.App]{} }},
	{"GET", regexp.MustCompile(`^/v1/apps/[^/]+$`), func() any { return &heraldclient.App{} }},
	{"PATCH", regexp.MustCompile(`^/v1/apps/[^/]+$`), func() any { return &heraldclient.App{} }},
	{"DELETE", regexp.MustCompile(`^/v1/apps/[^/]+$`), func() any { return &heraldclient.DeletedApp{} }},
	{"POST", regexp.MustCompile(`^/v1/apps/[^/]+/api-keys$`), func() any { return &heraldclient.CreatedAPIKey{} }},
	{"GET", regexp.MustCompile(`^/v1/apps/[^/]+/api-keys$`), func() any { return &heraldclient.Page[heraldclient.APIKey]{} }},
	{"POST", regexp.MustCompile(`^/v1/apps/[^/]+/vapid-keys$`), func() any { return &heraldclient.VAPIDKey{} }},
	{"GET", regexp.MustCompile(`^/v1/apps/[^/]+/vapid-keys$`), func() any { return &heraldclient.Page[heraldclient.VAPIDKey]{} }},
	{"GET", regexp.MustCompile(`^/v1/apps/[^/]+/vapid-public-key$`), func() any {
		return &struct {
			PublicKey string `json:"public_key"`
		}{}
	}},
	{"POST", regexp.MustCompile(`^/v1/subscriptions$`), func() any { return &heraldclient.Subscribed{} }},
	{"GET", regexp.MustCompile(`^/v1/subscriptions$`), func() any { return &heraldclient.Page[heraldclient.Subscription]{} }},
	{"GET", regexp.MustCompile(`^/v1/subscriptions/[^/]+$`), func() any { return &heraldclient.Subscription{} }},
	{"PATCH", regexp.MustCompile(`^/v1/subscriptions/[^/]+$`), func() any { return &heraldclient.Subscription{} }},
	{"POST", regexp.MustCompile(`^/v1/subscriptions/import$`), func() any { return &heraldclient.ImportResult{} }},
	{"POST", regexp.MustCompile(`^/v1/users/[^/]+/topics$`), func() any { return &heraldclient.UserTopics{} }},
	{"GET", regexp.MustCompile(`^/v1/users/[^/]+/attributes$`), func() any { return &heraldclient.UserAttributes{} }},
	{"PUT", regexp.MustCompile(`^/v1/users/[^/]+/attributes$`), func() any { return &heraldclient.UserAttributes{} }},
	{"PATCH", regexp.MustCompile(`^/v1/users/[^/]+/attributes$`), func() any { return &heraldclient.UserAttributes{} }},
	{"GET", regexp.MustCompile(`^/v1/topics$`), func() any { return &heraldclient.Page[heraldclient.Topic]{} }},
	{"POST", regexp.MustCompile(`^/v1/segments/preview$`), func() any { return &heraldclient.SegmentPreview{} }},
	{"POST", regexp.MustCompile(`^/v1/notifications$`), func() any { return &heraldclient.Sent{} }},
	{"GET", regexp.MustCompile(`^/v1/notifications$`), func() any { return &heraldclient.Page[heraldclient.Notification]{} }},
	{"DELETE", regexp.MustCompile(`^/v1/notifications$`), func() any {
		return &struct {
			CancelKey string `json:"cancel_key"`
			Cancelled int    `json:"cancelled"`
		}{}
	}},
	{"GET", regexp.MustCompile(`^/v1/notifications/[^/]+$`), func() any { return &heraldclient.Notification{} }},
	{"DELETE", regexp.MustCompile(`^/v1/notifications/[^/]+$`), func() any { return &heraldclient.Notification{} }},
	{"POST", regexp.MustCompile(`^/v1/(admin/)?notifications/[^/]+/dead-letters/retry$`), func() any {
		return &struct {
			NotificationID string `json:"notification_id"`
			Retried        int    `json:"retried"`
		}{}
	}},
	{"GET", regexp.MustCompile(`^/v1/dead-letters$`), func() any { return &heraldclient.Page[heraldclient.DeadLetter]{} }},
	{"POST", regexp.MustCompile(`^/v1/(admin/)?dead-letters/[^/]+/retry$`), func() any { return &heraldclient.DeadLetter{} }},
	{"GET", regexp.MustCompile(`^/v1/stats$`), func() any { return &heraldclient.Stats{} }},
	{"GET", regexp.MustCompile(`^/v1/admin/stats$`), func() any { return &heraldclient.AdminStats{} }},
	{"GET", regexp.MustCompile(`^/v1/admin/dead-letters$`), func() any {
		return &struct {
			DeadLetters []heraldclient.DeadLetter `json:"dead_letters"`
			Open        int64                     `json:"open"`
		}{}
	}},
	{"POST", regexp.MustCompile(`^/v1/webhooks$`), func() any { return &heraldclient.Webhook{} }},
	{"GET", regexp.MustCompile(`^/v1/webhooks$`), func() any { return &heraldclient.Page[heraldclient.Webhook]{} }},
	{"GET", regexp.MustCompile(`^/v1/webhooks/[^/]+$`), func() any { return &heraldclient.Webhook{} }},
	{"PATCH", regexp.MustCompile(`^/v1/webhooks/[^/]+$`), func() any { return &heraldclient.Webhook{} }},
	{"POST", regexp.MustCompile(`^/v1/webhooks/[^/]+/test$`), func() any { return &heraldclient.WebhookDelivery{} }},
	{"GET", regexp.MustCompile(`^/v1/webhooks/[^/]+/deliveries$`), func() any { return &heraldclient.Page[heraldclient.WebhookDelivery]{} }},
	{"POST", regexp.MustCompile(`^/v1/webhooks/[^/]+/deliveries/[^/]+/retry$`), func() any { return &heraldclient.WebhookDelivery{} }},
	{"GET", regexp.MustCompile(`^/v1/admin/notifications$`), func() any {
		return &struct {
			Items []heraldclient.HistoryItem `json:"items"`
		}{}
	}},
}

type recorded struct {
	method, path string
	body         []byte
}

// typeChecked is a transport that keeps every 2xx JSON answer and, when
// the test ends, checks each against the client's type for its route.
type typeChecked struct {
	mu      sync.Mutex
	answers []recorded
}

func (r *typeChecked) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return resp, nil // the export's NDJSON, 204s
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.answers = append(r.answers, recorded{req.Method, req.URL.Path, body})
	r.mu.Unlock()
	return resp, err
}

// typeCheckedClient is an http.Client for heraldclient.WithHTTPClient whose
// answers are checked against the client's types when t ends.
func typeCheckedClient(t *testing.T) *http.Client {
	rec := &typeChecked{}
	t.Cleanup(func() {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.answers) == 0 {
			t.Error("no JSON answer to check against the client's types")
		}
		failed := map[string]bool{} // one report a route
		for _, a := range rec.answers {
			if msg := checkClientType(a); msg != "" && !failed[a.method+" "+msg[:strings.Index(msg, ":")]] {
				failed[a.method+" "+msg[:strings.Index(msg, ":")]] = true
				t.Errorf("%s %s", a.method, msg)
			}
		}
	})
	return &http.Client{Transport: rec}
}

// checkClientType returns what is wrong with answer a ("" when nothing),
// starting with its route's pattern.
func checkClientType(a recorded) string {
	for _, ct := range clientTypes {
		if ct.method != a.method || !ct.path.MatchString(a.path) {
			continue
		}
		v := ct.newType()
		dec := json.NewDecoder(bytes.NewReader(a.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return fmt.Sprintf("%s: the answer does not decode strictly into the client's %T: %v\n%s", ct.path, v, err, a.body)
		}
		back, _ := json.Marshal(v)
		var sent, named any
		_ = json.Unmarshal(a.body, &sent)
		_ = json.Unmarshal(back, &named)
		if missing := absentKeys(named, sent, ""); len(missing) > 0 {
			return fmt.Sprintf("%s: the client's %T names fields the server did not send: %s\n%s", ct.path, v, strings.Join(missing, ", "), a.body)
		}
		return ""
	}
	return fmt.Sprintf("%s: no client type for this route in clientTypes (client_types_test.go)", a.path)
}

// absentKeys lists the object keys in named that sent lacks, recursively
// (arrays by their first element; a key omitted from sent because the
// client's field is omitempty is not in named either).
func absentKeys(named, sent any, at string) []string {
	var out []string
	switch n := named.(type) {
	case map[string]any:
		s, ok := sent.(map[string]any)
		if !ok {
			return nil
		}
		for k, nv := range n {
			sv, present := s[k]
			if !present {
				out = append(out, at+k)
				continue
			}
			out = append(out, absentKeys(nv, sv, at+k+".")...)
		}
	case []any:
		if s, ok := sent.([]any); ok && len(n) > 0 && len(s) > 0 {
			out = absentKeys(n[0], s[0], at+"[0].")
		}
	}
	sort.Strings(out)
	return out
}

// The client's listing and management calls against a real Herald, their
// answers checked against the client's types.
func TestGoClientListingsAndImport(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	ctx := t.Context()
	c := heraldclient.New(p.apiURL, heraldclient.WithAPIKey(p.apiKey), heraldclient.WithAdminToken(testAdminToken),
		heraldclient.WithHTTPClient(typeCheckedClient(t)))
	created, err := c.CreateApp(ctx, &heraldclient.CreateAppRequest{Name: "listings"})
	if err != nil {
		t.Fatal(err)
	}
	c = heraldclient.New(p.apiURL, heraldclient.WithAPIKey(created.APIKey), heraldclient.WithAdminToken(testAdminToken),
		heraldclient.WithHTTPClient(typeCheckedClient(t)))
	var dump bytes.Buffer
	for i := range 3 {
		s, err := p.sim.Mint(pushsim.Behavior{}, created.VAPIDPublicKey)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(map[string]any{"endpoint": s.Endpoint, "keys": s.Keys, "user_id": fmt.Sprint("u", i%2), "topics": []string{"news"}})
		dump.Write(append(line, '\n'))
	}
	dump.WriteString("{\"endpoint\": \n")
	res, err := c.ImportSubscriptions(ctx, &dump)
	if err != nil || res.Created != 3 || res.RefusedCount != 1 || res.Refused[0].Line != 4 {
		t.Fatalf("import %+v, %v", res, err)
	}
	var exported bytes.Buffer
	if n, err := c.ExportSubscriptions(ctx, heraldclient.SubscriptionFilter{UserID: "u0"}, &exported); err != nil || n != 2 {
		t.Fatalf("export of u0: %d lines, %v", n, err)
	}
	page, err := c.ListSubscriptions(ctx, heraldclient.SubscriptionFilter{Topic: "news"}, heraldclient.ListOptions{Limit: 2})
	if err != nil || len(page.Items) != 2 || page.NextAfter == "" {
		t.Fatalf("list %+v, %v", page, err)
	}
	if ut, err := c.ChangeUserTopics(ctx, "u1", []string{"sport"}, nil); err != nil || ut.Subscriptions != 1 {
		t.Fatalf("user topics %+v, %v", ut, err)
	}
	topics := []string{"deals"}
	sub, err := c.UpdateSubscription(ctx, page.Items[0].ID, &heraldclient.SubscriptionUpdate{Topics: &topics, ClearUser: true})
	if err != nil || sub.UserID != nil || fmt.Sprint(sub.Topics) != "[deals]" {
		t.Fatalf("update %+v, %v", sub, err)
	}
	if tp, err := c.ListTopics(ctx, heraldclient.ListOptions{}); err != nil || len(tp.Items) == 0 {
		t.Fatalf("topics %+v, %v", tp, err)
	}
	sent, err := c.Send(ctx, &heraldclient.SendRequest{Target: heraldclient.Target{All: true}, Notification: heraldclient.Content{Title: "listed"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitCompleted(ctx, sent.ID, 100*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	history, err := c.ListNotifications(ctx, heraldclient.NotificationFilter{Status: heraldclient.StatusCompleted}, heraldclient.ListOptions{})
	if err != nil || len(history.Items) != 1 || history.Items[0].Counts.Delivered != 3 {
		t.Fatalf("history %+v, %v", history, err)
	}
}
