// Package api holds the OpenAPI document of the JSON API, the contract that the handlers'
// tests and the contract tools (e2e/openapi) check the app against.
package api

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Document is the OpenAPI 3.1 document as written (YAML, with comments for people).
//
//go:embed openapi.yaml
var Document []byte

// JSON is Document as JSON, the form GET /api/openapi.json serves.
func JSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(Document, &doc); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi document as json: %w", err)
	}
	return b, nil
}
