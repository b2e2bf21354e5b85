// Package textcheck holds the rules every text field from outside is held
// to, so that the subscription, notification, event and app inputs check
// text the same way: valid UTF-8 always, no NUL anywhere (PostgreSQL
// refuses it in text, after Herald has accepted the request), and no
// control characters in identifiers, which are matched exactly.
package textcheck

import "unicode/utf8"

// Identifier reports whether s is 1 to max characters of valid UTF-8
// without control characters (C0, DEL, C1) or U+FFFD, the mark of text that
// was not valid where it came from: two different invalid ids would become
// the same one.
func Identifier(s string, max int) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			return false
		}
	}
	return true
}
