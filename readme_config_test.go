package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestREADMEConfigurationTable holds README's configuration table and config.go together,
// both ways: every variable loadConfig reads (as it runs, and every name config.go spells)
// has a row, and every row names a variable that is read.
func TestREADMEConfigurationTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "\n## Configuration\n")
	if !ok {
		t.Fatal(`README.md has no "## Configuration" section`)
	}
	table, _, _ = strings.Cut(table, "\n## ")
	documented := map[string]bool{}
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			documented[m[1]] = true
		}
	}

	read := map[string]bool{}
	if _, err := loadConfig(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`).FindAllStringSubmatch(string(src), -1) {
		read[m[1]] = true
	}

	for _, k := range sorted(read) {
		if !documented[k] {
			t.Errorf("config.go reads %s, and README's configuration table has no row for it", k)
		}
	}
	for _, k := range sorted(documented) {
		if !read[k] {
			t.Errorf("README's configuration table lists %s, and config.go never reads it", k)
		}
	}
	if len(read) < 30 {
		t.Fatalf("found only %d variables in config.go: %v", len(read), sorted(read))
	}
}

func sorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
