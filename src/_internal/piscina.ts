import { createRequire } from "node:module";

type PiscinaModule = typeof import("piscina");

let loaded: PiscinaModule | undefined;

/**
 * piscina, loaded when the first pool starts (or the first result is moved) rather than when
 * pipeweave is imported: every worker thread imports pipeweave, and most never start a pool.
 * Its ESM entry wraps this same CommonJS module, so both give the same classes.
 */
export function piscina(): PiscinaModule {
  loaded ??= createRequire(import.meta.url)("piscina") as PiscinaModule;
  return loaded;
}
