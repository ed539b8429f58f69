package auth

import "strings"

// commonPasswords are well-known passwords of the minimum length or more, from public
// breach lists; a short list catches the worst choices without shipping a large file.
var commonPasswords = map[string]bool{
	"123456789012": true, "1234567890123": true, "12345678901234": true,
	"password1234": true, "password12345": true, "password123456": true,
	"passwordpassword": true, "qwertyuiopasdf": true, "qwertyuiop123": true,
	"qwerty123456": true, "iloveyou1234": true, "111111111111": true,
	"000000000000": true, "abcdefghijkl": true, "abc123abc123": true,
	"letmein12345": true, "welcome12345": true, "administrator": true,
	"changeme1234": true, "football1234": true, "baseball1234": true,
	"superman1234": true, "trustno1trustno1": true, "correcthorsebatterystaple": true,
	"aaaaaaaaaaaa": true, "1q2w3e4r5t6y": true, "1qaz2wsx3edc": true,
	"zaq12wsxcde3": true, "monkey123456": true, "dragon123456": true,
}

func isCommonPassword(p string) bool {
	return commonPasswords[strings.ToLower(p)]
}
