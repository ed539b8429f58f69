// Package static embeds the files served under /static: vendored htmx, app.js, app.css and the device icon sprite.
package static

import "embed"

// FS holds the static files.
//
//go:embed *.js *.css *.svg
var FS embed.FS
