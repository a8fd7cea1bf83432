/**
 * A progress line on a stream (stderr): on a terminal, one line rewritten in place; elsewhere
 * (pipes, CI logs), one line per change, so logs stay readable and free of escapes.
 */
export class StatusLine {
  private last: string | undefined
  private open = false

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly tty: boolean = stream.isTTY === true,
  ) {}

  update(text: string): void {
    if (text === this.last) return
    this.last = text
    if (this.tty) {
      this.stream.write(`\r\x1b[K${text}`)
      this.open = true
    } else {
      this.stream.write(`${text}\n`)
    }
  }

  /** End the line (a terminal's cursor moves to the next line); further updates start afresh. */
  done(): void {
    if (this.open) this.stream.write('\n')
    this.open = false
    this.last = undefined
  }
}
