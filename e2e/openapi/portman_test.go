package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docodego/sessions/internal/testserver"
)

// TestPortmanVariations turns the document into Postman contract tests (every read) and
// variation tests (wrong types, missing and extra fields, values past each limit, a body
// that is not JSON, ids that are no session's) with Portman (portman-config.json), and runs
// them with Newman against the app with a signed-in session. Every variation must get a
// clear 4xx with the API's error object (clear-4xx.js), never a 5xx, and change nothing:
// the account, its sessions and its security events read the same before and after.
func TestPortmanVariations(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	// The person whose session Newman uses: the document's own example account.
	ada, win := newBrowser(t, srv.URL, srv.URL), newBrowser(t, srv.URL, srv.URL)
	ada.call("POST", "/api/auth/sign-up/email", `{"name":"Ada Lovelace","email":"ada@example.com","password":"correct horse battery"}`, 200)
	win.call("POST", "/api/auth/sign-in/email", `{"email":"ada@example.com","password":"correct horse battery"}`, 200)
	var other struct{ ID string }
	json.Unmarshal([]byte(win.call("GET", "/api/users/me/current-session", "", 200)), &other)
	before := accountState(ada)

	dir := t.TempDir() // Portman writes its working files beside where it runs
	for _, f := range []string{"portman-config.json", "clear-4xx.js"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc, _ := filepath.Abs(document)
	collection := filepath.Join(dir, "collection.json")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	gen := exec.CommandContext(ctx, tool(t, "portman"), "--local", doc, "--portmanConfigFile", "portman-config.json",
		"--output", collection, "--baseUrl", "{{baseUrl}}", "--warn", "false")
	gen.Dir, gen.Env = dir, offline()
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("portman: %v\n%s", err, out)
	}
	requests := signedInCollection(t, collection)

	report := filepath.Join(dir, "newman.json")
	run := exec.CommandContext(ctx, tool(t, "newman"), "run", collection,
		"--env-var", "baseUrl="+srv.URL, "--env-var", "origin="+srv.URL,
		"--env-var", "sessionToken="+ada.cookie("session"), "--env-var", "sessionId="+other.ID,
		"--reporters", "cli,json", "--reporter-json-export", report, "--disable-unicode", "--color", "off")
	run.Dir, run.Env = dir, offline()
	out, runErr := run.CombinedOutput()
	var result struct {
		Run struct {
			Stats struct {
				Requests, Assertions struct{ Total, Failed int }
			}
			Failures []struct {
				Source struct{ Name string }
				Error  struct{ Test, Message string }
			}
			Executions []struct {
				Item     struct{ Name string }
				Response struct{ Code int }
			}
		}
	}
	b, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(b, &result) != nil {
		t.Fatalf("newman wrote no report (%v, %v):\n%s", runErr, err, out)
	}
	for _, f := range result.Run.Failures {
		t.Errorf("newman: %s: %s: %s", f.Source.Name, f.Error.Test, f.Error.Message)
	}
	for _, x := range result.Run.Executions {
		if x.Response.Code >= 500 || x.Response.Code == 0 {
			t.Errorf("newman: %s answered %d", x.Item.Name, x.Response.Code)
		}
	}
	st := result.Run.Stats
	t.Logf("newman: %d requests (%d in the collection), %d assertions, %d failed", st.Requests.Total, requests, st.Assertions.Total, st.Assertions.Failed)
	if st.Requests.Total != requests || st.Requests.Total < 60 || st.Assertions.Total < 2*st.Requests.Total {
		t.Errorf("newman ran %d requests with %d assertions; the collection has %d", st.Requests.Total, st.Assertions.Total, requests)
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("newman: %v\n%s", runErr, out)
	}
	if after := accountState(ada); !reflect.DeepEqual(before, after) {
		t.Errorf("the variations changed the account:\nbefore %+v\nafter  %+v", before, after)
	}
	if t.Failed() {
		t.Logf("newman:\n%s", out)
	}
}

// signedInCollection keeps Portman's requests that read (the contract tests) and every
// variation, drops the base requests of writes (they would sign out or revoke mid-run),
// and makes each request come from the signed-in browser: the session cookie and the
// page's Origin, instead of the API-key header Portman makes of a cookie scheme. It
// returns how many requests are left.
func signedInCollection(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	c["auth"] = map[string]any{"type": "noauth"}
	n := 0
	var keep func(items []any, variations bool) []any
	keep = func(items []any, variations bool) []any {
		var kept []any // nil when nothing is kept
		for _, it := range items {
			item := it.(map[string]any)
			if sub, ok := item["item"].([]any); ok {
				if sub = keep(sub, variations || strings.Contains(item["name"].(string), "Variation")); len(sub) > 0 {
					item["item"] = sub
					kept = append(kept, item) // a folder left empty is dropped
				}
				continue
			}
			req := item["request"].(map[string]any)
			if (req["method"] != "GET" && !variations) || strings.Contains(fmt.Sprint(req["url"]), "admin") {
				continue // the admin API is walked in Go, as an administrator (handlers/openapi_test.go)
			}
			headers, _ := req["header"].([]any)
			var hs []any
			for _, h := range headers {
				if k := strings.ToLower(h.(map[string]any)["key"].(string)); k != "cookie" && k != "origin" {
					hs = append(hs, h)
				}
			}
			hs = append(hs, map[string]any{"key": "Cookie", "value": "session={{sessionToken}}"},
				map[string]any{"key": "Origin", "value": "{{origin}}"})
			req["header"] = hs
			delete(req, "auth")
			n++
			kept = append(kept, item)
		}
		return kept
	}
	c["item"] = keep(c["item"].([]any), false)
	out, _ := json.Marshal(c)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

// account is what a variation must not change: the person, their live sessions and their
// security events.
type account struct {
	User     string
	Sessions []string
	Events   []string
}

func accountState(b *browser) account {
	b.t.Helper()
	var a account
	var me struct {
		User struct {
			ID, Email, Name string
			EmailVerified   bool
		}
	}
	json.Unmarshal([]byte(b.call("GET", "/api/auth/get-session", "", 200)), &me)
	a.User = me.User.ID + " " + me.User.Email + " " + me.User.Name + " " + map[bool]string{true: "verified", false: "unverified"}[me.User.EmailVerified]
	var list struct{ Sessions []struct{ ID string } }
	json.Unmarshal([]byte(b.call("GET", "/api/auth/sessions", "", 200)), &list)
	for _, s := range list.Sessions {
		a.Sessions = append(a.Sessions, s.ID)
	}
	var events struct {
		Events []struct {
			ID   int64
			Type string
		}
	}
	json.Unmarshal([]byte(b.call("GET", "/api/users/me/security-events?limit=100", "", 200)), &events)
	for _, e := range events.Events {
		a.Events = append(a.Events, e.Type)
	}
	return a
}
