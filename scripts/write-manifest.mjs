#!/usr/bin/env node
// The last step of `npm run build`: oclif.manifest.json (gitignored), so that `wampctl X` loads the
// one command it runs instead of importing every command to learn their names and flags (what
// oclif does without a manifest: about half of the CLI's start-up). The same file `oclif manifest`
// writes, made with @oclif/core's own Plugin loader, without the oclif CLI (its start-up and update
// check). Then dist/.build-stamp, which scripts/build-if-changed.mjs (`npm start`) compares with
// the sources.
import { Plugin } from '@oclif/core'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true })
await plugin.load()
writeFileSync(new URL('oclif.manifest.json', `file://${root}`), `${JSON.stringify(plugin.manifest, null, 2)}\n`)

const dist = new URL('dist/', `file://${root}`)
mkdirSync(dist, { recursive: true })
writeFileSync(new URL('.build-stamp', dist), `${new Date().toISOString()}\n`)
