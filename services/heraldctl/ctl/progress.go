package ctl

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

// progressView shows a notification's progress: a live bar of final
// outcomes out of targeted on a terminal, one line per change elsewhere
// (logs and pipes get no carriage returns).
type progressView struct {
	w    io.Writer
	id   string
	bar  *progressbar.ProgressBar // nil when w is not a terminal
	last string
}

func newProgressView(w io.Writer, id string) *progressView {
	v := &progressView{w: w, id: id}
	if isTerminal(w) {
		v.bar = progressbar.NewOptions64(1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("waiting for fan-out"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return v
}

// describe is the counts as the view shows them.
func describe(n *heraldclient.Notification) string {
	c := n.Counts
	s := fmt.Sprintf("%s: delivered %d, gone %d, dead %d", n.Status, c.Delivered, c.Gone, c.Dead)
	if c.Capped > 0 {
		s += fmt.Sprintf(", capped %d", c.Capped)
	}
	return s
}

func (v *progressView) update(n *heraldclient.Notification) {
	c := n.Counts
	final := c.Delivered + c.Gone + c.Dead + c.Capped
	desc := describe(n)
	if v.bar == nil {
		if line := fmt.Sprintf("%s of %d targeted", desc, c.Targeted); line != v.last {
			fmt.Fprintf(v.w, "%s %s\n", v.id, line)
			v.last = line
		}
		return
	}
	if c.Targeted > 0 && v.bar.GetMax64() != c.Targeted {
		v.bar.ChangeMax64(c.Targeted)
	}
	v.bar.Describe(desc)
	if n.Done() && c.Targeted == 0 {
		_ = v.bar.Finish()
		return
	}
	_ = v.bar.Set64(final)
}

func (v *progressView) finish() {
	if v.bar != nil && !v.bar.IsFinished() {
		_ = v.bar.Exit()
		fmt.Fprintln(v.w)
	}
}
