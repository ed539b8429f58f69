package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

func TestBucketOf(t *testing.T) {
	const h = "github.com/docodego/sessions/handlers."
	for _, c := range []struct {
		stack []string // leaf first
		want  string
	}{
		// Everything under the session check is the session check, syscalls included.
		{[]string{"syscall.write", "github.com/lib/pq.(*conn).send", "github.com/docodego/sessions/db.(*Store).lookupSessions",
			"github.com/docodego/sessions/auth.(*Service).Authenticate", h + "(*Handler).requireSession"}, bucketSessionCheck},
		// The leaf's kind decides, read upwards past frames of no kind.
		{[]string{"runtime.memmove", "strings.(*Builder).WriteString", "html/template.htmlReplacer", "html/template.htmlEscaper",
			"text/template.(*state).evalCall", "text/template.(*Template).Execute"}, "escaping"},
		{[]string{"runtime.memmove", "text/template.(*state).walk", h + "(*Handler).page"}, "template execution"},
		{[]string{"runtime.mallocgc", "runtime.growslice", "text/template.(*state).walk"}, "GC and allocation"},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, "GC and allocation"},
		{[]string{"github.com/klauspost/compress/flate.(*compressor).deflateLazy", h + "gzipTo"}, "compression"},
		{[]string{"internal/runtime/syscall.Syscall6", "syscall.Syscall", "syscall.write", "internal/poll.(*FD).Write",
			"github.com/valyala/fasthttp.(*Server).serveConn"}, "network, system calls"},
		{[]string{"strings.(*Builder).WriteString", h + "writeSessionRow", h + "sessionRows"}, "row building (rows, JSON written in Go)"},
		{[]string{"strconv.AppendInt", h + "(*apiSession).appendJSON"}, "row building (rows, JSON written in Go)"},
		{[]string{h + "escapeHTML", h + "writeSessionRow"}, "escaping"},
		{[]string{"time.Time.AppendFormat", "github.com/lib/pq.(*rows).Next", "database/sql.(*Rows).Next",
			"github.com/docodego/sessions/db.(*Store).ActiveSessions"}, "SQL client (driver, scanning)"},
		{[]string{"github.com/valyala/fasthttp.(*RequestHeader).parse"}, "HTTP server (fiber, fasthttp)"},
		{[]string{"runtime.futex", "runtime.findRunnable", "runtime.schedule"}, bucketRuntime},
		{[]string{"crypto/sha256.block", h + "(*Handler).csrfToken"}, bucketOther},
	} {
		if got := bucketOf(c.stack); got != c.want {
			t.Errorf("bucketOf(%v) = %q, want %q", c.stack, got, c.want)
		}
	}
}

// A profile written and read back the way the bench gets one from the app's
// /debug/pprof/profile: samples are summed into the buckets of their stacks.
func TestBreakdownOfAProfile(t *testing.T) {
	fns := map[string]*profile.Function{}
	var locs []*profile.Location
	loc := func(name string) *profile.Location {
		f, ok := fns[name]
		if !ok {
			f = &profile.Function{ID: uint64(len(fns) + 1), Name: name}
			fns[name] = f
		}
		l := &profile.Location{ID: uint64(len(locs) + 1), Line: []profile.Line{{Function: f}}}
		locs = append(locs, l)
		return l
	}
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        10_000_000,
		DurationNanos: int64(5 * time.Second),
		Sample: []*profile.Sample{
			{Location: []*profile.Location{loc("compress/flate.(*compressor).deflate"), loc("main.handler")}, Value: []int64{3, 30_000_000}},
			{Location: []*profile.Location{loc("syscall.read"), loc("github.com/docodego/sessions/auth.(*Service).Authenticate")}, Value: []int64{1, 10_000_000}},
			{Location: []*profile.Location{loc("runtime.gcBgMarkWorker")}, Value: []int64{2, 20_000_000}},
			{Location: []*profile.Location{loc("compress/flate.(*compressor).deflate"), loc("main.other")}, Value: []int64{1, 10_000_000}},
		},
	}
	for _, f := range fns {
		p.Function = append(p.Function, f)
	}
	p.Location = locs
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	parsed, err := profile.ParseData(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b, err := breakdownOf(parsed)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"compression": 40 * time.Millisecond, bucketSessionCheck: 10 * time.Millisecond,
		"GC and allocation": 20 * time.Millisecond}
	if b.total != 70*time.Millisecond || b.window != 5*time.Second || len(b.buckets) != len(want) {
		t.Fatalf("breakdown = %+v", b)
	}
	for k, v := range want {
		if b.buckets[k] != v {
			t.Errorf("bucket %q = %s, want %s", k, b.buckets[k], v)
		}
	}
	// A heap profile is refused, not bucketed as if it were CPU.
	p.SampleType = []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}, {Type: "inuse_space", Unit: "bytes"}}
	if _, err := breakdownOf(p); err == nil {
		t.Error("a heap profile was bucketed")
	}
}
