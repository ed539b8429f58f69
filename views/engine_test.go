package views

import (
	"io/fs"
	"path"
	"regexp"
	"testing"
)

// layoutCall is an action that calls html/v2's layout function ("embed").
var layoutCall = regexp.MustCompile(`\{\{-?[^}]*\bembed\b`)

// No template calls html/v2's layout function: every render rewrites it on the shared
// templates (views/engine.go), so a page built on it could run another render's. Pages are
// composed from partials/page_start and partials/page_end instead; each page uses both,
// with its Layout (handlers.Layout) as their data.
func TestNoTemplateCallsTheLayoutFunction(t *testing.T) {
	pageStart := regexp.MustCompile(`^\{\{template "partials/page_start" \.Layout -\}\}`)
	pageEnd := regexp.MustCompile(`\{\{template "partials/page_end" \.Layout\}\}\s*$`)
	n := 0
	eachTemplate(t, func(p string, src []byte) {
		n++
		if layoutCall.Match(src) {
			t.Errorf("%s calls the layout function", p)
		}
		if path.Dir(p) == "pages" {
			if !pageStart.Match(src) || !pageEnd.Match(src) {
				t.Errorf("%s is not composed from partials/page_start and partials/page_end", p)
			}
		}
	})
	if n < 10 {
		t.Fatalf("walked %d templates", n)
	}
}

// eachTemplate calls visit with the path and source of every embedded template.
func eachTemplate(t *testing.T, visit func(path string, src []byte)) {
	t.Helper()
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(FS, p)
		if err == nil {
			visit(p, src)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk the templates: %v", err)
	}
}

// Every embedded template parses, with the hot-list writers as its functions.
func TestEngineLoadsEveryTemplate(t *testing.T) {
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(FS, "*/*.html")
	for _, f := range files {
		name := f[:len(f)-len(".html")]
		if e.Templates.Lookup(name) == nil {
			t.Errorf("%s not loaded", name)
		}
	}
}
