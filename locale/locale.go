// Package locale holds the app's message catalogs and picks a language per request.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed catalog/*.json
var catalogs embed.FS

// Catalog is every message in every supported language. It is built once and shared.
type Catalog struct {
	bundle  *i18n.Bundle
	tags    []language.Tag
	matcher language.Matcher
	cache   map[string]*Localizer
}

// Supported lists the languages we ship, English first (the fallback).
var Supported = []string{"en", "de", "fr", "es"}

// New loads the embedded catalogs.
func New() (*Catalog, error) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &Catalog{bundle: bundle, cache: map[string]*Localizer{}}
	compiled := map[string]map[string]compiledMessage{}
	for _, lang := range Supported {
		file := path.Join("catalog", lang+".json")
		data, err := fs.ReadFile(catalogs, file)
		if err != nil {
			return nil, fmt.Errorf("load catalog %s: %w", lang, err)
		}
		if _, err := bundle.ParseMessageFileBytes(data, file); err != nil {
			return nil, fmt.Errorf("parse catalog %s: %w", lang, err)
		}
		if compiled[lang], err = compileCatalog(data); err != nil {
			return nil, fmt.Errorf("compile catalog %s: %w", lang, err)
		}
		c.tags = append(c.tags, language.MustParse(lang))
	}
	c.matcher = language.NewMatcher(c.tags)
	// One localizer per language, built now, so requests only read the map.
	for _, tag := range c.tags {
		base, _ := tag.Base()
		c.cache[base.String()] = newLocalizer(bundle, tag, compiled[base.String()])
	}
	return c, nil
}

// Pick chooses a language: an explicit choice (cookie or query) if we ship it, else the
// best match for Accept-Language, else English.
func (c *Catalog) Pick(choice, acceptLanguage string) *Localizer {
	if l, ok := c.cache[strings.ToLower(strings.TrimSpace(choice))]; ok {
		return l
	}
	if len(acceptLanguage) > 512 {
		acceptLanguage = acceptLanguage[:512]
	}
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		idx = 0
	}
	base, _ := c.tags[idx].Base()
	return c.cache[base.String()]
}

// Lang returns the localizer for a supported language code, or nil.
func (c *Catalog) Lang(code string) *Localizer { return c.cache[code] }

// MessageIDs lists every message id of one language's catalog, for completeness tests.
func MessageIDs(lang string) (map[string]string, error) {
	data, err := fs.ReadFile(catalogs, path.Join("catalog", lang+".json"))
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for id, msg := range raw {
		out[id] = string(msg)
	}
	return out, nil
}
