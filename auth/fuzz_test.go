package auth

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/docodego/sessions/db"
)

// FuzzParseToken: any cookie value either is refused or is a canonical 32-byte token
// whose hash is the one returned; never a panic.
func FuzzParseToken(f *testing.F) {
	token, _, _ := NewToken()
	for _, s := range []string{"", token, token[:42], token + "A", strings.Repeat("A", 43), strings.Repeat("_", 43),
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", token[:42] + "B", "garbage", "\x00\xff", strings.Repeat("x", 3000),
		base64.StdEncoding.EncodeToString(make([]byte, 32))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		hash, ok := ParseToken(value)
		if !ok {
			if hash != nil {
				t.Fatalf("refused %q but returned a hash", value)
			}
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(value)
		if err != nil || len(raw) != 32 || base64.RawURLEncoding.EncodeToString(raw) != value {
			t.Fatalf("accepted a non-canonical token %q", value)
		}
		if !bytes.Equal(hash, HashToken(value)) {
			t.Fatalf("hash of %q is not its SHA-256", value)
		}
	})
}

// FuzzValidSessionID: an accepted id is a canonical 36-character UUID; never a panic.
func FuzzValidSessionID(f *testing.F) {
	for _, s := range []string{"", uuid.NewString(), strings.ToUpper(uuid.NewString()), "not-a-uuid",
		"1';DROP TABLE sessions;--", "{" + uuid.NewString() + "}", "urn:uuid:" + uuid.NewString(),
		strings.ReplaceAll(uuid.NewString(), "-", ""), "00000000-0000-0000-0000-00000000000g", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !ValidSessionID(id) {
			return
		}
		u, err := uuid.Parse(id)
		if err != nil || len(id) != 36 || u.String() != strings.ToLower(id) {
			t.Fatalf("accepted %q, which is not a canonical UUID", id)
		}
	})
}

// FuzzParseCursor: an accepted cursor is exactly what EncodeCursor writes for the position
// it names, so it carries no byte the decoder skipped (CR, LF) into a Location header.
func FuzzParseCursor(f *testing.F) {
	c := EncodeCursor(db.EventCursor{CreatedAt: time.UnixMicro(1796000000000000), ID: 42})
	for _, s := range []string{"", c, c[:6] + "\r\n" + c[6:], c + "\n", "\r" + c, c + "=", strings.ToUpper(c),
		base64.RawURLEncoding.EncodeToString([]byte("+1796000000000000.42")),
		base64.RawURLEncoding.EncodeToString([]byte("1796000000000000.042")), "garbage", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pos, err := ParseCursor(s)
		if err != nil {
			return
		}
		if EncodeCursor(pos) != s {
			t.Fatalf("accepted %q, which is not the canonical %q", s, EncodeCursor(pos))
		}
	})
}
