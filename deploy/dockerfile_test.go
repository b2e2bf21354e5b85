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
	flags      []string // of its FROM, such as --platform=...
	lines      []*parser.Node
}

// dockerArg is one ARG instruction; stage is -1 before the first FROM.
type dockerArg struct {
	stage      int
	name       string
	hasDefault bool
}

// parseDockerfile parses deploy/docker/Dockerfile with BuildKit's parser and
// splits it into its ARGs and its stages.
func parseDockerfile(t *testing.T) ([]dockerArg, []dockerStage) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readFile(t, filepath.Join(deployDir(t), "docker", "Dockerfile"))))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
	var args []dockerArg
	var stages []dockerStage
	for _, n := range res.AST.Children {
		switch strings.ToLower(n.Value) {
		case "from":
			st := dockerStage{from: n.Next.Value, flags: n.Flags}
			if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
				st.name = as.Next.Value
			}
			stages = append(stages, st)
		case "arg":
			for a := n.Next; a != nil; a = a.Next {
				name, _, hasDefault := strings.Cut(a.Value, "=")
				args = append(args, dockerArg{stage: len(stages) - 1, name: name, hasDefault: hasDefault})
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

// TestDockerfile: a golang builder of the Go release go.work names, cross-
// compiling on the build platform for BuildKit's target platform; static
// (CGO_ENABLED=0, -trimpath, stripped) binaries for every process; a final
// stage on a minimal base that runs as a numeric non-root user.
func TestDockerfile(t *testing.T) {
	_, stages := parseDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages; want a builder and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	want := "golang:" + goWorkVersion(t)
	if image, _, _ := strings.Cut(build.from, "@"); image != want && !strings.HasPrefix(image, want+"-") {
		t.Errorf("builder is %q, want %s (the Go go.work needs; GOTOOLCHAIN=local refuses another)", build.from, want)
	}
	if !slices.Contains(build.flags, "--platform=$BUILDPLATFORM") {
		t.Errorf("builder has flags %v, want --platform=$BUILDPLATFORM: it cross-compiles natively", build.flags)
	}
	for _, f := range final.flags {
		if strings.HasPrefix(f, "--platform") {
			t.Errorf("runtime stage sets %s: it must be the target platform's", f)
		}
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
	for _, v := range []string{`GOOS="$TARGETOS"`, `GOARCH="$TARGETARCH"`} {
		if !strings.Contains(run, v) {
			t.Errorf("builder does not build with %s", v)
		}
	}
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

// TestDockerfileArgsHaveNoDefaults: a default on TARGETOS or TARGETARCH
// overrides BuildKit's per-platform value (an arm64 image of amd64
// binaries: "exec format error"), and a default on anything else hides a
// setting the build should state; so no ARG has one. The builder declares
// the target platform's ARGs it builds with.
func TestDockerfileArgsHaveNoDefaults(t *testing.T) {
	args, _ := parseDockerfile(t)
	inBuilder := map[string]bool{}
	for _, a := range args {
		if a.hasDefault {
			t.Errorf("ARG %s has a default", a.name)
		}
		if a.stage == 0 {
			inBuilder[a.name] = true
		}
	}
	for _, name := range []string{"TARGETOS", "TARGETARCH"} {
		if !inBuilder[name] {
			t.Errorf("the builder stage does not declare ARG %s", name)
		}
	}
}

// goWorkVersion is the go directive of go.work.
func goWorkVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(readFile(t, filepath.Join(repoRoot(t), "go.work")))
	if m == nil {
		t.Fatal("go.work has no go directive")
	}
	return string(m[1])
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
