package httpapi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/webhook"
)

// The description of a webhook's events at creation names every type an endpoint may
// receive, so an event added to the package is documented too.
func TestWebhookEventsDocumented(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeOf(createWebhookRequest{})} {
		f, _ := typ.FieldByName("Events")
		doc := f.Tag.Get("doc")
		for _, e := range webhook.EventTypes {
			if !strings.Contains(doc, e) {
				t.Errorf("%s.events does not name %s: %q", typ.Name(), e, doc)
			}
		}
	}
}
