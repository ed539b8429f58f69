// Seed 000's flow, driven by the real better-auth client against the Go server.
// The Go test (betterauth_test.go) starts the server and passes its address in
// BETTER_AUTH_E2E_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";

const baseURL = process.env.BETTER_AUTH_E2E_URL;
if (!baseURL) throw new Error("BETTER_AUTH_E2E_URL is not set: run this through `go test ./e2e/betterauth/`");
// The origin of the app's own pages: the app's address, also when the requests go to it
// through a validation proxy (e2e/openapi runs this suite through Prism).
const pageOrigin = process.env.BETTER_AUTH_E2E_ORIGIN ?? baseURL;

const UA = {
  mac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  phone: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  windows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
};
const PASSWORD = "correct horse battery";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// jarFetch is fetch as one browser tab would do it: it keeps the cookies the server
// sets (Node's fetch has no cookie store) and sends the Origin and User-Agent a browser
// on `origin` would send.
function jarFetch(ua, origin = pageOrigin) {
  const jar = new Map();
  const f = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    headers.set("origin", origin);
    headers.set("user-agent", ua);
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = value === "" || attrs.some((a) => /^\s*max-age\s*=\s*(-\d+|0)\s*$/i.test(a));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  f.jar = jar;
  return f;
}

// device is one browser: a better-auth client with its own cookie jar.
function device(ua, origin) {
  const customFetchImpl = jarFetch(ua, origin);
  const client = createAuthClient({ baseURL, fetchOptions: { customFetchImpl } });
  return { client, jar: customFetchImpl.jar, secret: () => customFetchImpl.jar.get("session") };
}

let n = 0;
const newEmail = () => `person${Date.now()}${n++}@example.com`;

test("seed 000: list, revoke one, revoke the others, without leaking a secret", async () => {
  const email = newEmail();
  const laptop = device(UA.mac);
  const up = await laptop.client.signUp.email({ name: "Ada Lovelace", email, password: PASSWORD });
  assert.equal(up.error, null, JSON.stringify(up.error));
  assert.equal(up.data.user.email, email);
  assert.equal(up.data.user.name, "Ada Lovelace");
  assert.equal(up.data.user.emailVerified, false);
  assert.ok(up.data.user.createdAt instanceof Date, "createdAt is parsed back into a Date");
  assert.match(up.data.token, UUID, "sign-up's token is the public session id");
  assert.ok(laptop.secret(), "the session cookie was set");
  assert.notEqual(up.data.token, laptop.secret());

  // A second device signs in.
  const phone = device(UA.phone);
  const inn = await phone.client.signIn.email({ email, password: PASSWORD });
  assert.equal(inn.error, null, JSON.stringify(inn.error));
  assert.equal(inn.data.redirect, false);
  assert.equal(inn.data.user.email, email);
  assert.match(inn.data.token, UUID);

  // get-session: the current session's token is the same handle list-sessions shows.
  const me = await laptop.client.getSession();
  assert.equal(me.error, null, JSON.stringify(me.error));
  assert.equal(me.data.session.token, up.data.token);
  assert.equal(me.data.session.userId, up.data.user.id);
  assert.equal(me.data.user.email, email);
  assert.ok(me.data.session.expiresAt > new Date());

  // list-sessions shows both devices, and no value anywhere is a cookie secret.
  const list = await laptop.client.listSessions();
  assert.equal(list.error, null, JSON.stringify(list.error));
  assert.equal(list.data.length, 2);
  const raw = JSON.stringify(list.data);
  for (const secret of [laptop.secret(), phone.secret()]) {
    assert.ok(secret && secret.length >= 32);
    assert.ok(!raw.includes(secret), "list-sessions leaked a session cookie");
  }
  for (const s of list.data) {
    assert.match(s.token, UUID);
    assert.equal(s.token, s.id);
    assert.equal(s.userId, up.data.user.id);
    assert.ok(s.createdAt instanceof Date && s.updatedAt instanceof Date && s.expiresAt instanceof Date);
    assert.equal(typeof s.ipAddress, "string");
  }
  const current = list.data.find((s) => s.token === me.data.session.token);
  const other = list.data.find((s) => s.token !== me.data.session.token);
  assert.equal(current.userAgent, UA.mac);
  assert.equal(other.userAgent, UA.phone);
  assert.equal(other.token, inn.data.token);

  // Revoke the phone: it is signed out on its next request.
  const rv = await laptop.client.revokeSession({ token: other.token });
  assert.equal(rv.error, null, JSON.stringify(rv.error));
  assert.deepEqual(rv.data, { status: true });
  const phoneMe = await phone.client.getSession();
  assert.equal(phoneMe.error, null);
  assert.equal(phoneMe.data, null);
  const phoneList = await phone.client.listSessions();
  assert.equal(phoneList.error.status, 401);
  assert.equal(phoneList.error.code, "UNAUTHORIZED");
  assert.equal((await laptop.client.listSessions()).data.length, 1);

  // Two more devices, then "revoke all other sessions" leaves only this one.
  const phone2 = device(UA.phone);
  const desktop = device(UA.windows);
  for (const d of [phone2, desktop]) {
    const r = await d.client.signIn.email({ email, password: PASSWORD });
    assert.equal(r.error, null, JSON.stringify(r.error));
  }
  assert.equal((await laptop.client.listSessions()).data.length, 3);
  const ro = await laptop.client.revokeOtherSessions();
  assert.deepEqual(ro.data, { status: true });
  const left = await laptop.client.listSessions();
  assert.deepEqual(left.data.map((s) => s.token), [me.data.session.token]);
  for (const d of [phone2, desktop]) assert.equal((await d.client.getSession()).data, null);

  // Signing out ends the last one.
  const out = await laptop.client.signOut();
  assert.equal(out.error, null, JSON.stringify(out.error));
  assert.equal(out.data.success, true);
  assert.equal(laptop.secret(), undefined, "the cookie was cleared");
  assert.equal((await laptop.client.getSession()).data, null);
});

test("revoking the current session, or all sessions, signs out", async () => {
  const email = newEmail();
  const a = device(UA.mac);
  const up = await a.client.signUp.email({ name: "Grace Hopper", email, password: PASSWORD });
  assert.equal(up.error, null, JSON.stringify(up.error));
  const rv = await a.client.revokeSession({ token: up.data.token });
  assert.deepEqual(rv.data, { status: true });
  assert.equal((await a.client.getSession()).data, null);

  const b = device(UA.phone);
  const c = device(UA.windows);
  for (const d of [b, c]) assert.equal((await d.client.signIn.email({ email, password: PASSWORD })).error, null);
  const all = await b.client.revokeSessions();
  assert.deepEqual(all.data, { status: true });
  for (const d of [b, c]) assert.equal((await d.client.getSession()).data, null);
});

test("errors come in better-auth's shape", async () => {
  const email = newEmail();
  const a = device(UA.mac);
  assert.equal((await a.client.signUp.email({ name: "Alan Turing", email, password: PASSWORD })).error, null);

  const taken = await device(UA.mac).client.signUp.email({ name: "Alan", email, password: PASSWORD });
  assert.equal(taken.error.status, 422);
  assert.equal(taken.error.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
  assert.ok(taken.error.message);

  const short = await device(UA.mac).client.signUp.email({ name: "Alan", email: newEmail(), password: "short" });
  assert.equal(short.error.status, 400);
  assert.equal(short.error.code, "PASSWORD_TOO_SHORT");

  const wrong = await device(UA.mac).client.signIn.email({ email, password: "not the password" });
  assert.equal(wrong.error.status, 401);
  assert.equal(wrong.error.code, "INVALID_EMAIL_OR_PASSWORD");
  assert.ok(wrong.error.message);

  // A handle that is not one of this person's sessions changes nothing and says so the
  // way better-auth does; the session list is untouched.
  const stranger = await a.client.revokeSession({ token: "00000000-0000-4000-8000-000000000000" });
  assert.deepEqual(stranger.data, { status: true });
  assert.equal((await a.client.listSessions()).data.length, 1);

  // A signed-out client gets better-auth's 401.
  const nobody = await device(UA.mac).client.revokeOtherSessions();
  assert.equal(nobody.error.status, 401);
  assert.equal(nobody.error.code, "UNAUTHORIZED");
});

test("a page on another site cannot use the cookie", async () => {
  const email = newEmail();
  const a = device(UA.mac);
  assert.equal((await a.client.signUp.email({ name: "Mallory's target", email, password: PASSWORD })).error, null);
  // The same cookie jar, but the requests come from a page on another origin.
  const evilFetch = jarFetch(UA.mac, "https://evil.example");
  for (const [k, v] of a.jar) evilFetch.jar.set(k, v);
  const evil = createAuthClient({ baseURL, fetchOptions: { customFetchImpl: evilFetch } });
  const r = await evil.revokeSessions();
  assert.equal(r.error.status, 403);
  assert.equal((await a.client.getSession()).data.user.email, email, "still signed in");
});

// Issue 16: outside the re-authentication window, better-auth's revoke routes answer with
// better-auth's own fresh-session error (403, code SESSION_NOT_FRESH); entering the
// password again (POST /api/auth/reauthenticate) opens the window. The stale server's
// window is a nanosecond, so every request after sign-in is outside it.
test("a stale session is asked to reauthenticate, in better-auth's words", async () => {
  const staleURL = process.env.BETTER_AUTH_E2E_STALE_URL;
  assert.ok(staleURL, "BETTER_AUTH_E2E_STALE_URL is not set");
  const mk = (ua) => {
    const customFetchImpl = jarFetch(ua, process.env.BETTER_AUTH_E2E_STALE_ORIGIN ?? staleURL);
    return createAuthClient({ baseURL: staleURL, fetchOptions: { customFetchImpl } });
  };
  const email = newEmail();
  const laptop = mk(UA.mac), phone = mk(UA.phone);
  assert.equal((await laptop.signUp.email({ name: "Grace Hopper", email, password: PASSWORD })).error, null);
  const inn = await phone.signIn.email({ email, password: PASSWORD });
  assert.equal(inn.error, null, JSON.stringify(inn.error));

  for (const call of [() => laptop.revokeSession({ token: inn.data.token }), () => laptop.revokeOtherSessions(), () => laptop.revokeSessions()]) {
    const r = await call();
    assert.equal(r.error?.status, 403, JSON.stringify(r.error));
    assert.equal(r.error.code, "SESSION_NOT_FRESH");
    assert.ok(r.error.message);
  }
  const list = await laptop.listSessions();
  assert.equal(list.data.length, 2, "nothing was revoked");

  // The password again: then the revoke goes through (the window is a nanosecond, so the
  // proof and the revoke are one step: the dialog's flow, through $fetch).
  const wrong = await laptop.$fetch("/reauthenticate", { method: "POST", body: { password: "not the password at all" } });
  assert.equal(wrong.error?.status, 400);
  assert.equal(wrong.error.code, "INVALID_PASSWORD");
  const ok = await laptop.$fetch("/reauthenticate", { method: "POST", body: { password: PASSWORD } });
  assert.equal(ok.error, null, JSON.stringify(ok.error));
  // Signing out the own session never needs a proof.
  const out = await laptop.revokeSession({ token: (await laptop.getSession()).data.session.token });
  assert.equal(out.error, null, JSON.stringify(out.error));
});
