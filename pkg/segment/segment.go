// Package segment parses segment expressions: boolean expressions over
// topics such as `news && (de || at) && !muted`. A notification's target
// may be a segment; it is parsed once when the notification is accepted,
// stored in its canonical form, and compiled by pkg/subscription into one
// audience query. The package knows nothing of storage: it gives the tree,
// its canonical text, its topics and an evaluation over a set of topics
// (what a reference check in a test or a preview computes).
package segment

import (
	"fmt"
	"sort"
	"strings"
)

// Limits of an expression.
const (
	MaxLength = 2000 // bytes of expression text
	MaxTopics = 100  // distinct topics named
	MaxDepth  = 32   // nesting of operators and parentheses
)

// Op is the kind of a node.
type Op uint8

const (
	OpTopic Op = iota + 1 // a topic: true when the subscription has it
	OpNot                 // !x
	OpAnd                 // x && y && ...
	OpOr                  // x || y || ...
)

// Node is one node of a parsed expression. And and Or nodes hold two or
// more operands (a chain like a && b && c is one node), Not one, Topic none.
type Node struct {
	Op    Op
	Topic string  // OpTopic only
	Args  []*Node // OpNot, OpAnd, OpOr
}

// Error is a parse error at a byte position of the expression.
type Error struct {
	Pos int // 0-based byte offset
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s at position %d", e.Msg, e.Pos) }

// Eval says whether a subscription with the given topics is in the segment.
func (n *Node) Eval(has func(topic string) bool) bool {
	switch n.Op {
	case OpTopic:
		return has(n.Topic)
	case OpNot:
		return !n.Args[0].Eval(has)
	case OpAnd:
		for _, a := range n.Args {
			if !a.Eval(has) {
				return false
			}
		}
		return true
	case OpOr:
		for _, a := range n.Args {
			if a.Eval(has) {
				return true
			}
		}
		return false
	}
	return false
}

// Topics lists the distinct topics the expression names, sorted.
func (n *Node) Topics() []string {
	seen := map[string]bool{}
	var walk func(*Node)
	walk = func(n *Node) {
		if n.Op == OpTopic {
			seen[n.Topic] = true
		}
		for _, a := range n.Args {
			walk(a)
		}
	}
	walk(n)
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Positive lists the topics the expression names outside any negation,
// sorted: the topics a notification to the segment is "about" (the key of a
// per-topic frequency cap).
func (n *Node) Positive() []string {
	seen := map[string]bool{}
	var walk func(*Node, bool)
	walk = func(n *Node, negated bool) {
		switch n.Op {
		case OpTopic:
			if !negated {
				seen[n.Topic] = true
			}
		case OpNot:
			walk(n.Args[0], !negated)
		default:
			for _, a := range n.Args {
				walk(a, negated)
			}
		}
	}
	walk(n, false)
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// String is the canonical text: single spaces around operators, topics
// quoted only when they need it, parentheses only where precedence needs
// them. Parsing it gives the same tree.
func (n *Node) String() string {
	var b strings.Builder
	n.write(&b, 0)
	return b.String()
}

// precedence: or 1, and 2, not/topic 3.
func (n *Node) write(b *strings.Builder, outer int) {
	switch n.Op {
	case OpTopic:
		b.WriteString(quote(n.Topic))
	case OpNot:
		b.WriteByte('!')
		n.Args[0].write(b, 3)
	case OpAnd, OpOr:
		prec, sep := 2, " && "
		if n.Op == OpOr {
			prec, sep = 1, " || "
		}
		if outer > prec {
			b.WriteByte('(')
		}
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(sep)
			}
			a.write(b, prec+1)
		}
		if outer > prec {
			b.WriteByte(')')
		}
	}
}

// bare reports whether c may appear in an unquoted topic.
func bare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c == '/' || c == '@' || c >= 0x80
}

func quote(topic string) string {
	plain := topic != ""
	for i := 0; i < len(topic); i++ {
		if !bare(topic[i]) {
			plain = false
			break
		}
	}
	if plain {
		return topic
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(topic) + `"`
}
