package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeDocker writes a docker stand-in that logs its arguments and answers
// `buildx version` with status buildx.
func fakeDocker(t *testing.T, buildx int) (docker, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "calls")
	docker = filepath.Join(dir, "docker")
	script := "#!/bin/sh\necho \"$*\" >> '" + log + "'\n" +
		"if [ \"$1 $2\" = \"buildx version\" ]; then exit " + strconv.Itoa(buildx) + "; fi\nexit 0\n"
	if err := os.WriteFile(docker, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return docker, log
}

func runMakeImage(t *testing.T, docker string, vars ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	cmd := exec.Command("make", append([]string{"-s", "image", "DOCKER=" + docker, "IMAGE_TAG=v9.9.9-test"}, vars...)...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMakeImage: `make image` builds both architectures from the Dockerfile
// with buildx, into an archive or (IMAGE_PUSH=1) pushed to the registry.
func TestMakeImage(t *testing.T) {
	docker, log := fakeDocker(t, 0)
	for _, tc := range []struct {
		push   string
		output string
	}{
		{"", "--output type=oci,dest=bin/herald-v9.9.9-test.oci.tar"},
		{"1", "--push"},
	} {
		if out, err := runMakeImage(t, docker, "IMAGE_PUSH="+tc.push); err != nil {
			t.Fatalf("make image IMAGE_PUSH=%s: %v\n%s", tc.push, err, out)
		}
		calls := strings.Split(strings.TrimSpace(string(readFile(t, log))), "\n")
		build := calls[len(calls)-1]
		for _, want := range []string{
			"buildx build ", "--platform linux/amd64,linux/arm64 ", "-f deploy/docker/Dockerfile ",
			"-t ghcr.io/heraldpush/herald:v9.9.9-test ", "--build-arg VERSION=v9.9.9-test ", tc.output + " .",
		} {
			if !strings.Contains(build+" ", want) {
				t.Errorf("IMAGE_PUSH=%q: docker %s\nlacks %q", tc.push, build, want)
			}
		}
		if tc.push == "1" && strings.Contains(build, "--output") {
			t.Errorf("IMAGE_PUSH=1 also writes an archive: %s", build)
		}
	}
}

// TestMakeImageWithoutBuildx: with no buildx (no Docker here) make image
// says what it needs and fails, instead of building one architecture.
func TestMakeImageWithoutBuildx(t *testing.T) {
	docker, log := fakeDocker(t, 1)
	out, err := runMakeImage(t, docker)
	if err == nil {
		t.Fatalf("make image succeeded without buildx:\n%s", out)
	}
	if !strings.Contains(out, "make image needs Docker with the buildx plugin") {
		t.Errorf("make image does not say it needs buildx:\n%s", out)
	}
	if calls := string(readFile(t, log)); strings.Contains(calls, "buildx build") {
		t.Errorf("it built anyway: %s", calls)
	}
}
