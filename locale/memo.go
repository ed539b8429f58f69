package locale

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// memoLimit bounds a localizer's memo: arguments can carry device names, so the set of
// keys is open; past the limit new keys are rendered every time, as without a memo.
const memoLimit = 8192

// memo keeps rendered messages. go-i18n executes a template for every Localize call, which
// made a 50-row sessions table cost milliseconds; the same (id, count, args) always gives
// the same text, so it is rendered once per localizer.
type memo struct {
	m sync.Map // key -> string
	n atomic.Int64
}

// render is renderUncached through the memo.
func (l *Localizer) render(id string, count any, args []any) string {
	key, ok := memoKey(id, count, args)
	if !ok {
		return l.renderUncached(id, count, args)
	}
	if s, hit := l.memo.m.Load(key); hit {
		return s.(string)
	}
	s := l.renderUncached(id, count, args)
	if l.memo.n.Add(1) <= memoLimit {
		l.memo.m.Store(key, s)
	}
	return s
}

// memoKey encodes the call, when every argument is a string or an int.
func memoKey(id string, count any, args []any) (string, bool) {
	var b strings.Builder
	b.WriteString(id)
	for _, v := range append([]any{count}, args...) {
		b.WriteByte(0)
		switch v := v.(type) {
		case nil:
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			return "", false
		}
	}
	return b.String(), true
}
