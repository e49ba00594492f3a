#!/usr/bin/env node
/** The `pipeweave` bin: everything is in program.ts and commands/. */
import { main } from "./program.ts";

await main();
