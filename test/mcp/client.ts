/**
 * The SDK's own client, as an agent runs it, against `pipeweave mcp` started from source as a
 * child process; and helpers to call a tool for its JSON answer or its refusal's code.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { expect } from "vitest";
import { cliEnv, MAIN } from "../cli/cli.ts";

/** tsx's loader, by path: the fixtures' folders do not resolve "tsx" themselves. */
export const TSX = import.meta.resolve("tsx");

/** A tool's answer as the client receives it. */
export interface ToolAnswer {
  readonly isError?: boolean;
  readonly content: readonly { readonly type: string; readonly text?: string }[];
  readonly structuredContent?: {
    readonly error?: { readonly code: string; readonly message: string };
  };
}

/** The child's environment, without the variables the test's environment leaves unset. */
export function childEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(cliEnv()).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** A client connected over stdio to `pipeweave mcp ...args`, run in `cwd`. */
export async function stdioClient(args: readonly string[], cwd: string): Promise<Client> {
  const client = new Client({ name: "pipeweave-test", version: "1" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ["--import", TSX, MAIN, "mcp", ...args],
      cwd,
      env: childEnv(),
      stderr: "pipe",
    }),
  );
  return client;
}

/** Calls `name`; the answer, tool error or not. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolAnswer> {
  return (await client.callTool({ name, arguments: args })) as ToolAnswer;
}

/** Calls `name` and fails unless it answers; its JSON answer. */
export async function value(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<unknown> {
  const answer = await call(client, name, args);
  expect(answer.isError, answer.content[0]?.text).toBeFalsy();
  return JSON.parse(answer.content[0]!.text!);
}

/** Calls `name` and fails unless it refuses; the refusal's code and message. */
export async function refusal(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ readonly code: string; readonly message: string }> {
  const answer = await call(client, name, args);
  expect(answer.isError, answer.content[0]?.text).toBe(true);
  return answer.structuredContent!.error!;
}
