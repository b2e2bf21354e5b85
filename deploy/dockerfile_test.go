package deploy

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

type dockerStage struct {
	from, name string
	lines      []*parser.Node
}

// parseDockerfile parses deploy/docker/Dockerfile with BuildKit's parser and
// splits it into the global ARGs and the stages.
func parseDockerfile(t *testing.T) (map[string]string, []dockerStage) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readFile(t, filepath.Join(deployDir(t), "docker", "Dockerfile"))))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
	args := map[string]string{}
	var stages []dockerStage
	for _, n := range res.AST.Children {
		switch strings.ToLower(n.Value) {
		case "from":
			st := dockerStage{from: n.Next.Value}
			if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
				st.name = as.Next.Value
			}
			stages = append(stages, st)
		case "arg":
			if len(stages) == 0 {
				k, v, _ := strings.Cut(n.Next.Value, "=")
				args[k] = v
			}
		}
		if len(stages) > 0 {
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, n)
		}
	}
	return args, stages
}

// dockerfileBinaries are the files the runtime image gets in /usr/local/bin.
func dockerfileBinaries(t *testing.T) []string {
	t.Helper()
	_, stages := parseDockerfile(t)
	var bins []string
	for _, st := range stages {
		for _, n := range st.lines {
			if strings.EqualFold(n.Value, "run") && n.Next != nil {
				for _, m := range regexp.MustCompile(`-o /out/([\w-]+) `).FindAllStringSubmatch(n.Next.Value, -1) {
					bins = append(bins, m[1])
				}
			}
		}
	}
	return bins
}

// TestDockerfile: a golang builder producing static (CGO_ENABLED=0,
// -trimpath, stripped) binaries for every process, and a final stage on a
// minimal base that runs as a numeric non-root user.
func TestDockerfile(t *testing.T) {
	args, stages := parseDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages; want a builder and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if from := strings.ReplaceAll(build.from, "${GO_VERSION}", args["GO_VERSION"]); from != "golang:1.26" {
		t.Errorf("builder is %q, want golang:1.26", from)
	}
	var cgoOff bool
	var runs []string
	for _, n := range build.lines {
		switch strings.ToLower(n.Value) {
		case "env":
			// BuildKit gives ENV as (name, value, "=") triples.
			for kv := n.Next; kv != nil && kv.Next != nil; kv = kv.Next.Next {
				if kv.Value == "CGO_ENABLED" && kv.Next.Value == "0" {
					cgoOff = true
				}
				if kv.Next.Next == nil {
					break
				}
				kv = kv.Next
			}
		case "run":
			runs = append(runs, n.Next.Value)
		}
	}
	if !cgoOff {
		t.Error("builder does not set CGO_ENABLED=0")
	}
	run := strings.Join(runs, "\n")
	for bin, pkg := range map[string]string{
		"herald-api": "./services/api", "herald-worker": "./services/worker",
		"herald-pushsim": "./services/pushsim", "heraldctl": "./services/heraldctl",
		"herald-healthcheck": "./deploy/cmd/herald-healthcheck",
	} {
		line := `go build -trimpath -ldflags "-s -w" -o /out/` + bin + " " + pkg
		if !strings.Contains(run, line) {
			t.Errorf("builder does not run %s", line)
		}
	}

	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") && final.from != "scratch" {
		t.Errorf("runtime stage is %q; want distroless static or scratch", final.from)
	}
	var user string
	var copied bool
	for _, n := range final.lines {
		switch strings.ToLower(n.Value) {
		case "user":
			user = n.Next.Value
		case "copy":
			if slices.Contains(n.Flags, "--from="+build.name) {
				copied = true
			}
		case "run":
			t.Errorf("runtime stage runs %q: it has no shell", n.Original)
		}
	}
	if !copied {
		t.Errorf("runtime stage copies nothing from %q", build.name)
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("runtime USER is %q; want a numeric non-root uid", user)
	}
}

// TestDockerignore keeps local state and build output out of the context.
func TestDockerignore(t *testing.T) {
	lines := strings.Fields(string(readFile(t, filepath.Join(repoRoot(t), ".dockerignore"))))
	for _, want := range []string{".git", ".env", "bin/", "data/", "**/node_modules"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}
