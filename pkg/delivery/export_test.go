package delivery

import (
	"sync/atomic"

	"github.com/heraldpush/herald/pkg/notification"
)

// CountCompilations has d add one to n for every renderer it compiles.
func CountCompilations(d *Deliverer, n *atomic.Int64) {
	compile := d.compile
	d.compile = func(nt *notification.Notification, payload, declarative string) (*notification.Renderer, error) {
		n.Add(1)
		return compile(nt, payload, declarative)
	}
}
