// Package views embeds the HTML templates: one layout, pages and partials.
package views

import "embed"

// FS holds layouts/*.html, pages/*.html and partials/*.html.
//
//go:embed layouts pages partials
var FS embed.FS
