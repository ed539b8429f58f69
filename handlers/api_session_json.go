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
// re-validates and compacts.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONString appends str quoted as json.Marshal does: as it is when every byte is
// printable ASCII but " \ < > & (json.Marshal escapes nothing else in ASCII), else by
// json.Marshal itself.
func appendJSONString(b []byte, str string) []byte {
	for i := 0; i < len(str); i++ {
		if c := str[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(str) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, str...)
	return append(b, '"')
}
