/**
 * A client of Varnish's CLI protocol (the one varnishadm speaks) on the admin port.
 * Why not varnishadm: VCL goes inline (a here-document), because varnishd's jail compiles as
 * an unprivileged user that cannot read files under a private state dir; and each command
 * gets its real status code, which varnishadm loses when fed from stdin.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { MatrixError } from '../../core/errors.ts';

export interface CliResponse {
  status: number;
  body: string;
}

/** Pure: the answer to the auth challenge, as defined by varnish-cli(7). */
export function authResponse(challenge: string, secret: Buffer): string {
  return createHash('sha256')
    .update(challenge + '\n')
    .update(secret)
    .update(challenge + '\n')
    .digest('hex');
}

/** Pure: parses one response (`SSS LLLLLLLL\n<body>\n`) off the front of `buf`. */
export function parseResponse(buf: Buffer): { response: CliResponse; rest: Buffer } | null {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) return null;
  const m = /^(\d{3}) +(\d+)\s*$/.exec(buf.subarray(0, nl).toString('latin1'));
  if (!m) throw new MatrixError('E_INGRESS', `unexpected varnish CLI header: ${buf.subarray(0, nl).toString('latin1')}`);
  const len = Number(m[2]);
  if (buf.length < nl + 1 + len + 1) return null;
  return {
    response: { status: Number(m[1]), body: buf.subarray(nl + 1, nl + 1 + len).toString('utf8') },
    rest: buf.subarray(nl + 1 + len + 1),
  };
}

/** Pure: a command whose last argument is sent as a here-document (no quoting needed). */
export function heredocCommand(words: string[], doc: string): string {
  let marker = 'MXEOF';
  while (doc.includes(marker)) marker += 'X';
  return `${words.join(' ')} << ${marker}\n${doc}${doc.endsWith('\n') ? '' : '\n'}${marker}\n`;
}

export class VarnishCli {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((r: CliResponse) => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    sock.on('error', (e) => (this.failure = e));
  }

  private drain(): void {
    const parsed = parseResponse(this.buf);
    if (!parsed || !this.waiting) return;
    this.buf = parsed.rest;
    const w = this.waiting;
    this.waiting = null;
    w(parsed.response);
  }

  private next(timeoutMs: number): Promise<CliResponse> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const t = setTimeout(() => {
        this.waiting = null;
        reject(new MatrixError('E_INGRESS', 'varnish CLI did not answer in time'));
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(t);
        resolve(r);
      };
      this.drain();
    });
  }

  static async connect(host: string, port: number, secret: Buffer, timeoutMs = 5000): Promise<VarnishCli> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', (e) => reject(new MatrixError('E_INGRESS', `cannot reach the varnish admin port ${host}:${port}: ${e.message}`)));
    });
    const cli = new VarnishCli(sock);
    const hello = await cli.next(timeoutMs);
    if (hello.status === 107) {
      const challenge = hello.body.split('\n')[0]!;
      const auth = await cli.send(`auth ${authResponse(challenge, secret)}\n`, timeoutMs);
      if (auth.status !== 200) {
        cli.close();
        throw new MatrixError('E_INGRESS', `varnish refused the admin secret (${auth.status})`);
      }
    } else if (hello.status !== 200) {
      cli.close();
      throw new MatrixError('E_INGRESS', `varnish CLI greeting ${hello.status}: ${hello.body.trim()}`);
    }
    return cli;
  }

  async send(raw: string, timeoutMs = 60_000): Promise<CliResponse> {
    const p = this.next(timeoutMs);
    this.sock.write(raw);
    return p;
  }

  /** Runs a command and throws E_INGRESS with Varnish's message unless it answers 200. */
  async ok(raw: string, timeoutMs?: number): Promise<string> {
    const r = await this.send(raw, timeoutMs);
    if (r.status !== 200) throw new MatrixError('E_INGRESS', `varnish: ${raw.split('\n')[0]} failed (${r.status}): ${r.body.trim()}`);
    return r.body;
  }

  close(): void {
    this.sock.destroy();
  }
}
