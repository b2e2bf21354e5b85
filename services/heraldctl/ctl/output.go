package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

// answer is a response that keeps the server's JSON.
type answer interface{ JSON() json.RawMessage }

// show prints v's JSON with --json, otherwise the text that text writes.
func (a *app) show(v answer, text func(w io.Writer)) error {
	if a.asJSON {
		return a.printJSON(v.JSON())
	}
	text(a.env.Stdout)
	return nil
}

// report tells what a command did when the API answers with no body to
// show: with --json the map v, otherwise the sentence format makes.
func (a *app) report(v map[string]any, format string, args ...any) error {
	if a.asJSON {
		return a.printValue(v)
	}
	_, err := fmt.Fprintf(a.env.Stdout, format+"\n", args...)
	return err
}

// printJSON prints raw indented; anything that is not JSON as it is.
func (a *app) printJSON(raw []byte) error {
	var out bytes.Buffer
	if json.Indent(&out, raw, "", "  ") != nil {
		out.Reset()
		out.Write(raw)
	}
	out.WriteByte('\n')
	_, err := a.env.Stdout.Write(out.Bytes())
	return err
}

// printValue prints v as indented JSON (for answers built here).
func (a *app) printValue(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.printJSON(b)
}

// table writes aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// fields writes "name: value" lines, aligned.
func fields(w io.Writer, pairs ...string) {
	tw := tabwriter.NewWriter(w, 2, 4, 1, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "%s:\t%s\n", pairs[i], pairs[i+1])
	}
	tw.Flush()
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// listFlags are the paging flags every list command takes.
type listFlags struct {
	limit int
	after string
	all   bool
}

func (l *listFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&l.limit, "limit", 0, "items per page (1 to 1000; default the server's, 100)")
	cmd.Flags().StringVar(&l.after, "after", "", "start after this cursor (a previous page's next_after)")
	cmd.Flags().BoolVar(&l.all, "all", false, "follow next_after through every page")
}

// listed is what a list command prints: the items, their JSON and the
// next page's cursor.
type listed[T any] struct {
	items []T
	raw   []json.RawMessage
	next  string
}

// fetchList reads one page, or with --all every page.
func fetchList[T answer](ctx context.Context, l listFlags, fetch func(context.Context, heraldclient.ListOptions) (*heraldclient.Page[T], error)) (listed[T], error) {
	var out listed[T]
	opts := heraldclient.ListOptions{Limit: l.limit, After: l.after}
	for {
		page, err := fetch(ctx, opts)
		if err != nil {
			return out, err
		}
		for _, it := range page.Items {
			out.items = append(out.items, it)
			out.raw = append(out.raw, it.JSON())
		}
		out.next = page.NextAfter
		if !l.all || page.NextAfter == "" {
			return out, nil
		}
		opts.After = page.NextAfter
	}
}

// printList prints a list: with --json the API's shape, {"items", "next_after"}.
func printList[T any](a *app, l listed[T], header []string, row func(T) []string) error {
	if a.asJSON {
		var next any
		if l.next != "" {
			next = l.next
		}
		raw := l.raw
		if raw == nil {
			raw = []json.RawMessage{}
		}
		return a.printValue(map[string]any{"items": raw, "next_after": next})
	}
	rows := make([][]string, len(l.items))
	for i, it := range l.items {
		rows[i] = row(it)
	}
	table(a.env.Stdout, header, rows)
	if l.next != "" {
		fmt.Fprintf(a.env.Stdout, "(more: --after %s, or --all)\n", l.next)
	}
	return nil
}
