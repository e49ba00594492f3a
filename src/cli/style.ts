/**
 * Colour for the CLI's own output, by the usual conventions: none when `NO_COLOR` is set (it
 * wins), or `FORCE_COLOR` is `0`/`false`; always when `FORCE_COLOR` or `CLICOLOR_FORCE` is set;
 * else only on a TTY that is not `TERM=dumb`. commander decides its help's colours the same way.
 */

/** Paints text when colour is on; each function returns its argument unchanged when off. */
export interface Style {
  readonly isColor: boolean;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

/** Whether output to `stream` may carry colour escapes. */
export function shouldColor(
  stream: { readonly isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR || env.FORCE_COLOR === "0" || env.FORCE_COLOR === "false") return false;
  if (env.FORCE_COLOR || env.CLICOLOR_FORCE !== undefined) return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

const sgr = (open: number, close: number) => (text: string) =>
  `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/** A style that paints when `color` is true. */
export function createStyle(color: boolean): Style {
  return color
    ? {
        isColor: true,
        bold: sgr(1, 22),
        dim: sgr(2, 22),
        red: sgr(31, 39),
        green: sgr(32, 39),
        yellow: sgr(33, 39),
        cyan: sgr(36, 39),
      }
    : {
        isColor: false,
        bold: plain,
        dim: plain,
        red: plain,
        green: plain,
        yellow: plain,
        cyan: plain,
      };
}

/** The style of the CLI's standard output. */
export function stdoutStyle(): Style {
  return createStyle(shouldColor(process.stdout));
}
