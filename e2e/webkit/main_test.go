// Package webkit_test drives the app in WebKitGTK, the engine of the DoCodeGo desktop app
// (Tauri) on Linux, through WebKitWebDriver under Xvfb. `.ci/run` installs both
// (Debian packages webkit2gtk-driver and xvfb).
package webkit_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/docodego/sessions/db/dbtest"
)

// miniBrowser is the WebKitGTK browser that WebKitWebDriver automates.
const miniBrowser = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"

// appTokens is what the desktop app appends to its webview's user agent (README,
// "Desktop app").
const appTokens = "DoCodeGo/1.4.0 Tauri/2.1.1"

var (
	wd *driver
	// platformUA is what WebKitGTK sends when nobody sets a user agent: the string Tauri
	// would send on Linux.
	platformUA string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	wd, err = startDriver()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webkit:", err)
		return 1
	}
	defer wd.stop()
	if platformUA, err = defaultUA(wd); err != nil {
		fmt.Fprintln(os.Stderr, "webkit:", err)
		return 1
	}
	return dbtest.Main(m)
}

// defaultUA asks a browser with no --user-agent what it sends.
func defaultUA(d *driver) (string, error) {
	s, err := d.open()
	if err != nil {
		return "", err
	}
	defer s.close()
	var ua string
	body := map[string]any{"script": "return navigator.userAgent", "args": []any{}}
	if err := call(http.MethodPost, s.url+"/execute/sync", body, &ua); err != nil {
		return "", fmt.Errorf("read the default user agent: %w", err)
	}
	return ua, nil
}

// desktopUA is the user agent of the DoCodeGo desktop app on Linux.
func desktopUA() string { return platformUA + " " + appTokens }
