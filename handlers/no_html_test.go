package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// htmlTag is an opening, closing or self-closing tag, or a doctype.
var htmlTag = regexp.MustCompile(`(?i)</?[a-z][a-z0-9-]*(\s[^<>]*)?/?>|<!doctype`)

// handlers/ holds no HTML: every string literal of its code (tests aside) is free of tags.
// Markup lives in views/ (templates, and the Go writers beside their templates).
func TestHandlersHoldNoHTML(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if tag := htmlTag.FindString(s); tag != "" {
				t.Errorf("%s holds HTML (%q) in %s: markup belongs in views/", name, tag, lit.Value)
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("checked %d files: not the handlers package?", checked)
	}
}

// The test above finds the markup it is there to find.
func TestHTMLTagPatternFindsMarkup(t *testing.T) {
	for _, s := range []string{`<tr id="x">`, `</td>`, `<br/>`, `<!DOCTYPE html>`, "<span\nclass=a>"} {
		if !htmlTag.MatchString(s) {
			t.Errorf("%q not seen as HTML", s)
		}
	}
	for _, s := range []string{`a < b`, `text/html`, `x<3`, `<-chan`} {
		if htmlTag.MatchString(s) {
			t.Errorf("%q seen as HTML", s)
		}
	}
}

// No render names a layout (views/engine.go says why): c.Render takes a template and its
// data only, and the app sets no global layout.
func TestNoRenderTakesALayout(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Render" && len(n.Args) > 2 {
					t.Errorf("%s: Render with a layout argument", name)
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "ViewsLayout" {
					t.Errorf("%s sets a global layout", name)
				}
			}
			return true
		})
	}
}
