package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The random-user rows: each request comes from a user picked at random, uniformly or by
// Zipf's law (s=1.1: a few users send most requests, as on a real product), with one of
// that user's live session cookies. wrk and pgbench pick the same way: index i of n users
// is drawn (pgbench's random / random_zipfian, or the Lua below), and the user is the
// (i*7919 mod n)-th, so the busiest users are spread over the population, not its start.
const (
	zipfS       = 1.1
	spreadPrime = 7919 // coprime with both user counts
)

// userSet is the users a row picks from: the whole population, or the list users.
type userSet struct {
	name  string
	count int
	user  func(i int) int // the i-th user of the set
	// userSQL is user() as a pgbench expression of :i.
	userSQL string
}

var (
	everyone  = userSet{name: "everyone", count: population, user: func(i int) int { return i }, userSQL: ":i"}
	listUsers = userSet{name: "list", count: listUserCount, user: listUser, userSQL: "20 * :i + 1"}
)

// tokenFile is a token file, one line per user of a set with that user's cookie values,
// and the name of the cookie they are sent in.
type tokenFile struct{ path, cookie string }

// appCookie is the app's session cookie: its name, and seeded session (u, j)'s value.
const appCookie = "session"

func appCookieValue(u, j int) string { return token(u, strconv.Itoa(j)) }

// writeTokens writes the set's cookie values value(u, j), one line per user (in set order),
// for the Lua.
func writeTokens(dir, cookie string, set userSet, value func(u, j int) string) (tokenFile, error) {
	var b strings.Builder
	for i := range set.count {
		u := set.user(i)
		for j := range liveSessions(u) {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(value(u, j))
		}
		b.WriteByte('\n')
	}
	f := tokenFile{path: filepath.Join(dir, "tokens-"+set.name+"-"+cookie+".txt"), cookie: cookie}
	return f, os.WriteFile(f.path, []byte(b.String()), 0o644)
}

// randomScript is a wrk script that GETs path as a random user of the token file (zipf:
// Zipf-distributed, else uniform) with one of that user's cookies, and Accept-Encoding as
// given ("": none).
func randomScript(tokens tokenFile, path string, zipf bool, acceptEncoding string) string {
	encoding := ""
	if acceptEncoding != "" {
		encoding = fmt.Sprintf(`, ["Accept-Encoding"] = %q`, acceptEncoding)
	}
	return fmt.Sprintf(`local users, n = {}, 0
for line in io.lines(%q) do
  local t = {}
  for tok in line:gmatch("%%S+") do t[#t + 1] = tok end
  n = n + 1
  users[n] = t
end
local cdf
if %t then
  cdf = {}
  local sum = 0
  for k = 1, n do sum = sum + k ^ -%g; cdf[k] = sum end
  for k = 1, n do cdf[k] = cdf[k] / sum end
end
local function pick()
  local i
  if cdf then
    local x, lo, hi = math.random(), 1, n
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cdf[mid] < x then lo = mid + 1 else hi = mid end
    end
    i = lo - 1
  else
    i = math.random(0, n - 1)
  end
  return users[(i * %d) %% n + 1]
end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
end
request = function()
  local t = pick()
  return wrk.format("GET", %q, {["Cookie"] = %q .. t[math.random(#t)]%s})
end
`, tokens.path, zipf, zipfS, spreadPrime, path, tokens.cookie+"=", encoding)
}

// pickSQL is the pgbench lines that set :u to a random user of set and :j to one of its
// live sessions, as randomScript picks them.
func pickSQL(set userSet, zipf bool) string {
	draw := fmt.Sprintf("random(0, %d)", set.count-1)
	if zipf {
		draw = fmt.Sprintf("random_zipfian(1, %d, %g) - 1", set.count, zipfS)
	}
	return fmt.Sprintf("\\set r %s\n\\set i (:r * %d) %% %d\n\\set u %s\n\\set j random(0, %s - 1)\n",
		draw, spreadPrime, set.count, set.userSQL, sqlf(liveSQL, "U", ":u"))
}
