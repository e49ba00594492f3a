/**
 * What a function needs to run, as pipefunc's `Resources`: cpus, memory, gpus, wall time, a
 * SLURM partition and other `sbatch` flags. Functions declare it (`pipefunc({ resources })`,
 * a pipeline's `resources` as defaults); executors honour what they can: threads count
 * `cpus` as slots, Redis workers take chunks that fit their `--cpus`/`--memory`, SLURM maps
 * everything to `sbatch` options.
 */
import { InvalidOptionError } from "../errors.ts";

/** What a function needs, as written by the user. */
export interface Resources {
  /** CPU cores per element (a thread slot each on threads; `--cpus-per-task` on SLURM). */
  readonly cpus?: number;
  /** Memory: `"4GB"`, `"500MB"`, `"1.5G"`, or a number of megabytes. */
  readonly memory?: string | number;
  /** GPUs (`--gpus` on SLURM). */
  readonly gpus?: number;
  /** Wall time: `"1:30:00"`, `"30:00"`, `"2-12:00:00"` (days-hours), or a number of minutes. */
  readonly time?: string | number;
  /** SLURM partition. */
  readonly partition?: string;
  /** Other `sbatch` flags, passed as they are: `["--exclusive", "--constraint=avx2"]`. */
  readonly extra?: readonly string[];
}

/**
 * A function's resources: fixed, or computed from its arguments (evaluated once per map of
 * the function, or per element, as `resourcesScope` says).
 */
export type ResourcesOption<A = Readonly<Record<string, unknown>>> =
  | Resources
  | ((args: A) => Resources);

/** Whether a `resources` function is evaluated once per map or for every element. */
export type ResourcesScope = "map" | "element";

/** Resources in one unit each, checked. */
export interface ResolvedResources {
  readonly cpus: number | undefined;
  readonly memoryMb: number | undefined;
  readonly gpus: number | undefined;
  readonly timeMinutes: number | undefined;
  readonly partition: string | undefined;
  readonly extra: readonly string[];
}

const KEYS = new Set(["cpus", "memory", "gpus", "time", "partition", "extra"]);

const UNITS: Readonly<Record<string, number>> = {
  k: 1 / 1024,
  kb: 1 / 1024,
  m: 1,
  mb: 1,
  g: 1024,
  gb: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
};

/**
 * Checks and normalises resources.
 *
 * @param resources - As written.
 * @param where - Whose they are, for messages: `function "fit"`, `the pipeline`.
 * @throws {@link InvalidOptionError} naming `where`, the key and what to write instead.
 */
export function resolveResources(resources: Resources, where: string): ResolvedResources {
  if (typeof resources !== "object" || resources === null || Array.isArray(resources)) {
    throw new InvalidOptionError(
      "resources",
      `The resources of ${where} are ${describe(resources)}; expected an object such as ` +
        '{ cpus: 2, memory: "4GB", time: "1:00:00" }, or a function of the inputs returning one.',
    );
  }
  for (const key of Object.keys(resources)) {
    if (!KEYS.has(key)) {
      throw new InvalidOptionError(
        `resources.${key}`,
        `The resources of ${where} have an unknown key "${key}"; the keys are cpus, memory, ` +
          "gpus, time, partition and extra (other sbatch flags go in extra).",
      );
    }
  }
  const count = (key: "cpus" | "gpus", min: number): number | undefined => {
    const v = resources[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new InvalidOptionError(
        `resources.${key}`,
        `The resources of ${where} have ${key} ${describe(v)}; expected an integer from ${min} up.`,
      );
    }
    return v;
  };
  const partition = resources.partition;
  if (partition !== undefined && (typeof partition !== "string" || partition.trim() === "")) {
    throw new InvalidOptionError(
      "resources.partition",
      `The resources of ${where} have partition ${describe(partition)}; expected a partition's name.`,
    );
  }
  const extra = resources.extra ?? [];
  if (!Array.isArray(extra) || extra.some((e) => typeof e !== "string" || !e.startsWith("-"))) {
    throw new InvalidOptionError(
      "resources.extra",
      `The resources of ${where} have extra ${describe(extra)}; expected an array of sbatch ` +
        'flags, such as ["--exclusive", "--constraint=avx2"].',
    );
  }
  return {
    cpus: count("cpus", 1),
    memoryMb: memoryMb(resources.memory, where),
    gpus: count("gpus", 0),
    timeMinutes: timeMinutes(resources.time, where),
    partition,
    extra,
  };
}

/** Memory in megabytes (rounded up), from `"4GB"`, `"500MB"`, `"1.5g"` or a number of MB. */
function memoryMb(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return Math.ceil(value);
  const found =
    typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([kmgt]b?)?\s*$/i.exec(value) : null;
  const amount = found ? Number(found[1]) * (UNITS[(found[2] ?? "mb").toLowerCase()] ?? 1) : 0;
  if (!found || !(amount > 0)) {
    throw new InvalidOptionError(
      "resources.memory",
      `The resources of ${where} have memory ${describe(value)}; expected an amount such as ` +
        '"4GB", "500MB" or "1.5G", or a number of megabytes.',
    );
  }
  return Math.ceil(amount);
}

/**
 * Wall time in minutes (rounded up), in SLURM's forms: `"MM"`, `"MM:SS"`, `"HH:MM:SS"`,
 * `"D-HH"`, `"D-HH:MM"`, `"D-HH:MM:SS"`, or a number of minutes.
 */
function timeMinutes(value: string | number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return Math.ceil(value);
  const minutes = typeof value === "string" ? slurmMinutes(value.trim()) : undefined;
  if (minutes === undefined || !(minutes > 0)) {
    throw new InvalidOptionError(
      "resources.time",
      `The resources of ${where} have time ${describe(value)}; expected a wall time such as ` +
        '"1:30:00", "45:00", "2-12:00:00", or a number of minutes.',
    );
  }
  return Math.ceil(minutes);
}

function slurmMinutes(text: string): number | undefined {
  const found = /^(?:(\d+)-)?(\d+(?::\d+){0,2})$/.exec(text);
  if (!found) return undefined;
  const parts = found[2]!.split(":").map(Number);
  if (found[1] !== undefined) {
    // After "D-", the parts are hours[:minutes[:seconds]].
    const [h = 0, m = 0, sec = 0] = parts;
    return Number(found[1]) * 1440 + h * 60 + m + sec / 60;
  }
  if (parts.length === 3) return parts[0]! * 60 + parts[1]! + parts[2]! / 60;
  if (parts.length === 2) return parts[0]! + parts[1]! / 60;
  return parts[0];
}

/**
 * Pipeline defaults overlaid by a function's own resources, key by key (pipefunc's rule: the
 * function's value wins, `extra` flags are joined).
 */
export function mergeResources(
  defaults: ResolvedResources | undefined,
  own: ResolvedResources | undefined,
): ResolvedResources | undefined {
  if (!defaults) return own;
  if (!own) return defaults;
  return {
    cpus: own.cpus ?? defaults.cpus,
    memoryMb: own.memoryMb ?? defaults.memoryMb,
    gpus: own.gpus ?? defaults.gpus,
    timeMinutes: own.timeMinutes ?? defaults.timeMinutes,
    partition: own.partition ?? defaults.partition,
    extra: [...defaults.extra, ...own.extra],
  };
}

/**
 * The resources `option` gives for one call (or the whole map) of a function.
 *
 * @param option - The function's `resources` (or the pipeline's), fixed or a function.
 * @param args - The arguments, by argument name, when `option` is a function.
 * @param where - Whose they are, for messages.
 * @throws {@link InvalidOptionError} when the resources (or what the function returns) are bad.
 */
export function evaluateResources(
  option: ResourcesOption | undefined,
  args: Readonly<Record<string, unknown>>,
  where: string,
): ResolvedResources | undefined {
  if (option === undefined) return undefined;
  return resolveResources(typeof option === "function" ? option(args) : option, where);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(", ")}]`;
  return value === null ? "null" : `${String(value)} (${typeof value})`;
}
