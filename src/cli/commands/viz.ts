/** `pipeweave viz <module#export> --format ascii|mermaid|dot|html`: a pipeline's graph as text or a page. */
import { type Command, Option } from "commander";
import type { Target } from "../args.ts";
import { targetArgument } from "../common.ts";
import { print } from "../output.ts";

type Format = "ascii" | "mermaid" | "dot" | "html";

export function addVizCommand(program: Command): void {
  program
    .command("viz")
    .description(
      "print a pipeline's graph: a text diagram, Mermaid or Graphviz DOT source, or a self-contained HTML page",
    )
    .addArgument(targetArgument())
    .addOption(
      new Option("--format <format>", "the view")
        .choices(["ascii", "mermaid", "dot", "html"])
        .default("ascii"),
    )
    .action(async (target: Target, options: { readonly format: Format }) => {
      const { loadPipeline } = await import("../load-module.ts");
      const pipeline = await loadPipeline(target);
      const views: Record<Format, () => string> = {
        ascii: () => pipeline.toAscii(),
        mermaid: () => pipeline.toMermaid(),
        dot: () => pipeline.toDot(),
        html: () => pipeline.toHtml(),
      };
      print(views[options.format]().trimEnd());
    });
}
