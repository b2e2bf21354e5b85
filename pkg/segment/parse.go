package segment

import (
	"strings"
	"unicode/utf8"
)

// Parse reads an expression. The grammar, loosest first:
//
//	or    = and { "||" and }
//	and   = unary { "&&" unary }
//	unary = "!" unary | "(" or ")" | topic
//	topic = bare characters (letters, digits, _ - . : / @ and any non-ASCII)
//	      | '"' any characters, with \" and \\ escaped '"'
//
// Whitespace between tokens is ignored. An error says what was expected and
// where (a byte offset).
func Parse(text string) (*Node, error) {
	if len(text) > MaxLength {
		return nil, &Error{Pos: MaxLength, Msg: "the expression is longer than 2000 bytes"}
	}
	if !utf8.ValidString(text) {
		return nil, &Error{Pos: invalidUTF8(text), Msg: "the expression is not valid UTF-8"}
	}
	p := &parser{src: text}
	p.next()
	if p.tok.kind == tokEnd {
		return nil, &Error{Pos: p.tok.pos, Msg: "the expression is empty"}
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEnd {
		return nil, p.unexpected("&&, || or the end")
	}
	if len(n.Topics()) > MaxTopics {
		return nil, &Error{Pos: 0, Msg: "the expression names more than 100 topics"}
	}
	return n, nil
}

type tokKind uint8

const (
	tokEnd tokKind = iota
	tokTopic
	tokAnd
	tokOr
	tokNot
	tokOpen
	tokClose
	tokBad
)

type token struct {
	kind tokKind
	pos  int
	text string // the topic, unescaped; or what was found, for tokBad
	msg  string // tokBad: what is wrong
}

type parser struct {
	src string
	off int
	tok token
}

func (p *parser) next() {
	for p.off < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.off]) >= 0 {
		p.off++
	}
	start := p.off
	if start == len(p.src) {
		p.tok = token{kind: tokEnd, pos: start}
		return
	}
	rest := p.src[start:]
	switch {
	case strings.HasPrefix(rest, "&&"):
		p.off += 2
		p.tok = token{kind: tokAnd, pos: start}
	case strings.HasPrefix(rest, "||"):
		p.off += 2
		p.tok = token{kind: tokOr, pos: start}
	case rest[0] == '!':
		p.off++
		p.tok = token{kind: tokNot, pos: start}
	case rest[0] == '(':
		p.off++
		p.tok = token{kind: tokOpen, pos: start}
	case rest[0] == ')':
		p.off++
		p.tok = token{kind: tokClose, pos: start}
	case rest[0] == '"':
		p.quoted(start)
	case bare(rest[0]):
		for p.off < len(p.src) && bare(p.src[p.off]) {
			p.off++
		}
		p.tok = token{kind: tokTopic, pos: start, text: p.src[start:p.off]}
	default:
		r, _ := utf8.DecodeRuneInString(rest)
		msg := "unexpected " + quoteRune(r)
		if rest[0] == '&' || rest[0] == '|' {
			msg = "a single " + quoteRune(r) + " (write && or ||)"
		}
		p.tok = token{kind: tokBad, pos: start, msg: msg}
	}
}

// quoted reads a double-quoted topic starting at start.
func (p *parser) quoted(start int) {
	var b strings.Builder
	i := start + 1
	for i < len(p.src) {
		c := p.src[i]
		switch {
		case c == '"':
			p.off = i + 1
			p.tok = token{kind: tokTopic, pos: start, text: b.String()}
			if b.Len() == 0 {
				p.tok = token{kind: tokBad, pos: start, msg: "an empty quoted topic"}
			}
			return
		case c == '\\' && i+1 < len(p.src) && (p.src[i+1] == '"' || p.src[i+1] == '\\'):
			b.WriteByte(p.src[i+1])
			i += 2
		case c == '\\':
			p.off = i
			p.tok = token{kind: tokBad, pos: i, msg: `an escape other than \" or \\`}
			return
		default:
			b.WriteByte(c)
			i++
		}
	}
	p.off = len(p.src)
	p.tok = token{kind: tokBad, pos: start, msg: "a quoted topic that never ends"}
}

func (p *parser) or(depth int) (*Node, error) {
	return p.chain(depth, tokOr, OpOr, p.and)
}

func (p *parser) and(depth int) (*Node, error) {
	return p.chain(depth, tokAnd, OpAnd, p.unary)
}

// chain reads operand { sep operand } into one node of op.
func (p *parser) chain(depth int, sep tokKind, op Op, operand func(int) (*Node, error)) (*Node, error) {
	if depth > MaxDepth {
		return nil, &Error{Pos: p.tok.pos, Msg: "the expression nests deeper than 32 levels"}
	}
	first, err := operand(depth + 1)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != sep {
		return first, nil
	}
	n := &Node{Op: op}
	add := func(arg *Node) {
		if arg.Op == op { // (a && b) && c is a && b && c
			n.Args = append(n.Args, arg.Args...)
		} else {
			n.Args = append(n.Args, arg)
		}
	}
	add(first)
	for p.tok.kind == sep {
		p.next()
		arg, err := operand(depth + 1)
		if err != nil {
			return nil, err
		}
		add(arg)
	}
	return n, nil
}

func (p *parser) unary(depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, &Error{Pos: p.tok.pos, Msg: "the expression nests deeper than 32 levels"}
	}
	switch p.tok.kind {
	case tokNot:
		p.next()
		arg, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		if arg.Op == OpNot { // !!a is a
			return arg.Args[0], nil
		}
		return &Node{Op: OpNot, Args: []*Node{arg}}, nil
	case tokOpen:
		open := p.tok.pos
		p.next()
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokClose {
			if p.tok.kind == tokEnd {
				return nil, &Error{Pos: open, Msg: "a ( that is never closed"}
			}
			return nil, p.unexpected("&&, || or )")
		}
		p.next()
		return n, nil
	case tokTopic:
		n := &Node{Op: OpTopic, Topic: p.tok.text}
		if utf8.RuneCountInString(n.Topic) > 100 {
			return nil, &Error{Pos: p.tok.pos, Msg: "a topic longer than 100 characters"}
		}
		p.next()
		return n, nil
	}
	return nil, p.unexpected("a topic, ! or (")
}

// unexpected describes the current token against what was expected.
func (p *parser) unexpected(want string) error {
	t := p.tok
	found := ""
	switch t.kind {
	case tokEnd:
		found = "the end of the expression"
	case tokBad:
		return &Error{Pos: t.pos, Msg: t.msg}
	case tokTopic:
		found = "topic " + quote(t.text)
	default:
		found = quoteRune(rune(p.src[t.pos]))
		if t.kind == tokAnd || t.kind == tokOr {
			found = "'" + p.src[t.pos:t.pos+2] + "'"
		}
	}
	return &Error{Pos: t.pos, Msg: "expected " + want + ", found " + found}
}

func quoteRune(r rune) string { return "'" + string(r) + "'" }

func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			return i
		}
	}
	return 0
}
