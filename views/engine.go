package views

import (
	"fmt"
	"net/http"

	"github.com/gofiber/template/html/v2"

	"github.com/docodego/sessions/views/rows"
)

// NewEngine returns the html/v2 engine over FS, loaded, with the hot-list writers as
// template functions. It renders every page and fragment by name, never with a layout:
// html/v2 holds an exclusive lock through a render with a layout, and every render
// rewrites its shared "embed" function, so a template calling it could race a fragment
// rendered meanwhile. Pages are composed from partials instead (partials/page_start,
// partials/page_end), and TestNoTemplateCallsTheLayoutFunction keeps it so.
func NewEngine() (*html.Engine, error) {
	e := html.NewFileSystem(http.FS(FS), ".html")
	e.AddFuncMap(map[string]any{
		"sessionRows":  rows.Sessions,
		"activityRows": rows.Activities,
		"endedRows":    rows.EndedSessions,
	})
	if err := e.Load(); err != nil {
		return nil, fmt.Errorf("load views: %w", err)
	}
	return e, nil
}
