package notification

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

func TestTemplatesWithSyntaxErrorsAreRefused(t *testing.T) {
	for _, c := range []struct {
		content Content
		want    string // in the message
	}{
		{Content{Title: "Hi {{ first_name | default: \"there\" "}, "notification.title: {{ at position 3 is never closed"},
		{Content{Title: "ok", Body: "{% if vip %}Gold"}, `notification.body: Liquid error: unterminated "if" block`},
		{Content{Title: "Hi {{ a b }}"}, "notification.title: Liquid error: syntax error in \"a b\" in {{ a b }} (at position 3)"},
		{Content{Title: "Hi {{ a | shout }}"}, `undefined filter "shout"`},
		{Content{Title: "ok", Actions: []Action{{Action: "a", Title: "{% nope %}"}}}, "notification.actions[0].title"},
		{Content{Title: "ok", Tag: "{{ x }}"}, "only title, body, url, image"},
	} {
		r := Request{Target: Target{All: true}, Notification: c.content}
		_, _, err := r.validate()
		f, ok := fault.As(err)
		if !ok || f.Code != "invalid_template" || f.Kind != fault.KindInvalid || !strings.Contains(f.Message, c.want) {
			t.Errorf("%+v: %v, want invalid_template with %q", c.content, err, c.want)
		}
	}
	ok := Request{Target: Target{All: true}, Notification: Content{Title: `Hi {{ first_name | default: "there" }}`,
		URL: "{{ base }}/cart", Actions: []Action{{Action: "buy", Title: "Buy {{ item }}", URL: "/buy/{{ sku }}"}}}}
	if _, _, err := ok.validate(); err != nil {
		t.Fatal(err)
	}
}

func renderer(t *testing.T, c Content, perUser string) *Renderer {
	t.Helper()
	s := &Service{}
	p, err := s.buildPayloads(t.Context(), "n-1", Request{Notification: c}, FormatStandard)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(&Notification{ID: "n-1", Personalization: perUser}, string(p.main), "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRendererFillsEachRecipient(t *testing.T) {
	c := Content{Title: `Hi {{ first_name | default: "there" }}`, Body: `{{ item }} for {{ price }}`, URL: "/cart/{{ user_id }}",
		Icon: "/i.png", Data: json.RawMessage(`{"big": 12345678901234567890, "t": "{{ not rendered }}"}`),
		Actions: []Action{{Action: "buy", Title: "Buy \"{{ item }}\"", URL: "https://shop.example/buy/{{ sku }}"}}}
	r := renderer(t, c, `{"u1": {"price": "9 €", "first_name": "Annie"}}`)
	var wg sync.WaitGroup
	for i := range 50 { // concurrently, as a worker's batches do
		wg.Go(func() {
			user, attrs := "", map[string]string{"first_name": "Bo", "item": "<tea>", "sku": "T1"}
			if i%2 == 0 {
				user = "u1"
			}
			b, err := r.Render(Recipient{Subscription: attrs, UserID: user}, false)
			if err != nil {
				t.Error(err)
				return
			}
			var p map[string]any
			d := json.NewDecoder(strings.NewReader(string(b)))
			d.UseNumber()
			if err := d.Decode(&p); err != nil {
				t.Errorf("%s: %v", b, err)
				return
			}
			wantTitle, wantBody, wantURL := "Hi Bo", "<tea> for ", "/cart/"
			if user == "u1" {
				wantTitle, wantBody, wantURL = "Hi Annie", "<tea> for 9 €", "/cart/u1"
			}
			action := p["actions"].([]any)[0].(map[string]any)
			data := p["data"].(map[string]any)
			if p["title"] != wantTitle || p["body"] != wantBody || p["url"] != wantURL || p["icon"] != "/i.png" ||
				p["notification_id"] != "n-1" || action["title"] != `Buy "<tea>"` || action["url"] != "https://shop.example/buy/T1" ||
				data["big"].(json.Number).String() != "12345678901234567890" || data["t"] != "{{ not rendered }}" {
				t.Errorf("rendered %s", b)
			}
		})
	}
	wg.Wait()
	if b, _ := r.Render(Recipient{}, false); !strings.Contains(string(b), `"title":"Hi there"`) {
		t.Fatalf("no attributes: %s", b)
	}
}

func TestRendererRefusesOneRecipientNotAll(t *testing.T) {
	r := renderer(t, Content{Title: "{{ greeting }}", URL: "{{ link }}"}, "")
	if _, err := r.Render(Recipient{Subscription: map[string]string{"greeting": strings.Repeat("é", 2000), "link": "/x"}}, false); err == nil ||
		!strings.Contains(err.Error(), "personalised payload is") {
		t.Fatalf("too large: %v", err)
	}
	if _, err := r.Render(Recipient{Subscription: map[string]string{"greeting": "hi", "link": "javascript:alert(1)"}}, false); err == nil ||
		!strings.Contains(err.Error(), "not an http(s) URL") {
		t.Fatalf("bad link: %v", err)
	}
	if _, err := r.Render(Recipient{Subscription: map[string]string{"greeting": "hi", "link": "https://ok.example/"}}, false); err != nil {
		t.Fatal(err)
	}
}

func TestVariantsAreValidated(t *testing.T) {
	v := func(name string, w int, title string) Variant {
		return Variant{Name: name, Weight: w, Notification: Content{Title: title}}
	}
	for _, c := range []struct {
		variants []Variant
		code     string
	}{
		{[]Variant{v("a", 1, "A")}, "invalid_variants"},
		{[]Variant{v("a", 1, "A"), v("a", 1, "B")}, "invalid_variants"},
		{[]Variant{v("a", 0, "A"), v("b", 1, "B")}, "invalid_variants"},
		{[]Variant{v("a b", 1, "A"), v("b", 1, "B")}, "invalid_variants"},
		{[]Variant{v("a", 1, "A"), v("b", 1, "")}, "invalid_notification"},
		{[]Variant{v("a", 1, "A"), v("b", 1, "{{ x")}, "invalid_template"},
	} {
		r := Request{Target: Target{All: true}, Variants: c.variants}
		_, err := r.validateVariants()
		if f, ok := fault.As(err); !ok || f.Code != c.code {
			t.Errorf("%+v: %v, want %s", c.variants, err, c.code)
		}
	}
	// The defaults are held to the limits even where every variant
	// overrides them (they are stored); their title may be left out.
	both := []Variant{v("a", 1, "A"), v("b", 1, "B")}
	for _, c := range []struct {
		defaults Content
		code     string
	}{
		{Content{Title: strings.Repeat("x", MaxTextLength+1)}, "invalid_notification"},
		{Content{Body: "{{ x"}, "invalid_template"},
		{Content{URL: "javascript:alert(1)"}, "invalid_notification"},
		{Content{Body: "ok"}, ""},
	} {
		r := Request{Target: Target{All: true}, Notification: c.defaults, Variants: both}
		_, err := r.validateVariants()
		if f, _ := fault.As(err); (c.code == "" && err != nil) || (c.code != "" && (f == nil || f.Code != c.code)) {
			t.Errorf("defaults %+v: %v, want %q", c.defaults, err, c.code)
		}
	}
	r := Request{Notification: Content{Title: "T", Body: "shared", URL: "/x"},
		Variants: []Variant{v("a", 1, ""), {Name: "b", Weight: 2, Notification: Content{Body: "own"}}}}
	got, err := r.validateVariants()
	if err != nil || got[0].Title != "T" || got[0].Body != "shared" || got[1].Body != "own" || got[1].URL != "/x" {
		t.Fatalf("merged %+v: %v", got, err)
	}
}

// A variable is the user's attribute unless the subscription has it, then
// the subscription's unless the request's personalization has it.
func TestRenderPrecedence(t *testing.T) {
	r := renderer(t, Content{Title: "{{ a }} {{ b }} {{ c }} {{ d }}"}, `{"u1": {"c": "request"}}`)
	b, err := r.Render(Recipient{UserID: "u1",
		User:         map[string]string{"a": "user", "b": "user", "c": "user", "d": "user"},
		Subscription: map[string]string{"b": "subscription", "c": "subscription"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"title":"user subscription request user"`) {
		t.Fatalf("rendered %s", b)
	}
}
