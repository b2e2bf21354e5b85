package engagement

import (
	"testing"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/fault"
)

// What a service worker reports: the checks never panic and refuse with a
// fault, and a token counts only as the one Herald made for that
// notification and a subscription (no other spelling of it, no other
// notification's).
func FuzzEvent(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	nid, sid := "01a23285-d854-7a63-bce3-a697f42775b6", "01a23285-d845-71bb-9690-88fe00ad9dfc"
	made := recipientFor(secret, nid, sid)
	for _, seed := range []struct{ nid, token, kind, action, endpoint, eventID string }{
		{nid, made, Clicked, "buy", "https://fcm.googleapis.com/fcm/send/x", "e1"},
		{nid, made[:len(made)-1] + "B", Received, "", "", ""},
		{nid, "v1." + made[3:], Dismissed, "", "", "x"},
		{"not-a-uuid", made, "opened", "a\tb", "\xff", "a\nb"},
		{nid, made + "=", Clicked, "", "", "\x00"},
	} {
		f.Add(seed.nid, seed.token, seed.kind, seed.action, seed.endpoint, seed.eventID)
	}
	f.Fuzz(func(t *testing.T, notificationID, token, kind, action, endpoint, eventID string) {
		e := Event{NotificationID: notificationID, Token: token, Type: kind, Action: action, Endpoint: endpoint, EventID: eventID}
		if err := e.check(); err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("check(%+v): untyped error %v", e, err)
			}
			return
		}
		got, ok := verifyRecipient(secret, notificationID, token)
		if !ok {
			return
		}
		if _, err := uuid.Parse(got); err != nil || recipientFor(secret, notificationID, got) != token {
			t.Fatalf("token %q accepted for %s as subscription %q, which Herald would give %q", token, notificationID, got, recipientFor(secret, notificationID, got))
		}
	})
}
