package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/docodego/sessions/db"
)

// The list's floor (bench/listfloor): the ceiling's two statements behind HTTP, answering
// only the count of rows, on the same cluster, loaded like the list row. Its req/s against
// the same ceiling is how near 0.6 of it a server on this driver and these cores comes
// before it sends the list itself; its CPU per answer is what the app adds above that.

const listFloorPkg = "./bench/listfloor"

// appGOGC is the GOGC the app sets itself when GOGC is unset (config.go, defaultGCPercent).
const appGOGC = "400"

// listFloorName is the floor's row for mix.
func listFloorName(mix string) string {
	return "list floor · the ceiling's two statements behind HTTP, answering only the count · random 50-session user, " + mix
}

// listFloorProcess is the floor server on loopback.
type listFloorProcess struct {
	cmd *exec.Cmd
	on  target
}

// startListFloor builds and starts the floor with the app's pool size, generic plans and
// GOGC (db/conn.go, config.go), and checks that a seeded cookie gets a user's rows.
func startListFloor(ctx context.Context, dir, dsn, cookie, value string) (*listFloorProcess, error) {
	bin := filepath.Join(dir, "listfloor")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, listFloorPkg).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %w\n%s", listFloorPkg, err, out)
	}
	addr := freeAddr()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn+" plan_cache_mode=force_generic_plan", "ADDR="+addr,
		"COOKIE="+cookie, "CONNS="+strconv.Itoa(db.DefaultMaxOpen()), "GOGC="+appGOGC)
	logPath := filepath.Join(dir, "listfloor.log")
	if err := startLogged(cmd, logPath); err != nil {
		return nil, err
	}
	p := &listFloorProcess{cmd: cmd, on: target{base: "http://" + addr, pid: cmd.Process.Pid}}
	if err := p.check(ctx, cookie+"="+value); err != nil {
		p.stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("list floor: %w\n%s", err, log)
	}
	return p, nil
}

// check waits up to 10 s for the floor to answer cookie with a count of rows above zero.
func (p *listFloorProcess) check(ctx context.Context, cookie string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.on.base+listPath, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if n, err := strconv.Atoi(string(body)); resp.StatusCode == http.StatusOK && err == nil && n > 0 {
				return nil
			}
			return fmt.Errorf("a seeded cookie got %d: %.200s", resp.StatusCode, body)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *listFloorProcess) stop() { stopProcess(p.cmd) }
