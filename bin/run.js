#!/usr/bin/env node
// The built CLI: the common commands through the start-up fast path (dist/src/cli/fast-path.js,
// no @oclif/core), everything else through oclif, which runs the compiled commands in
// dist/commands (see package.json "oclif").
import { runFast } from '../dist/src/cli/fast-path.js'

if (!(await runFast(process.argv.slice(2)))) {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
}
