/**
 * The dashboard's server: only its own routes, behind a token, on 127.0.0.1 unless told; and
 * `serveDashboard(runFolder)`, which follows a run folder's status (final, stale).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Dashboard,
  DashboardError,
  InvalidOptionError,
  Pipeline,
  pipefunc,
  RunFolderNotFoundError,
  type RunStatus,
  serveDashboard,
} from "../../src/index.ts";
import { events, raw } from "./http.ts";

const dir = mkdtempSync(join(tmpdir(), "pipeweave-dashboard-"));
const runFolder = join(dir, "run");
const quiet = { onReady: () => {} };

const double = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => 2 * x);
const pipeline = new Pipeline([double], { name: "doubles" });

/** The error `promise` rejects with (the test fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

let dashboard: Dashboard;
let token: string;

beforeAll(async () => {
  await pipeline.map({ x: [1, 2, 3] }, { runFolder, progress: false });
  dashboard = await serveDashboard(runFolder, quiet);
  token = new URL(dashboard.url).searchParams.get("token")!;
});

afterAll(async () => {
  await dashboard.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the dashboard's routes", () => {
  it("serves the page, the status and the events of the run folder, on 127.0.0.1", async () => {
    expect(dashboard.host).toBe("127.0.0.1");
    const page = await raw(dashboard.url, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>doubles · pipeweave</title>");
    expect(page.body.match(/<g class="node function"/g)).toHaveLength(1);
    // Room for SLURM jobs, shown once the status lists any (see test/browser/dashboard.test.ts).
    expect(page.body).toContain('<section id="jobs" hidden><h2>SLURM jobs</h2>');
    const status = await raw(dashboard.url, `/status?token=${token}`);
    expect(status.headers["content-type"]).toBe("application/json; charset=utf-8");
    const state = JSON.parse(status.body) as { kind: string; status: RunStatus };
    expect(state.kind).toBe("map");
    expect(state.status.state).toBe("done");
    expect(state.status.functions[0]).toMatchObject({ name: "y", done: 3, total: 3 });
    const sent = await events(dashboard.url, () => true);
    expect((sent[0] as { status: RunStatus }).status.state).toBe("done");
  });

  it.each([
    "/favicon.ico",
    "/index.html",
    "/run.json",
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "/events/../../run.json",
    "//etc/passwd",
    "/status/../../status.json",
    "/C:%5cWindows%5cwin.ini",
  ])("answers %s with 404, token or not, and reads no file", async (path) => {
    for (const query of ["", `?token=${token}`]) {
      const res = await raw(dashboard.url, `${path}${query}`);
      expect(res.status, `${path}${query}`).toBe(404);
      expect(res.body).toBe("Not found.\n");
    }
  });

  it("never serves the run folder's own files, even by a path that normalises to a route", async () => {
    // "/x/../status" normalises to "/status": the status route, never a file.
    const res = await raw(dashboard.url, `/x/../status?token=${token}`);
    expect(res.status).toBe(200);
    expect(res.body).not.toBe(readFileSync(join(runFolder, "status.json"), "utf8"));
    expect(JSON.parse(res.body).kind).toBe("map");
  });

  it.each([
    ["no token", ""],
    ["an empty token", "?token="],
    ["a wrong token", "?token=0123456789abcdefghijklmnopqrstuv"],
    ["the token's first half", "TRUNCATE"],
    ["the token with more after it", "EXTEND"],
  ])("refuses %s with 403 on every route", async (_what, query) => {
    const q =
      query === "TRUNCATE"
        ? `?token=${token.slice(0, 16)}`
        : query === "EXTEND"
          ? `?token=${token}x`
          : query;
    for (const route of ["/", "/events", "/status"]) {
      const res = await raw(dashboard.url, `${route}${q}`);
      expect(res.status, `${route}${q}`).toBe(403);
      expect(res.body).toContain("token");
      expect(res.body).not.toContain("doubles");
    }
  });

  it("answers other methods with 405", async () => {
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const res = await raw(dashboard.url, `/?token=${token}`, { method });
      expect(res.status, method).toBe(405);
    }
  });

  it("refuses a Host header naming another site (DNS rebinding), even with the token", async () => {
    const { port } = dashboard;
    const res = await raw(dashboard.url, `/status?token=${token}`, {
      host: `evil.example:${port}`,
    });
    expect(res.status).toBe(403);
    const ok = await raw(dashboard.url, `/status?token=${token}`, { host: `localhost:${port}` });
    expect(ok.status).toBe(200);
  });

  it("sends no header that lets another origin read it", async () => {
    const res = await raw(dashboard.url, `/status?token=${token}`);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("gives each dashboard its own token", async () => {
    const other = await serveDashboard(runFolder, quiet);
    try {
      const otherToken = new URL(other.url).searchParams.get("token");
      expect(otherToken).not.toBe(token);
      expect((await raw(other.url, `/?token=${token}`)).status).toBe(403);
    } finally {
      await other.close();
    }
  });
});

describe("where it listens", () => {
  it("warns when told to listen beyond this machine", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const open = await serveDashboard(runFolder, { host: "0.0.0.0", ...quiet });
      await new Promise((r) => setImmediate(r));
      await open.close();
    } finally {
      process.off("warning", onWarning);
    }
    const warning = warnings.find(
      (w) => (w as { code?: string }).code === "PIPEWEAVE_DASHBOARD_HOST",
    );
    expect(warning?.message).toContain("0.0.0.0");
  });

  it("is a DashboardError when its port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await rejection(serveDashboard(runFolder, { port, ...quiet }));
      expect(error).toBeInstanceOf(DashboardError);
      expect((error as DashboardError).port).toBe(port);
      expect((error as Error).message).toContain("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });

  it.each([-1, 65536, 1.5, Number.NaN])("refuses port %s with InvalidOptionError", async (port) => {
    const error = await rejection(serveDashboard(runFolder, { port, ...quiet }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe("port");
  });
});

describe("serveDashboard(runFolder)", () => {
  it("shows a run whose process is gone as stale", async () => {
    const folder = join(dir, "stale");
    await pipeline.map({ x: [1, 2] }, { runFolder: folder, progress: false });
    // A run that says running, written by a process that no longer exists on this host.
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    const path = join(folder, "status.json");
    const status = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...status, state: "running", pid: gone }));
    const stale = await serveDashboard(folder, quiet);
    try {
      const res = await raw(stale.url, `/status${new URL(stale.url).search}`);
      expect(JSON.parse(res.body).status.state).toBe("stale");
    } finally {
      await stale.close();
    }
  });

  it("is a RunFolderNotFoundError for a folder that holds no run", async () => {
    const error = await rejection(serveDashboard(join(dir, "nothing"), quiet));
    expect(error).toBeInstanceOf(RunFolderNotFoundError);
    expect(error).toMatchObject({
      code: "E_RUN_FOLDER_NOT_FOUND",
      runFolder: join(dir, "nothing"),
    });
    expect((error as Error).message).toContain(join(dir, "nothing"));
  });
});
