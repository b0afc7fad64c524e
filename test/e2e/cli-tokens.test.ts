// `tributary tokens` as a user runs it (the package's bin, on Node) against the suite's worker:
// create a scoped token, see who it is, list it, revoke it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { ROOT } from "../helpers/local-worker.mjs";

function tributary(args: string[], token: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const env = { ...process.env, TRIBUTARY_URL: inject("baseUrl"), TRIBUTARY_TOKEN: token };
    execFile(
      process.execPath,
      [join(ROOT, "bin/tributary.mjs"), "tokens", ...args],
      { cwd: ROOT, env },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

describe("tributary tokens", () => {
  it("creates a token, tells who it is, lists it and revokes it", async () => {
    const root = inject("token");
    const name = `cli-${Date.now().toString(36)}`;
    const created = await tributary(
      [
        "create",
        "--name",
        name,
        "--acl",
        "topic:web-*:write",
        "--acl",
        "group:web:read",
        "--expires",
        "7d",
        "--records-per-second",
        "50",
      ],
      root,
    );
    expect(created.stderr).toBe("");
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({
      name,
      acls: [
        { resource: "topic", pattern: "web-*", operations: ["write"] },
        { resource: "group", pattern: "web", operations: ["read"] },
      ],
      quota: { recordsPerSecond: 50 },
      expiresAt: expect.any(Number),
    });
    expect(token.token).toMatch(/^trb_/);

    const me = await tributary(["whoami"], token.token);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: token.id, name, superuser: false });
    const list = await tributary(["list"], root);
    expect(JSON.parse(list.stdout).map((t: { id: string }) => t.id)).toContain(token.id);
    // The new token may not manage tokens.
    const refused = await tributary(["list"], token.token);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("may not alter the cluster");

    expect(JSON.parse((await tributary(["revoke", token.id], root)).stdout)).toEqual({ revoked: token.id });
    const after = await tributary(["whoami"], token.token);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain("unknown or was revoked");
  });

  it("names what is wrong with an ACL before calling the worker", async () => {
    const bad = await tributary(["create", "--name", "x", "--acl", "topic:write"], inject("token"));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("topic:<name or prefix*>:<operations>");
  });
});
