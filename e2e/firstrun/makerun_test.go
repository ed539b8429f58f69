package firstrun_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runTimeout bounds one start, from `make run` to the printed address: the unprivileged
// user's first build of every dependency took 7.5 min on a 2-core machine at load 17.
const runTimeout = 8 * time.Minute

// openLine is what the app prints once it listens: the address a newcomer opens.
var openLine = regexp.MustCompile(`^Open (https?://\S+)`)

// user is whom a run runs as, with the environment a newcomer's shell would give it.
type user struct {
	name string
	cred *syscall.Credential // nil: the test's own user
	env  []string
}

// app is one `make run` (or another command) in its own process group, its output kept.
type app struct {
	t       *testing.T
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{} // closed when the command has exited
	exitErr error

	mu     sync.Mutex
	out    strings.Builder
	opened chan string // receives the printed address once
}

// start runs argv in dir as u, with extra variables over u's environment.
func start(t *testing.T, u user, dir string, extra []string, argv ...string) *app {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, u.env...), extra...)
	// Its own process group, as a shell gives a foreground job: Ctrl-C reaches all of it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: u.cred}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	a := &app{t: t, cmd: cmd, started: time.Now(), done: make(chan struct{}), opened: make(chan string, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	go a.read(pr)
	go func() {
		a.exitErr = cmd.Wait()
		pw.Close()
		close(a.done)
	}()
	t.Cleanup(func() {
		a.kill()
		if t.Failed() {
			t.Logf("output of %v in %s:\n%s", argv, dir, a.output())
		}
	})
	return a
}

func (a *app) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		a.mu.Lock()
		a.out.WriteString(line + "\n")
		a.mu.Unlock()
		if m := openLine.FindStringSubmatch(line); m != nil {
			select {
			case a.opened <- m[1]:
			default:
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

func (a *app) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

// waitOpen waits for the printed address and returns it.
func (a *app) waitOpen() string {
	a.t.Helper()
	select {
	case addr := <-a.opened:
		a.t.Logf("%v printed %s after %s", a.cmd.Args, addr, time.Since(a.started).Round(time.Millisecond))
		return addr
	case <-a.done:
		a.t.Fatalf("exited (%v) before printing the address to open", a.exitErr)
	case <-time.After(runTimeout):
		a.t.Fatalf("no address printed within %s", runTimeout)
	}
	return ""
}

// waitLog waits until the output has a line containing s.
func (a *app) waitLog(s string) {
	a.t.Helper()
	waitFor(a.t, "output line "+strconv.Quote(s), runTimeout, func() bool {
		select {
		case <-a.done:
			a.t.Fatalf("exited (%v) before logging %q", a.exitErr, s)
		default:
		}
		return strings.Contains(a.output(), s)
	})
}

// interrupt sends SIGTERM to the whole process group, as a terminal's Ctrl-C reaches every
// process of the foreground job, and waits until every one of them has exited.
func (a *app) interrupt() {
	a.t.Helper()
	pgid := a.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		a.t.Fatalf("SIGTERM to process group %d: %v", pgid, err)
	}
	begin := time.Now()
	<-a.done
	waitFor(a.t, fmt.Sprintf("every process of group %d to exit", pgid), 60*time.Second, func() bool {
		return len(groupMembers(pgid)) == 0
	})
	a.t.Logf("%v stopped %s after SIGTERM", a.cmd.Args, time.Since(begin).Round(time.Millisecond))
}

// kill ends whatever is left of the group (a failed test's cleanup).
func (a *app) kill() {
	select {
	case <-a.done:
	default:
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.done
	}
	if pids := groupMembers(a.cmd.Process.Pid); len(pids) > 0 {
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// groupMembers lists the live processes whose process group is pgid.
func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces, so count from the last ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) && fields[0] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitFor polls cond until it holds, failing after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// run runs a command to completion, failing the test with its output.
func run(t *testing.T, dir string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v in %s: %v\n%s", argv, dir, err, out)
	}
	return strings.TrimSpace(string(out))
}
