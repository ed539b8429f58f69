package handlers

import (
	"reflect"
	"strings"
	"testing"
)

// A row from the cache is the row the template renders, and a row that shows anything
// else (a newer "last active", another language) is rendered afresh.
func TestCachedRowsAreTheTemplatesRows(t *testing.T) {
	v, table := benchEngine(t), benchTable(t)
	direct := func(r sessionRow) string {
		var b strings.Builder
		if err := v.base.ExecuteTemplate(&b, "partials/session_row", r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	var whole strings.Builder
	if err := v.Render(&whole, "partials/sessions", table, ""); err != nil {
		t.Fatal(err)
	}
	for i, r := range table.Rows {
		want := direct(r)
		for _, pass := range []string{"first", "cached"} {
			got, err := v.rows.render(v, r)
			if err != nil || string(got) != want {
				t.Fatalf("row %d, %s render: %v\n%s\nwant\n%s", i, pass, err, got, want)
			}
		}
		if !strings.Contains(whole.String(), want) {
			t.Fatalf("the table does not hold row %d as the template renders it", i)
		}
	}
	if n := v.rows.lru.Len(); n != len(table.Rows)-1 {
		t.Errorf("%d rows kept, want every row but the current one (%d)", n, len(table.Rows)-1)
	}

	changed := table.Rows[1]
	changed.LastSeen.Rel = "just now (changed)"
	if got, _ := v.rows.render(v, changed); !strings.Contains(string(got), "just now (changed)") {
		t.Errorf("a row whose last-active time changed came from the cache: %s", got)
	}
	words := *changed.Text
	words.Revoke = "Widerrufen"
	changed.Text = &words
	if got, _ := v.rows.render(v, changed); !strings.Contains(string(got), "Widerrufen") {
		t.Errorf("a row in another language came from the cache: %s", got)
	}
}

// Changing any one field of a row, or of its words, changes its key.
func TestRowKeyHoldsEveryField(t *testing.T) {
	base := benchTable(t).Rows[1]
	words := *base.Text
	base.Text = &words
	key := rowKey(base)
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.String:
			old := v.String()
			v.SetString(old + "*")
			if rowKey(base) == key {
				t.Errorf("rowKey ignores %s", path)
			}
			v.SetString(old)
		case reflect.Bool:
			v.SetBool(!v.Bool())
			if rowKey(base) == key {
				t.Errorf("rowKey ignores %s", path)
			}
			v.SetBool(!v.Bool())
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Pointer:
			walk(v.Elem(), path)
		default:
			t.Errorf("%s is a %s: teach rowKey and this test about it", path, v.Kind())
		}
	}
	walk(reflect.ValueOf(&base).Elem(), "sessionRow")
}
