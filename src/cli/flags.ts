/**
 * The flags that set the library's options, in one table: the CLI writes an error's message
 * with these (`--resume` where the library says `{ resume: true }`), so its user reads what to
 * type. An option without a flag keeps the library's spelling.
 */
import { apiOptionName, type OptionNamer } from "../errors.ts";

const FLAGS: Readonly<Record<string, string>> = {
  allowUnused: "--allow-unused",
  chunkSize: "--chunk-size",
  connection: "--redis",
  errors: "--errors",
  executor: "--executor",
  lockDuration: "--lock-duration",
  overwrite: "--overwrite",
  queue: "--queue",
  resume: "--resume",
  runFolder: "--run-folder",
  stalledInterval: "--stalled-interval",
  storage: "--storage",
  threads: "--threads",
  timeoutMs: "--timeout-ms",
};

/** Writes an option as the CLI's flag: `--resume`, `--storage file`, `--run-folder`. */
export const cliOptionName: OptionNamer = (option, value) => {
  if (!Object.hasOwn(FLAGS, option)) return apiOptionName(option, value);
  const flag = FLAGS[option]!;
  return value === undefined || value === true ? flag : `${flag} ${value}`;
};
