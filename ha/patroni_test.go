package ha_test

import (
	"github.com/docodego/sessions/internal/testserver"

	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/pgserver"
)

// Patroni's timing for the suite (docs/operations.md has production values and why):
// the leader key lives patroniTTL seconds, each node runs its loop every loopWait
// seconds, and a DCS or PostgreSQL call is retried for retryTimeout seconds. Patroni
// wants loop_wait + 2 * retry_timeout <= ttl, so that a leader that had one bad loop
// still renews its key before it expires.
const (
	patroniTTL   = 6
	loopWait     = 1
	retryTimeout = 2
)

// patroniCluster is etcd plus two Patroni nodes managing PostgreSQL 15 with
// synchronous_mode, all on loopback ports, all dying with the test.
type patroniCluster struct {
	t     *testing.T
	dir   string
	etcd  *proc
	eURL  string // etcd's client URL
	eArgs []string
	nodes []*patroniNode
}

type patroniNode struct {
	name      string
	configure func() // picks its ports and writes its configuration
	proc      *proc
	cmd       []string
	api       string // http://127.0.0.1:port
	pgPort    int
	dataDir   string
}

// startPatroni bootstraps the cluster: etcd, node0 (initdb, leader), then node1 (a base
// backup of node0), and waits until node1 is node0's synchronous standby.
func startPatroni(ctx context.Context, t *testing.T) *patroniCluster {
	t.Helper()
	for _, bin := range []string{"/usr/bin/patroni", "/usr/bin/etcd"} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%s missing (apt-get install patroni etcd-server; .ci/run does): %v", bin, err)
		}
	}
	pgBin, err := pgserver.FindPostgresBinaries()
	if err != nil {
		t.Fatal(err)
	}
	cred, err := pgserver.ServerCredential()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "docodego-patroni-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	c := &patroniCluster{t: t, dir: dir}
	client, peer := testserver.FreeAddr(t), testserver.FreeAddr(t)
	c.eURL = "http://" + client
	c.eArgs = []string{"--name", "etcd0", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", "http://" + client, "--advertise-client-urls", "http://" + client,
		"--listen-peer-urls", "http://" + peer, "--initial-advertise-peer-urls", "http://" + peer,
		"--initial-cluster", "etcd0=http://" + peer, "--enable-v2", "--log-level", "warn"}
	c.startEtcd()
	for i := range 2 {
		n := &patroniNode{name: fmt.Sprintf("node%d", i), dataDir: filepath.Join(dir, fmt.Sprintf("data%d", i))}
		n.configure = func() {
			api, pg := testserver.FreeAddr(t), testserver.FreeAddr(t)
			n.api = "http://" + api
			n.pgPort, _ = strconv.Atoi(pg[strings.LastIndexByte(pg, ':')+1:])
			conf := filepath.Join(dir, n.name+".yml")
			yml := fmt.Sprintf(patroniConf, n.name, api, api, client, patroniTTL, loopWait, retryTimeout,
				pg, pg, n.dataDir, pgBin, filepath.Join(dir, n.name+".pgpass"), dir)
			if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
				t.Fatal(err)
			}
			n.cmd = []string{"/usr/bin/patroni", conf}
		}
		c.nodes = append(c.nodes, n)
	}
	c.nodes[0].start(t, cred)
	c.waitRoles(ctx, 60*time.Second, "node0 leads", func(m map[string]member) bool {
		return m["node0"].Role == "leader" && m["node0"].State == "running"
	})
	c.nodes[1].start(t, cred)
	c.waitHealthy(ctx, 90*time.Second)
	return c
}

func (c *patroniCluster) startEtcd() {
	c.t.Helper()
	c.etcd = startProc(c.t, "etcd", exec.Command("/usr/bin/etcd", c.eArgs...), syscall.SIGKILL)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(c.eURL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("etcd not healthy after 30s: %v\n%s", err, tailString(c.etcd.out.String(), 2000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// restartEtcd stops etcd (SIGTERM, as a service restart does) and starts it again on the
// same data.
func (c *patroniCluster) restartEtcd() {
	c.etcd.kill(syscall.SIGTERM)
	c.startEtcd()
}

// start runs Patroni until its REST API answers. A port picked free may be taken by
// another process before Patroni binds it (the machine is shared): Patroni then exits at
// once, and gets new ports.
func (n *patroniNode) start(t *testing.T, cred *syscall.Credential) {
	for try := 1; ; try++ {
		n.configure()
		cmd := exec.Command(n.cmd[0], n.cmd[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		// Patroni's own folder: the postgres user may not enter ours (a clone in a `mktemp
		// -d` folder is root's alone), and Patroni stops bootstrapping where getcwd fails.
		cmd.Dir = filepath.Dir(n.dataDir)
		// SIGTERM: Patroni stops its PostgreSQL before it exits, also when the test dies.
		n.proc = startProc(t, "patroni "+n.name, cmd, syscall.SIGTERM)
		if n.apiAnswers() || try == 3 {
			break
		}
		t.Logf("patroni %s exited at start (a port was taken?): trying new ports\n%s", n.name, tailString(n.proc.out.String(), 300))
	}
	t.Cleanup(func() {
		n.proc.kill(syscall.SIGTERM)
		if pid, err := n.postmaster(); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL) // Patroni did not get to stop it
		}
	})
}

// apiAnswers waits until the node's REST API answers (true) or Patroni exits (false).
func (n *patroniNode) apiAnswers() bool {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := hc.Get(n.api + "/patroni"); err == nil {
			resp.Body.Close()
			select { // the answer may be another process's, on the port Patroni lost
			case <-n.proc.done:
				return false
			case <-time.After(300 * time.Millisecond):
				return true
			}
		}
		select {
		case <-n.proc.done:
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true // alive but silent: the waits that follow report it
}

// postmaster is the node's running postmaster's pid.
func (n *patroniNode) postmaster() (int, error) {
	b, err := os.ReadFile(filepath.Join(n.dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return 0, fmt.Errorf("postmaster %d: %w", pid, err)
	}
	return pid, nil
}

// postgresProcs is the postmaster and its children: the node's whole PostgreSQL.
func (n *patroniNode) postgresProcs() ([]int, error) {
	pm, err := n.postmaster()
	if err != nil {
		return nil, err
	}
	pids := []int{pm}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pm) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// member is one entry of Patroni's GET /cluster.
type member struct {
	Name     string `json:"name"`
	Role     string `json:"role"` // leader, sync_standby, replica
	State    string `json:"state"`
	Port     int    `json:"port"`
	Timeline int    `json:"timeline"`
}

// members asks each node's REST API for the cluster view and merges them: a node that
// does not answer is simply missing. Two nodes both calling themselves leader is a split
// brain, reported by the caller.
func (c *patroniCluster) members() (map[string]member, []string) {
	out := map[string]member{}
	var leaders []string
	hc := &http.Client{Timeout: time.Second}
	for _, n := range c.nodes {
		resp, err := hc.Get(n.api + "/patroni")
		if err != nil {
			continue
		}
		var st struct {
			State    string `json:"state"`
			Role     string `json:"role"` // master / replica, PostgreSQL's own view
			Timeline int    `json:"timeline"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			continue
		}
		if st.Role == "master" && st.State == "running" {
			leaders = append(leaders, n.name)
		}
		resp, err = hc.Get(n.api + "/cluster")
		if err != nil {
			continue
		}
		var cl struct {
			Members []member `json:"members"`
		}
		err = json.NewDecoder(resp.Body).Decode(&cl)
		resp.Body.Close()
		if err == nil {
			for _, m := range cl.Members {
				if _, seen := out[m.Name]; !seen || m.Name == n.name {
					out[m.Name] = m
				}
			}
		}
	}
	return out, leaders
}

// waitRoles polls the cluster view until ok, failing the test after d.
func (c *patroniCluster) waitRoles(ctx context.Context, d time.Duration, what string, ok func(map[string]member) bool) map[string]member {
	c.t.Helper()
	m, found := c.tryRoles(ctx, d, ok)
	if !found {
		c.failRoles(what, d, m)
	}
	return m
}

// tryRoles polls the cluster view until ok or d passes; it answers the last view.
func (c *patroniCluster) tryRoles(ctx context.Context, d time.Duration, ok func(map[string]member) bool) (map[string]member, bool) {
	deadline := time.Now().Add(d)
	for {
		m, _ := c.members()
		if ok(m) {
			return m, true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return m, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *patroniCluster) failRoles(what string, d time.Duration, m map[string]member) {
	c.t.Helper()
	var logs strings.Builder
	for _, n := range c.nodes {
		if n.proc != nil {
			fmt.Fprintf(&logs, "--- %s\n%s\n", n.name, tailString(n.proc.out.String(), 4000))
		}
	}
	c.t.Fatalf("patroni: %s: not within %s; cluster %+v\n%s", what, d, m, logs.String())
}

// waitHealthy waits for one running leader and one streaming synchronous standby on the
// same timeline: the state every fault starts from and every fault must return to.
func (c *patroniCluster) waitHealthy(ctx context.Context, d time.Duration) (leader, standby *patroniNode) {
	c.t.Helper()
	healthy := func(m map[string]member) bool {
		var l, s member
		for _, x := range m {
			switch x.Role {
			case "leader":
				l = x
			case "sync_standby":
				s = x
			}
		}
		return l.State == "running" && (s.State == "running" || s.State == "streaming") && l.Timeline == s.Timeline
	}
	m, ok := c.tryRoles(ctx, d/2, healthy)
	if !ok {
		// Seen once in ~10 bootstraps on the loaded test machine: the new standby asked
		// for WAL past the primary's flush position and retried for good. Patroni's own
		// remedy is to rebuild the replica from the leader.
		for _, n := range c.nodes {
			if x := m[n.name]; x.Role != "leader" && x.Role != "sync_standby" {
				c.t.Logf("patroni: %s is %s/%s after %s: reinitializing it from the leader", n.name, x.Role, x.State, d/2)
				if resp, err := http.Post(n.api+"/reinitialize", "application/json", strings.NewReader(`{"force":true}`)); err == nil {
					resp.Body.Close()
				}
			}
		}
		if m, ok = c.tryRoles(ctx, d/2, healthy); !ok {
			c.failRoles("a leader and a synchronous standby", d, m)
		}
	}
	for _, n := range c.nodes {
		switch m[n.name].Role {
		case "leader":
			leader = n
		case "sync_standby":
			standby = n
		}
	}
	return leader, standby
}

// assertOneLeader checks, through each node's own REST API (PostgreSQL's view of itself,
// not the DCS's), that at most one node is a running primary.
func (c *patroniCluster) assertOneLeader() {
	c.t.Helper()
	if _, leaders := c.members(); len(leaders) > 1 {
		c.t.Errorf("split brain: %v all run as primary", leaders)
	}
}

// dsn is the standard multi-host URI the apps use: every node, the primary found by
// target_session_attrs=read-write; connect_timeout bounds the wait on a frozen host.
func (c *patroniCluster) dsn(db string) string {
	hosts := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		hosts[i] = fmt.Sprintf("127.0.0.1:%d", n.pgPort)
	}
	return "postgres://postgres@" + strings.Join(hosts, ",") + "/" + db +
		"?target_session_attrs=read-write&sslmode=disable&connect_timeout=1"
}

// patroniConf: name, REST listen and connect address, etcd, ttl, loop_wait,
// retry_timeout, PostgreSQL listen and connect address, data dir, bin dir, pgpass,
// socket dir. Durability settings stay at their defaults except fsync (a test machine's
// crash is not a fault here); full_page_writes and wal_log_hints stay on for pg_rewind.
const patroniConf = `scope: docodego-ha
name: %s
log:
  level: INFO
restapi:
  listen: %s
  connect_address: %s
etcd:
  host: %s
bootstrap:
  dcs:
    ttl: %d
    loop_wait: %d
    retry_timeout: %d
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    failsafe_mode: true
    primary_start_timeout: 0
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_log_hints: 'on'
        max_wal_senders: 5
        max_replication_slots: 5
        max_connections: 100
        fsync: 'off'
  initdb:
  - encoding: UTF8
  - no-sync
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
postgresql:
  listen: %s
  connect_address: %s
  data_dir: %s
  bin_dir: %s
  pgpass: %s
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    replication: {username: replicator, password: replicator}
    superuser: {username: postgres, password: postgres}
  parameters:
    unix_socket_directories: %s
`
