package notification

import (
	"fmt"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// Warning is something the sender of an accepted notification should know:
// the notification goes out, but some browsers will not show it.
type Warning struct {
	Code    string
	Service pushendpoint.Service // the push service it concerns
	Message string
}

// WarnPayloadOverSafeBody: the payload a push service gets is larger than
// some of the browsers behind it take (Firefox for Android behind Mozilla's
// autopush: about 3,070 encrypted bytes). It is still sent, since most of
// that service's browsers take the full 4096 bytes; those that do not are
// answered 413 and dead-lettered with the same explanation.
const WarnPayloadOverSafeBody = "payload_over_safe_size"

// warnedServices are the push services whose rules Warnings checks.
var warnedServices = []pushendpoint.Service{pushendpoint.FCM, pushendpoint.Mozilla, pushendpoint.Apple, pushendpoint.WNS}

// Warnings lists what n's sender should know about its payloads, push
// service by push service (pushsend.RulesFor); none for most notifications.
func (n *Notification) Warnings() []Warning {
	var out []Warning
	for _, s := range warnedServices {
		safe := pushsend.RulesFor(s).SafeBody
		size := pushsend.BodySize(len(n.PayloadFor(s)))
		if safe == 0 || size <= safe {
			continue
		}
		out = append(out, Warning{Code: WarnPayloadOverSafeBody, Service: s, Message: fmt.Sprintf(
			"the payload for %s's push service encrypts to %d bytes; some browsers behind it (Firefox for Android) take at most %d and will not show it: keep the payload to at most %d bytes of JSON",
			s, size, safe, safe-pushsend.BodySize(0))})
	}
	return out
}
