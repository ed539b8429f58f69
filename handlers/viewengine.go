package handlers

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
)

// viewEngine renders the embedded templates for Fiber. Every file is parsed once into one
// namespace named by path ("partials/sessions"), as gofiber/template did. For each
// layout it keeps, per page, a clone in which the layout's {{block "content" .}} is that
// page, built before anything runs: a render then only executes a ready template, with no
// lock (gofiber/template's html engine holds a global mutex through every layout render,
// which made full pages single-threaded).
type viewEngine struct {
	fsys    fs.FS
	base    *template.Template
	layouts map[string]map[string]*template.Template // layout -> page -> clone
}

// newViewEngine returns an engine over fsys; Fiber calls Load once at startup.
func newViewEngine(fsys fs.FS) *viewEngine { return &viewEngine{fsys: fsys} }

// Load parses every .html file and builds the layout clones.
func (v *viewEngine) Load() error {
	base := template.New("").Funcs(template.FuncMap{
		"sessionRows":  sessionRows,
		"activityRows": activityRows,
		"noticeRows":   noticeRows,
		"endedRows":    endedRows,
	})
	var names, layouts []string
	err := fs.WalkDir(v.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return err
		}
		src, err := fs.ReadFile(v.fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(p, ".html")
		if _, err := base.New(name).Parse(string(src)); err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		if strings.HasPrefix(name, "layouts/") {
			layouts = append(layouts, name)
		} else {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load views: %w", err)
	}
	v.base, v.layouts = base, map[string]map[string]*template.Template{}
	for _, layout := range layouts {
		pages := map[string]*template.Template{}
		for _, name := range names {
			clone, err := base.Clone()
			if err != nil {
				return fmt.Errorf("load views: %w", err)
			}
			if _, err := clone.AddParseTree("content", base.Lookup(name).Tree); err != nil {
				return fmt.Errorf("load views: %s in %s: %w", name, layout, err)
			}
			pages[name] = clone
		}
		v.layouts[layout] = pages
	}
	return nil
}

// Render writes template name, inside layout when one is given and not "".
func (v *viewEngine) Render(out io.Writer, name string, data any, layout ...string) error {
	if len(layout) == 0 || layout[0] == "" {
		if v.base.Lookup(name) == nil {
			return fmt.Errorf("render: no template %s", name)
		}
		return v.base.ExecuteTemplate(out, name, data)
	}
	page, ok := v.layouts[layout[0]][name]
	if !ok {
		return fmt.Errorf("render: no template %s in layout %s", name, layout[0])
	}
	return page.ExecuteTemplate(out, layout[0], data)
}
