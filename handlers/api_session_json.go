package handlers

import (
	"encoding/json"
	"strconv"
	"time"
)

// The list of a user's sessions is the hottest JSON answer: 50 sessions of 14 fields each.
// encoding/json walked them by reflection (~10 % of the list's CPU); appendJSON writes the
// same bytes directly. Strings that json.Marshal writes verbatim (nearly all: ids,
// addresses, user agents) are copied; any other goes through json.Marshal itself,
// so escaping cannot drift. TestAPISessionAppendJSONIsMarshal holds the two equal.

// apiSessionJSONSize is room for one session in the JSON list: most take 400-500 bytes,
// a long user agent more.
const apiSessionJSONSize = 640

// sessionListJSON writes {"sessions":[...]} of the n sessions session(i) gives, as
// json.Marshal writes it, into one buffer sized for them all: grown by doubling, a
// 50-session list was copied eight times on its way to ~25 KB.
func sessionListJSON(n int, session func(i int) apiSession) []byte {
	b := make([]byte, 0, len(`{"sessions":[]}`)+n*apiSessionJSONSize)
	b = append(b, `{"sessions":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		a := session(i)
		b = a.appendJSON(b)
	}
	return append(b, "]}"...)
}

// appendJSON appends s as json.Marshal writes it.
func (s *apiSession) appendJSON(b []byte) []byte {
	b = appendJSONField(b, `{"id":`, s.ID)
	b = appendJSONField(b, `,"label":`, s.Label)
	b = appendJSONField(b, `,"browser":`, s.Browser)
	b = appendJSONField(b, `,"os":`, s.OS)
	b = appendJSONField(b, `,"device_type":`, s.DeviceType)
	b = appendJSONField(b, `,"ip":`, s.IP)
	b = appendJSONField(b, `,"user_agent":`, s.UserAgent)
	b = appendJSONTime(append(b, `,"created_at":`...), s.CreatedAt)
	b = appendJSONTime(append(b, `,"last_active_at":`...), s.LastActiveAt)
	b = appendJSONTime(append(b, `,"expires_at":`...), s.ExpiresAt)
	b = strconv.AppendBool(append(b, `,"current":`...), s.Current)
	b = appendJSONField(b, `,"last_ip":`, s.LastIP)
	b = append(b, `,"location":`...)
	if l := s.Location; l == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONField(b, `{"city":`, l.City)
		b = appendJSONField(b, `,"region":`, l.Region)
		b = appendJSONField(b, `,"country":`, l.Country)
		b = appendJSONField(b, `,"country_code":`, l.CountryCode)
		b = append(b, '}')
	}
	b = strconv.AppendBool(append(b, `,"device_bound":`...), s.DeviceBound)
	return append(b, '}')
}

// appendJSONField appends key (with its punctuation) and str as a JSON string.
func appendJSONField(b []byte, key, str string) []byte {
	return appendJSONString(append(b, key...), str)
}

// appendJSONTime appends t as time.Time's MarshalJSON writes it (RFC 3339 with nanoseconds,
// trailing zeros dropped), without the string MarshalJSON allocates and encoding/json then
// re-validates and compacts. The list's times are UTC and written by appendUTC: 150 a list,
// and time's general formatter (a zone lookup, padded integers) was a twentieth of its CPU.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	if sec := t.Unix(); t.Location() == time.UTC && sec >= 0 && sec < year10000 {
		b = appendUTC(b, sec, t.Nanosecond())
	} else {
		b = t.AppendFormat(b, time.RFC3339Nano)
	}
	return append(b, '"')
}

// year10000 is the Unix time of 10000-01-01: RFC 3339 has four-digit years.
const year10000 = 253402300800

// appendUTC writes the UTC moment sec (seconds since 1970, before year10000) and nsec as
// RFC 3339 with nanoseconds, trailing zeros dropped, "Z" for the zone.
func appendUTC(b []byte, sec int64, nsec int) []byte {
	days, clock := sec/86400, int(sec%86400)
	year, month, day := civilDate(days)
	b = append2(append2(b, year/100), year%100)
	b = append2(append(b, '-'), month)
	b = append2(append(b, '-'), day)
	b = append2(append(b, 'T'), clock/3600)
	b = append2(append(b, ':'), clock/60%60)
	b = append2(append(b, ':'), clock%60)
	if nsec != 0 {
		var frac [9]byte
		n := len(frac)
		for i := n - 1; i >= 0; i-- {
			frac[i] = byte('0' + nsec%10)
			nsec /= 10
		}
		for frac[n-1] == '0' {
			n--
		}
		b = append(append(b, '.'), frac[:n]...)
	}
	return append(b, 'Z')
}

// civilDate is the Gregorian date of days since 1970-01-01 (days >= 0), by Howard
// Hinnant's civil_from_days (https://howardhinnant.github.io/date_algorithms.html).
func civilDate(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// append2 appends v (0-99) as two digits.
func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// appendJSONString appends str quoted as json.Marshal does: as it is when every byte is
// printable ASCII but " \ < > & (json.Marshal escapes nothing else in ASCII), else by
// json.Marshal itself.
func appendJSONString(b []byte, str string) []byte {
	for i := 0; i < len(str); i++ {
		if !jsonVerbatim[str[i]] {
			q, _ := json.Marshal(str) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, str...)
	return append(b, '"')
}

// jsonVerbatim holds, for each byte, whether json.Marshal writes it as it is: one load a
// byte, where seven comparisons were a tenth of the list's row building.
var jsonVerbatim = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
