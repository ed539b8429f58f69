// Package static embeds the files served under /static: vendored htmx, app.js and app.css.
package static

import "embed"

// FS holds the static files.
//
//go:embed *.js *.css
var FS embed.FS
