/**
 * The one place `pipeweave mcp` turns a run folder's name into a path: every name must stay
 * under the server's root, so an agent can neither read nor write anywhere else.
 */
import { lstatSync, mkdirSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep, win32 } from "node:path";
import { OutsideRootError } from "../errors.ts";

/** The server's root, created if missing, as its real path (links resolved once, here). */
export function openRoot(root: string): string {
  mkdirSync(root, { recursive: true });
  return realpathSync(root);
}

/**
 * The absolute path of run folder `name` under `root` (a real path from {@link openRoot}).
 *
 * @throws {@link OutsideRootError} for an empty or absolute name, a `..` segment, the root
 *   itself, or a path whose existing part resolves (through a symbolic link) outside the root.
 */
export function runFolderUnder(root: string, name: string): string {
  if (name.trim() === "") throw new OutsideRootError(name, root, "it is empty");
  // Both flavours: a Windows-style absolute name is no more welcome on POSIX.
  if (isAbsolute(name) || win32.isAbsolute(name)) {
    throw new OutsideRootError(name, root, "it is an absolute path");
  }
  if (name.split(/[\\/]/).includes("..")) {
    throw new OutsideRootError(name, root, 'it has a ".." segment');
  }
  const path = resolve(root, name);
  if (path === root) throw new OutsideRootError(name, root, "it is the root itself");
  // What exists of the path may be a link out; what does not exist yet is created under it.
  // lstat, not exists: a link to nothing (yet) is found too, and refused.
  let existing = path;
  while (!lstatSync(existing, { throwIfNoEntry: false })) existing = dirname(existing);
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    throw new OutsideRootError(name, root, "a symbolic link in it leads nowhere");
  }
  if (!isInside(root, real)) {
    throw new OutsideRootError(name, root, "a symbolic link in it leads out of the root");
  }
  return path;
}

/** The name under `root` of a path inside it, with `/` separators. */
export function nameUnder(root: string, path: string): string {
  return relative(root, path).split(sep).join("/");
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
