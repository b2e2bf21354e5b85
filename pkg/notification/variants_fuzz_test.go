package notification

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/fault"
)

// variantDraws is how many recipients each accepted split is drawn for.
const variantDraws = 2000

// The variants of a send request: validation answers nil or a fault and
// never panics; what it accepts is 2 to 5 uniquely named variants with
// weights in range, each with content that validates; and the chooser,
// over the variants as the worker reads them back from the stored JSON,
// always names one of them, names the same one for the same pair of ids,
// and gives each variant its weight's share of recipients.
func FuzzVariants(f *testing.F) {
	f.Add(uint8(3), "a,b,c", 50, 30, 20, 0, 0, "Hi", "", "0190f3c2-notification", "sub-1")
	f.Add(uint8(2), "control,test", 1, 10000, 0, 0, 0, "", "https://shop.example/{{ sku }}", "n", "")
	f.Add(uint8(5), "a,b,c,d,e", 1, 1, 1, 1, 1, "{{ first_name | default: 'there' }}", "/p", "", "\xff")
	f.Add(uint8(6), "a,b,c,d,e,f", 1, 2, 3, 4, 5, "x", "", "n", "s")
	f.Add(uint8(2), "a,a", 50, 50, 0, 0, 0, "x", "", "n", "s")
	f.Add(uint8(2), "a,b", 0, -1, 0, 0, 0, "x", "javascript:alert(1)", "n", "s")
	f.Add(uint8(3), "ok,bad name,c", 10001, 5, 5, 0, 0, "{{", "", "n", "s")
	f.Fuzz(func(t *testing.T, n uint8, names string, w0, w1, w2, w3, w4 int, title, link, notificationID, subscriptionID string) {
		weights := []int{w0, w1, w2, w3, w4}
		split := strings.Split(names, ",")
		r := Request{Target: Target{All: true}, Notification: Content{Title: "base"}}
		for i := range min(int(n), 8) {
			name := fmt.Sprintf("v%d", i)
			if i < len(split) {
				name = split[i]
			}
			v := Variant{Name: name, Weight: weights[i%len(weights)]}
			if i == 1 {
				v.Notification = Content{Title: title, URL: link}
			}
			r.Variants = append(r.Variants, v)
		}
		contents, err := r.validateVariants()
		if err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(contents) != len(r.Variants) || len(r.Variants) < MinVariants || len(r.Variants) > MaxVariants {
			t.Fatalf("accepted %d variants (%d contents)", len(r.Variants), len(contents))
		}
		seen := map[string]bool{}
		stored := make([]StoredVariant, len(r.Variants))
		for i, v := range r.Variants {
			if seen[v.Name] || v.Name == "" || v.Weight < 1 || v.Weight > MaxVariantWeight {
				t.Fatalf("accepted variant %d named %q weighing %d", i, v.Name, v.Weight)
			}
			seen[v.Name] = true
			if err := contents[i].validate(); err != nil {
				t.Fatalf("variant %d's merged content does not validate: %v", i, err)
			}
			stored[i] = StoredVariant{Name: v.Name, Weight: v.Weight, Content: contents[i].JSON()}
		}
		// The worker chooses over the variants read back from the row.
		b, err := json.Marshal(stored)
		if err != nil {
			t.Fatalf("encode variants: %v", err)
		}
		read, err := (&Notification{ID: notificationID, VariantsJSON: string(b)}).Variants()
		if err != nil {
			t.Fatalf("variants do not read back: %v", err)
		}
		got := VariantFor(notificationID, subscriptionID, read)
		if got < 0 || got >= len(stored) || got != VariantFor(notificationID, subscriptionID, stored) {
			t.Fatalf("VariantFor(%q, %q) = %d over %d variants, %d before storing", notificationID, subscriptionID,
				got, len(stored), VariantFor(notificationID, subscriptionID, stored))
		}
		checkSplit(t, notificationID, subscriptionID, read)
	})
}

// checkSplit draws variantDraws recipients of the notification (ids made
// from subscriptionID) and requires each variant's share within seven
// standard deviations (and a few recipients) of its weight's share:
// a correct chooser fails that far less often than once in 10^11 draws.
func checkSplit(t *testing.T, notificationID, subscriptionID string, vs []StoredVariant) {
	t.Helper()
	total := 0
	for _, v := range vs {
		total += v.Weight
	}
	got := make([]int, len(vs))
	for i := range variantDraws {
		got[VariantFor(notificationID, fmt.Sprintf("%s-%d", subscriptionID, i), vs)]++
	}
	for i, v := range vs {
		p := float64(v.Weight) / float64(total)
		sd := math.Sqrt(p * (1 - p) / variantDraws)
		if share := float64(got[i]) / variantDraws; math.Abs(share-p) > 7*sd+10.0/variantDraws {
			t.Fatalf("variant %q (weight %d of %d) got %d of %d recipients (%.4f, want %.4f)", v.Name, v.Weight, total,
				got[i], variantDraws, share, p)
		}
	}
}
