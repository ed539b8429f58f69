package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Every -cache-off patch still applies to the tree, so that the quiet run's cache table
// can be filled in with each cache off (the patch is kept up to date with the code it
// turns off, or the bench would fail in the middle of a long run).
func TestCacheOffPatchesApply(t *testing.T) {
	patches, err := filepath.Glob(filepath.Join("cacheoff", "*.patch"))
	if err != nil || len(patches) == 0 {
		t.Fatalf("no patches in bench/cacheoff (%v)", err)
	}
	for _, p := range patches {
		abs, _ := filepath.Abs(p)
		cmd := exec.Command("git", "apply", "--check", abs)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s does not apply: %v\n%s", p, err, out)
		}
	}
}
