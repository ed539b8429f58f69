// Package views holds all of the app's HTML: the templates (pages/*.html composed from
// partials/*.html), the engine that renders them (engine.go), and the Go writers of the
// security page's hot lists beside their templates (rows/).
package views

import "embed"

// FS holds pages/*.html, partials/*.html and rows/*.html.
//
//go:embed pages partials rows/*.html
var FS embed.FS
