package openapi_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSpectral lints the document with Spectral's OpenAPI rules and the OWASP API Security
// ruleset (.spectral.yaml): no error, and every rule that still warns is listed in the
// README with the reason it is left.
func TestSpectral(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool(t, "spectral"), "lint", "--ruleset", ".spectral.yaml",
		"--format", "json", "--quiet", "--fail-severity", "error", document)
	cmd.Env = offline()
	out, err := cmd.Output()
	var results []struct {
		Code     string `json:"code"`
		Message  string `json:"message"`
		Severity int    `json:"severity"` // 0 error, 1 warning, 2 information, 3 hint
		Path     []any  `json:"path"`
	}
	if jerr := json.Unmarshal(out, &results); jerr != nil {
		t.Fatalf("spectral: %v (%v)\n%s", err, jerr, out)
	}
	readme, rerr := os.ReadFile("../../README.md")
	if rerr != nil {
		t.Fatal(rerr)
	}
	_, section, _ := strings.Cut(string(readme), "### Spectral warnings left in place")
	section, _, _ = strings.Cut(section, "\n### ")
	warned := map[string]int{}
	for _, r := range results {
		switch r.Severity {
		case 0:
			t.Errorf("spectral error %s at %v: %s", r.Code, r.Path, r.Message)
		case 1:
			warned[r.Code]++
		}
	}
	for code, n := range warned {
		if !strings.Contains(section, "`"+code+"`") {
			t.Errorf("spectral warns %d× %s, and README's \"Spectral warnings left in place\" does not say why", n, code)
		}
	}
	t.Logf("spectral: %d results, warnings by rule: %v", len(results), warned)
	if err != nil && !t.Failed() {
		t.Fatalf("spectral failed: %v\n%s", err, out)
	}
}
