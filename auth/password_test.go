package auth

import (
	"strings"
	"testing"
)

var fastParams = PasswordParams{Memory: 1024, Time: 1, Threads: 1}

func TestPasswordHashRoundTrip(t *testing.T) {
	hash, err := HashPassword("correct horse battery", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", hash)
	}
	if ok, err := CheckPassword("correct horse battery", hash); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _ := CheckPassword("correct horse batterY", hash); ok {
		t.Fatal("wrong password accepted")
	}
	other, _ := HashPassword("correct horse battery", fastParams)
	if other == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
}

func TestCheckPasswordRejectsMalformedHashes(t *testing.T) {
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=18$m=1024,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=1024,t=1,p=1$!!!$AAAA"} {
		if ok, err := CheckPassword("x", bad); ok || err == nil {
			t.Errorf("%q: ok=%v err=%v", bad, ok, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		password string
		code     string
	}{
		{"short", "error.password_too_short"},
		{"elevenchars", "error.password_too_short"},
		{"Password1234", "error.password_common"},
		{strings.Repeat("x", 1025), "error.password_too_long"},
		{"twelve chars", ""},
		{"ünïcödé pässwörd", ""},
	}
	for _, tt := range tests {
		err := ValidatePassword(tt.password)
		got := ""
		if ie, ok := err.(*InputError); ok {
			got = ie.Code
		}
		if got != tt.code {
			t.Errorf("%q: got %q want %q", tt.password, got, tt.code)
		}
	}
}

func TestTruncateUTF8KeepsCharactersWhole(t *testing.T) {
	s := strings.Repeat("é", 300) // 600 bytes
	got := truncateUTF8(s, 511)
	if len(got) != 510 || !strings.HasSuffix(got, "é") {
		t.Fatalf("len %d", len(got))
	}
	if got := truncateUTF8("a\xffb", 10); got != "a\uFFFDb" {
		t.Fatalf("invalid UTF-8 not repaired: %q", got)
	}
}
