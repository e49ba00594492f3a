import { createConnection, createServer, type Socket } from "node:net";
import { redisUrl } from "../redis-available.ts";

/**
 * A TCP proxy to the tests' Redis that can be cut, so a process connected through it loses
 * Redis while the others (which connect directly) keep it.
 */
export async function redisProxy(): Promise<{ readonly url: string; cut(): void }> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) {
      s.on("error", () => undefined);
      s.on("close", () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const auth = target.password ? `:${encodeURIComponent(target.password)}@` : "";
  return {
    url: `redis://${auth}127.0.0.1:${port}${target.pathname}`,
    cut(): void {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
