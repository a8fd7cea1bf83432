#!/usr/bin/env node
// `npm start` builds only when a source changed since the last build: the newest modification time
// under the compiled folders (and the build's configuration) against dist/.build-stamp, which
// `npm run build` writes last. Up to date: returns at once; else runs `npm run build` (tsc is
// incremental, so a rebuild after a small change is short too).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stamp = join(root, 'dist', '.build-stamp')
const inputs = ['src', 'commands', 'bench', 'tsconfig.json', 'package.json']

/** Newest mtime (ms) of a file, or of every file under a folder; bounded by the tree itself. */
function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false })
  if (st === undefined) return 0
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)))
  return max
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
const changed = inputs.some((p) => newest(join(root, p)) > built)
if (changed) {
  process.stderr.write('wampctl: sources changed since the last build: npm run build\n')
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
