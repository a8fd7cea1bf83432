import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { BenchChild } from './children.js'
import type { RouterMessage } from './child-ipc.js'

/** A process's total CPU time (user + system, all threads) and RSS at one moment. */
export interface Usage {
  cpuUs: number
  rssBytes: number
  at: number
}

let clockTicks: number | undefined
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** From /proc/<pid>/stat and /proc/<pid>/status: read from outside, so a busy router is not asked. Undefined without /proc. */
export function processUsage(pid: number): Usage | undefined {
  let stat: string
  let status: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based, proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  const rssKb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN)
  return { cpuUs: (ticks * 1e6) / ticksPerSecond(), rssBytes: rssKb * 1024, at: performance.now() }
}

/**
 * CPU time used by the whole machine so far (all CPUs, µs), from /proc/stat; undefined without
 * /proc. The bench subtracts its router and load generator to show what the neighbours used.
 */
export function machineBusyUs(): number | undefined {
  let stat: string
  try {
    stat = readFileSync('/proc/stat', 'utf8')
  } catch {
    return undefined
  }
  // "cpu  user nice system idle iowait irq softirq steal …": busy is all but idle and iowait.
  const f = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1, 9).map(Number)
  const busyTicks = f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!
  return (busyTicks * 1e6) / ticksPerSecond()
}

/** The router child's usage: /proc when there is one, else the child's own process.cpuUsage() over IPC. */
export async function routerUsage(child: BenchChild<RouterMessage>): Promise<Usage> {
  const u = processUsage(child.pid)
  if (u !== undefined) return u
  child.send({ type: 'usage' })
  const m = await child.next((x) => x.type === 'usage', 5000, 'usage report')
  if (m.type !== 'usage') throw new Error('unexpected usage reply')
  return { cpuUs: m.userUs + m.systemUs, rssBytes: m.rssBytes, at: performance.now() }
}
