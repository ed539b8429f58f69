package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/docodego/sessions/geo"
)

// geoReport prints what locating an address costs (geo/, DB-IP City Lite): a Go
// micro-benchmark of one lookup over spread public addresses, and resident memory with the
// data loaded. The files are memory-mapped, so their pages count in RSS only once a lookup
// touches them, and in PSS only in part when other processes map them too: both are given,
// for the whole app process and for the .mmdb mappings alone, in the app (which looks up
// only at sign-in and for a session's new address) and in this process after the benchmark
// touched pages all over the files (a bound for an app that sees every kind of address).
func geoReport(appPID int) {
	dir := os.Getenv("GEOIP_DIR")
	if dir == "" {
		dir = filepath.Join(".data", "geoip")
	}
	places, err := geo.Open(dir)
	if err != nil {
		fmt.Printf("\nGeolocation: not measured (%v); `make geoip` fetches the data.\n", err)
		return
	}
	defer places.Close()
	ips := spreadAddresses(4096)
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := places.Lookup(ips[i%len(ips)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	fmt.Printf("\nGeolocation (DB-IP City Lite, %s): one lookup %d ns, %d B and %d allocs (Go benchmark, %d lookups over %d spread IPv4/IPv6 addresses).\n",
		dir, res.NsPerOp(), res.AllocedBytesPerOp(), res.AllocsPerOp(), res.N, len(ips))
	app, appMMDB := memory(appPID)
	self, selfMMDB := memory(os.Getpid())
	fmt.Printf("| process | RSS | PSS | .mmdb RSS | .mmdb PSS |\n|---|---|---|---|---|\n")
	fmt.Printf("| app, data loaded, end of run | %.1f MB | %.1f MB | %.1f MB | %.1f MB |\n", mb(app.rss), mb(app.pss), mb(appMMDB.rss), mb(appMMDB.pss))
	fmt.Printf("| bench, after the lookup benchmark | %.1f MB | %.1f MB | %.1f MB | %.1f MB |\n", mb(self.rss), mb(self.pss), mb(selfMMDB.rss), mb(selfMMDB.pss))
}

// spreadAddresses is n public addresses, two thirds IPv4, from a fixed seed.
func spreadAddresses(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 0, n)
	for len(out) < n {
		var a netip.Addr
		if len(out)%3 < 2 {
			a = netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
		} else {
			var b [16]byte
			b[0], b[1] = 0x20, byte(r.IntN(256))
			for i := 2; i < 16; i++ {
				b[i] = byte(r.IntN(256))
			}
			a = netip.AddrFrom16(b)
		}
		if !geo.IsLocal(a) {
			out = append(out, a.String())
		}
	}
	return out
}

type resident struct{ rss, pss int64 }

// memory reads /proc/pid/smaps: the whole process's Rss and Pss, and those of the .mmdb
// mappings.
func memory(pid int) (all, mmdb resident) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	inMMDB := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") { // a mapping's header line: range perms offset dev inode [path]
			inMMDB = strings.HasSuffix(fields[len(fields)-1], ".mmdb")
			continue
		}
		if len(fields) < 2 || (fields[0] != "Rss:" && fields[0] != "Pss:") {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		b := kb << 10
		switch fields[0] {
		case "Rss:":
			all.rss += b
			if inMMDB {
				mmdb.rss += b
			}
		case "Pss:":
			all.pss += b
			if inMMDB {
				mmdb.pss += b
			}
		}
	}
	return
}
