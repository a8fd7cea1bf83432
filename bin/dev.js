#!/usr/bin/env node
// The CLI straight from the TypeScript sources, for development: no build step.
import { register } from 'tsx/esm/api'
import { execute } from '@oclif/core'
import { readFileSync } from 'node:fs'

register()
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands = './commands'
await execute({ development: true, dir: import.meta.url, loadOptions: { root: new URL('..', import.meta.url).pathname, pjson } })
