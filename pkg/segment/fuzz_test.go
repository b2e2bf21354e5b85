package segment

import (
	"strings"
	"testing"
)

// Whatever the text, Parse answers an expression or an *Error inside the
// text; an expression's canonical form parses back to itself and means
// the same.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"news && (de || at) && !muted", `"sale 50%" || "a\"b"`, "((a", "!!!", "a &&", "é || \xff", strings.Repeat("(", 300) + "a"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, err := Parse(text)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Pos < 0 || e.Pos > len(text) {
				t.Fatalf("Parse(%q): %v (%T)", text, err, err)
			}
			return
		}
		canonical := n.String()
		again, err := Parse(canonical)
		if err != nil || again.String() != canonical {
			t.Fatalf("canonical %q of %q does not parse back: %v", canonical, text, err)
		}
		// The canonical form means the same: equal on every assignment of
		// its topics that sets one of them (a few, to stay fast).
		topics := n.Topics()
		for i := range min(len(topics), 8) {
			has := func(topic string) bool { return topic == topics[i] }
			if n.Eval(has) != again.Eval(has) {
				t.Fatalf("%q and its canonical %q differ with only %q set", text, canonical, topics[i])
			}
		}
	})
}
