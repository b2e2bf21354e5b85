package segment

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"news && (de || at) && !muted":    "news && (de || at) && !muted",
		"  a&&b||c ":                      "a && b || c",
		"a || b && c":                     "a || b && c",
		"(a || b) && c":                   "(a || b) && c",
		"((a))":                           "a",
		"!!a":                             "a",
		"!(a && b)":                       "!(a && b)",
		"(a && b) && c":                   "a && b && c",
		`"sale 50%" || "a\"b" || "x\\y"`:  `"sale 50%" || "a\"b" || "x\\y"`,
		"lang:de && team/blue && é":       "lang:de && team/blue && é",
		`"plain"`:                         "plain",
		"a || (b || c)":                   "a || b || c",
		"!(a || b) || !c":                 "!(a || b) || !c",
		"user@example.com && v1.2-beta_x": "user@example.com && v1.2-beta_x",
	} {
		n, err := Parse(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := n.String(); got != want {
			t.Errorf("%q: canonical %q, want %q", in, got, want)
		}
		again, err := Parse(n.String())
		if err != nil || again.String() != n.String() {
			t.Errorf("%q: canonical form does not parse back: %v", in, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]Error{
		"":               {0, "the expression is empty"},
		"   ":            {3, "the expression is empty"},
		"news &&":        {7, "expected a topic, ! or (, found the end of the expression"},
		"news & de":      {5, "a single '&' (write && or ||)"},
		"(a || b":        {0, "a ( that is never closed"},
		"a b":            {2, "expected &&, || or the end, found topic b"},
		"a || )":         {5, "expected a topic, ! or (, found ')'"},
		`"abc`:           {0, "a quoted topic that never ends"},
		`""`:             {0, "an empty quoted topic"},
		`"a\nb"`:         {2, `an escape other than \" or \\`},
		"a && (b || c))": {13, "expected &&, || or the end, found ')'"},
		"a # b":          {2, "unexpected '#'"},
		"(a b)":          {3, "expected &&, || or ), found topic b"},
	} {
		_, err := Parse(in)
		var pe *Error
		if !errors.As(err, &pe) || *pe != want {
			t.Errorf("%q: %v, want %v", in, err, &want)
		}
	}
	deep := strings.Repeat("(", 40) + "a" + strings.Repeat(")", 40)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("deep nesting: %v", err)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = "t" + strings.Repeat("x", i)
	}
	if _, err := Parse(strings.Join(many, " || ")); err == nil {
		t.Error("101 topics accepted")
	}
	if _, err := Parse(strings.Repeat("a", MaxLength+1)); err == nil {
		t.Error("overlong expression accepted")
	}
}

func TestEvalTopicsPositive(t *testing.T) {
	n, err := Parse("news && (de || at) && !muted")
	if err != nil {
		t.Fatal(err)
	}
	for topics, want := range map[string]bool{
		"news de": true, "news at": true, "news de muted": false, "de at": false, "news": false, "news at x": true,
	} {
		set := map[string]bool{}
		for _, s := range strings.Fields(topics) {
			set[s] = true
		}
		if got := n.Eval(func(t string) bool { return set[t] }); got != want {
			t.Errorf("%q: %v, want %v", topics, got, want)
		}
	}
	if got := strings.Join(n.Topics(), ","); got != "at,de,muted,news" {
		t.Errorf("topics %s", got)
	}
	if got := strings.Join(n.Positive(), ","); got != "at,de,news" {
		t.Errorf("positive %s", got)
	}
}

// Random expressions print to a canonical text that parses back to the
// same truth table.
func TestCanonicalKeepsMeaning(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	topics := []string{"a", "b", "c", "d"}
	var gen func(depth int) string
	gen = func(depth int) string {
		switch k := r.IntN(5); {
		case depth > 3 || k == 0:
			return topics[r.IntN(len(topics))]
		case k == 1:
			return "!" + gen(depth+1)
		case k == 2:
			return "(" + gen(depth+1) + " && " + gen(depth+1) + ")"
		default:
			return "(" + gen(depth+1) + " || " + gen(depth+1) + ")"
		}
	}
	for range 500 {
		text := gen(0)
		n, err := Parse(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		c, err := Parse(n.String())
		if err != nil {
			t.Fatalf("canonical %q: %v", n.String(), err)
		}
		for mask := range 16 {
			has := func(s string) bool { return mask&(1<<(s[0]-'a')) != 0 }
			if n.Eval(has) != c.Eval(has) {
				t.Fatalf("%q and its canonical %q differ for mask %b", text, n.String(), mask)
			}
		}
	}
}
