import { pino, stdTimeFunctions } from 'pino'
import type { LogFields, Logger } from '../config.js'
import { formatTextLine } from './text-format.js'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['json', 'text'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface LoggerOptions {
  /** Lowest level written. Default "info". */
  level?: LogLevel
  /** "json": one JSON object per line (for log collectors); "text": one readable line (for a terminal). */
  format: LogFormat
  /** Where lines go. Default: stderr (stdout stays for what the command prints). */
  destination?: { write(line: string): unknown }
}

/**
 * The router's Logger backed by pino: JSON lines {"level":"info","time":"…","msg":"session opened",
 * "realm":…} with the level as its name, or the same line as readable text. Writes synchronously:
 * the router logs per session and per failure, never per message, and a line must not be lost
 * when the process exits right after it.
 */
export function pinoLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stderr
  const destination = options.format === 'json' ? out : { write: (line: string) => out.write(formatTextLine(line)) }
  const log = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void =>
      fields === undefined ? log[level](message) : log[level](fields, message)
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
