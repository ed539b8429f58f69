package main

import (
	"bufio"
	"fmt"
	"os"
)

// sharedBuffersSetting gives the bench's cluster a quarter of this machine's RAM as
// shared_buffers, PostgreSQL's own advice for a dedicated server, and what a production
// session store gets. With the default 128 MB the small seed's sessions table (~390 MB of
// heap) did not fit: the page's ended list visits each of its user's sessions, one heap
// page apiece, and most were copied in from the OS cache on every request (BENCHMARKS.md,
// issue 28). Without /proc/meminfo the default stays.
func sharedBuffersSetting() (string, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); n == 1 {
			return fmt.Sprintf("shared_buffers=%dMB", kb/1024/4), true
		}
	}
	return "", false
}
