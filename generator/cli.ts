#!/usr/bin/env node
// The generator container's entry: `generate` alone, so the image needs nothing else of the project.
import { generateCommand } from "./generateCommand";

generateCommand()
    .name("generator")
    .parseAsync(process.argv)
    .catch((error: Error) => {
        process.stderr.write(`generator: ${error.message}\n`);
        process.exit(1);
    });
