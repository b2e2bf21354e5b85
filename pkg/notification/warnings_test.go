package notification_test

import (
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// Firefox for Android takes about 3,070 encrypted bytes: payloads above
// 2,967 bytes of JSON are flagged for Mozilla endpoints, and only those,
// up to a full record.
func TestWarningsAtFirefoxAndroidLimit(t *testing.T) {
	if limit := pushsend.FirefoxAndroidMaxBody - pushsend.BodySize(0); limit != 2967 {
		t.Fatalf("JSON limit for Firefox Android %d, want 2967", limit)
	}
	payload := func(n int) *notification.Notification {
		return &notification.Notification{Payload: strings.Repeat("x", n)}
	}
	if got := payload(2967).Warnings(); len(got) != 0 {
		t.Fatalf("at the limit: %+v", got)
	}
	for _, n := range []int{2968, pushsend.MaxPlaintext()} {
		got := payload(n).Warnings()
		if len(got) != 1 || got[0].Service != pushendpoint.Mozilla || got[0].Code != notification.WarnPayloadOverSafeBody {
			t.Fatalf("%d bytes: %+v, want one %s warning for mozilla", n, got, notification.WarnPayloadOverSafeBody)
		}
	}
}
