package api_test

import (
	"encoding/json"
	"testing"

	"github.com/docodego/sessions/api"
)

// The document parses and turns into JSON: a broken edit fails here, by name, before the
// handlers (which serve it) refuse to build.
func TestDocumentIsJSON(t *testing.T) {
	b, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.OpenAPI != "3.1.0" || len(doc.Paths) < 20 {
		t.Fatalf("openapi %q, %d paths, %v", doc.OpenAPI, len(doc.Paths), err)
	}
}
