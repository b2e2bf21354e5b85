package deploy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// TestRunbookExplainsEveryAlert: whoever is paged finds the alert in
// RUNBOOK.md's table, and the table names no alert that does not exist.
func TestRunbookExplainsEveryAlert(t *testing.T) {
	runbook := string(readFile(t, filepath.Join(deployDir(t), "RUNBOOK.md")))
	groups, errs := rulefmt.ParseFile(filepath.Join(deployDir(t), "prometheus", "alerts.yml"), false, model.UTF8Validation, promql, discard)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	alerts := map[string]bool{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if !strings.Contains(runbook, "| `"+r.Alert+"`") {
				t.Errorf("RUNBOOK.md does not explain %s", r.Alert)
			}
		}
	}
	for _, line := range strings.Split(runbook, "\n") {
		if name, ok := strings.CutPrefix(line, "| `Herald"); ok {
			name = "Herald" + name[:strings.IndexByte(name, '`')]
			if !alerts[name] {
				t.Errorf("RUNBOOK.md explains %s, which alerts.yml does not define", name)
			}
		}
	}
}
