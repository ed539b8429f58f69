package auth

import (
	"strconv"
	"strings"
	"time"
)

// A policy's duration is written the way people say it: "7d", "12h", "30m", "90s", or
// parts of them together ("1d12h"); "0" turns off a rule that may be off.

var durationUnits = []struct {
	suffix byte
	size   time.Duration
}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}

// ParsePolicyDuration reads "7d", "12h", "1d12h", "0"; false for anything else.
func ParsePolicyDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "0" {
		return 0, true
	}
	if s == "" || len(s) > 32 {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return 0, false
		}
		n, _ := strconv.Atoi(s[:i])
		unit := time.Duration(0)
		for _, u := range durationUnits {
			if s[i] == u.suffix {
				unit = u.size
			}
		}
		if unit == 0 {
			return 0, false
		}
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	return total, true
}

// FormatPolicyDuration writes d as ParsePolicyDuration reads it, in the fewest parts.
func FormatPolicyDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	var b strings.Builder
	for _, u := range durationUnits {
		if n := d / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.suffix)
			d -= n * u.size
		}
	}
	return b.String()
}

// ParsePolicy reads a policies form or body: get gives a field's text ("" when absent);
// a switch is on when its field is "on", "true" or "1". The error names the field.
func ParsePolicy(get func(name string) string) (Policy, error) {
	var p Policy
	for _, f := range PolicyFields {
		v := strings.TrimSpace(get(f.Name))
		var stored string
		switch f.Kind {
		case KindDuration:
			d, ok := ParsePolicyDuration(v)
			if !ok {
				return Policy{}, &InputError{Field: f.Name, Code: "policy.error.duration"}
			}
			stored = seconds(d)
		case KindCount:
			n, err := strconv.Atoi(v)
			if err != nil || len(v) > 9 {
				return Policy{}, &InputError{Field: f.Name, Code: "policy.error.count"}
			}
			stored = strconv.Itoa(n)
		case KindSwitch:
			stored = strconv.FormatBool(v == "on" || v == "true" || v == "1")
		}
		p.set(f.Name, stored)
	}
	return p, p.Validate()
}
