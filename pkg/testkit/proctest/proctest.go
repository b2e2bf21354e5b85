// Package proctest runs a test binary's own main() as a child process, so a
// test can start real Herald processes (signals, exit codes, several at once)
// without building binaries first.
package proctest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const childEnv = "HERALD_PROCTEST_CHILD"

// RunMainIfChild calls main and exits when this process is a child started
// by Start. Call it first in TestMain.
func RunMainIfChild(main func()) {
	if os.Getenv(childEnv) == "1" {
		// main sees only the arguments after "--", as if run directly.
		args := []string{os.Args[0]}
		for i, a := range os.Args {
			if a == "--" {
				args = append(args, os.Args[i+1:]...)
				break
			}
		}
		os.Args = args
		main()
		os.Exit(0)
	}
}

// Proc is a running child.
type Proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	output bytes.Buffer
	done   chan struct{}
	err    error
}

// Start runs the test binary's main with exactly env (plus PATH and HOME) in dir.
func Start(t *testing.T, dir string, env ...string) *Proc {
	t.Helper()
	return StartArgs(t, dir, nil, env...)
}

// StartArgs is Start with command-line arguments for main.
func StartArgs(t *testing.T, dir string, args []string, env ...string) *Proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{childEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.output.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("child output:\n%s", p.Output())
		}
	})
	return p
}

// Output returns what the child printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// WaitOutput waits until the output contains s.
func (p *Proc) WaitOutput(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Output(), s) {
		select {
		case <-p.done:
			t.Fatalf("process exited (%v) before printing %q", p.err, s)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after %s", s, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Wait waits for the child to exit by itself.
func (p *Proc) Wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("process still running after %s", timeout)
		return nil
	}
}

// Stop sends sig and waits for exit; it returns the exit error (nil for 0).
func (p *Proc) Stop(t *testing.T, sig syscall.Signal, timeout time.Duration) error {
	t.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("process did not exit within %s of %v", timeout, sig)
		return nil
	}
}

// FreeAddr returns a loopback address that was free a moment ago.
func FreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WaitHTTP polls url until it answers want.
func WaitHTTP(ctx context.Context, url string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s: not %d after %s (last: %s)", url, want, timeout, last)
}
