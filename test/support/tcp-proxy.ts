import { spawn, type ChildProcess } from 'node:child_process'
import { killAndWait } from './nats.js'

/** The proxy process: accepts on 127.0.0.1:<argv[1]> (0: any free port, printed) and pipes each connection to 127.0.0.1:<argv[2]>. */
const PROXY_SCRIPT = `
const net = require('node:net')
const [listenPort, target] = process.argv.slice(1).map(Number)
const server = net.createServer((client) => {
  const upstream = net.connect(target, '127.0.0.1')
  client.pipe(upstream)
  upstream.pipe(client)
  const end = () => { client.destroy(); upstream.destroy() }
  client.on('error', end).on('close', end)
  upstream.on('error', end).on('close', end)
})
server.listen(listenPort, '127.0.0.1', () => console.log('listening ' + server.address().port))
`

/**
 * A real TCP proxy process in front of a server (here: NATS, for one node): `cut()` kills it, so
 * that node's connections reset and its reconnections are refused while the others keep NATS;
 * `restore()` starts it again on the same port; `pause()`/`resume()` hold it (a stalled network).
 * Stopped by its PID in `close()`.
 */
export class TcpProxy {
  private child: ChildProcess | undefined

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  static async start(target: number): Promise<TcpProxy> {
    const { child, port } = await launch(0, target)
    const proxy = new TcpProxy(port, target)
    proxy.child = child
    return proxy
  }

  /** Every connection through it drops now, and new ones are refused until restore(). */
  async cut(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child !== undefined) await killAndWait(child, 'SIGKILL')
  }

  /** Held (SIGSTOP): its connections stay open but nothing goes through, as on a network that stalls. */
  pause(): void {
    if (this.child?.pid !== undefined) process.kill(this.child.pid, 'SIGSTOP')
  }

  resume(): void {
    if (this.child?.pid !== undefined) process.kill(this.child.pid, 'SIGCONT')
  }

  async restore(): Promise<void> {
    if (this.child !== undefined) return
    this.child = (await launch(this.port, this.target)).child
  }

  async close(): Promise<void> {
    this.resume()
    await this.cut()
  }
}

function launch(port: number, target: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', PROXY_SCRIPT, String(port), String(target)], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => {
      void killAndWait(child, 'SIGKILL').finally(() => reject(new Error(`tcp proxy did not start within 10 s: ${err}`)))
    }, 10_000)
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const m = /listening (\d+)/.exec(out)
      if (m === null) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({ child, port: Number(m[1]) })
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`tcp proxy exited with ${String(code)} while starting: ${err}`))
    })
  })
}
