// better-auth's own server for the bench's comparison row (issue 15): better-auth with its
// defaults on PostgreSQL through pg, served by Node's http server. `node server.mjs migrate`
// creates better-auth's tables with its own migrator and exits; `node server.mjs` serves.
// Environment: DATABASE_URL (pg connection string), BETTER_AUTH_SECRET, PORT.
import { createServer } from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import pg from "pg";

const port = Number(process.env.PORT);
const options = {
  database: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL: `http://127.0.0.1:${port}`,
  emailAndPassword: { enabled: true },
  // Its per-address limiter (on by default under NODE_ENV=production: 100 requests per
  // 10 s) would answer 429 to a load generator that sends everything from 127.0.0.1; our
  // app does not limit the list either.
  rateLimit: { enabled: false },
};

if (process.argv[2] === "migrate") {
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  await options.database.end();
} else {
  const auth = betterAuth(options);
  createServer(toNodeHandler(auth)).listen(port, "127.0.0.1", () => {
    console.log(`better-auth listening on 127.0.0.1:${port}`);
  });
}
