package handlers_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/docodego/sessions/api"
)

// contract is the OpenAPI document (api/openapi.yaml) and its validator, built once per
// test binary. Every answer a handler test gets from an /api/ route is checked against it
// (client.do), so an answer that drifts from the document fails the test that got it.
var contract struct {
	once sync.Once
	doc  *v3.Document
	v    validator.Validator
	err  error
}

func openAPI(t testing.TB) (*v3.Document, validator.Validator) {
	t.Helper()
	contract.once.Do(func() {
		doc, err := libopenapi.NewDocument(api.Document)
		if err != nil {
			contract.err = err
			return
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			contract.err = err
			return
		}
		contract.doc = &model.Model
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			contract.err = fmt.Errorf("validator: %v", errs)
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			contract.err = fmt.Errorf("api/openapi.yaml is not a valid OpenAPI 3.1 document: %s", validationText(verrs))
			return
		}
		contract.v = v
	})
	if contract.err != nil {
		t.Fatal(contract.err)
	}
	return contract.doc, contract.v
}

// apiExchange is one request and its answer as the contract checks them.
type apiExchange struct {
	method, target string // target: path and query, as sent
	header         http.Header
	body           string
	status         int
	respHeader     http.Header
	respBody       string
}

// contractRequest rebuilds the request for the validator: trailing slashes dropped (the
// app takes both spellings, the document writes paths without).
func (x apiExchange) contractRequest() *http.Request {
	path, query, _ := strings.Cut(x.target, "?")
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if query != "" {
		path += "?" + query
	}
	req, _ := http.NewRequest(x.method, "http://example.com"+path, strings.NewReader(x.body))
	req.Header = x.header.Clone()
	return req
}

// checkAnswer reports how the answer breaks the document ("" when it does not, or when the
// route is not in the document at all: the route-table test holds those two together).
func checkAnswer(t testing.TB, x apiExchange) string {
	_, v := openAPI(t)
	body := []byte(x.respBody)
	if x.respHeader.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return "a gzip answer that does not unzip: " + err.Error()
		}
		if body, err = io.ReadAll(zr); err != nil {
			return "a gzip answer that does not unzip: " + err.Error()
		}
	}
	resp := &http.Response{StatusCode: x.status, Header: x.respHeader, Body: io.NopCloser(bytes.NewReader(body))}
	ok, errs := v.ValidateHttpResponse(x.contractRequest(), resp)
	if ok {
		return ""
	}
	kept := errs[:0]
	for _, e := range errs {
		if !e.IsPathMissingError() && !e.IsOperationMissingError() {
			kept = append(kept, e)
		}
	}
	return validationText(kept)
}

// checkRequest reports how the request breaks the document.
func checkRequest(t testing.TB, x apiExchange) string {
	_, v := openAPI(t)
	if ok, errs := v.ValidateHttpRequestSync(x.contractRequest()); !ok {
		return validationText(errs)
	}
	return ""
}

func validationText(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	return b.String()
}
