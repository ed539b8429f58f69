package main

import (
	"context"
	"fmt"

	"github.com/docodego/sessions/auth"
	"github.com/docodego/sessions/db"
)

// The sign-in row: users u%100 == 50 (100 ordinary users) get a real argon2id hash of
// signInPassword with the app's default parameters, and four connections sign them in
// in turn, each request from its own client address (the app trusts loopback's
// X-Forwarded-For here), so that the per-address limit of sign-in attempts is not what
// is measured.
const signInPassword = "correct horse battery staple"

func setSignInPasswords(ctx context.Context, store *db.Store) error {
	hash, err := auth.HashPassword(signInPassword, auth.DefaultPasswordParams)
	if err != nil {
		return err
	}
	_, err = store.DB().ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE email LIKE 'user%50@bench.test'`, hash)
	return err
}

var signInScript = fmt.Sprintf(`local n = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
request = function()
  n = n + 1
  local u = ((n * 2 + (id or 0)) %% %d) * 100 + 50
  local body = string.format('{"email":"user%%d@bench.test","password":%q}', u)
  local ip = string.format("198.%%d.%%d.%%d", 17 + (id or 0), math.floor(n / 250) %% 250, n %% 250 + 1)
  return wrk.format("POST", "/api/auth/sign-in/email", {["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = ip}, body)
end
`, population/100, signInPassword)
