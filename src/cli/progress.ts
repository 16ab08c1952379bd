/**
 * Progress of a long operation (a deploy's pulls and rollout, a drain, a push): on a terminal
 * one line redrawn in place with the time it has taken, ticking while nothing changes; when
 * the output is not a terminal (a pipe, CI's log), a plain line each time the text changes.
 */

export interface ProgressOut {
  write(s: string): unknown;
  /** A whole line (default: write it with a newline). */
  line?(s: string): unknown;
  isTTY?: boolean;
}

/** Standard output, its lines through console.log like every other line the CLI prints. */
const STDOUT: ProgressOut = {
  write: (s) => process.stdout.write(s),
  line: (s) => console.log(s),
  get isTTY() {
    return process.stdout.isTTY;
  },
};

/** Pure: the in-place line: the text and the whole seconds since the start. */
export function progressLine(text: string, elapsedMs: number): string {
  return `${text} (${Math.floor(elapsedMs / 1000)} s)`;
}

export class Progress {
  private text = '';
  private shown = '';
  private timer: NodeJS.Timeout | null = null;
  private readonly started: number;

  constructor(
    private readonly out: ProgressOut = STDOUT,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** Says where the operation is now. */
  update(text: string): void {
    if (text === this.text) return;
    this.text = text;
    if (!this.tty) {
      this.line(text);
      return;
    }
    this.draw();
    // ticks while nothing changes, so a long pull still shows it is alive
    this.timer ??= setInterval(() => this.draw(), 1000);
    this.timer.unref();
  }

  /** Ends the in-place line (kept, with its time), then prints `final` if given. */
  done(final?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty && this.shown) this.out.write('\n');
    this.shown = '';
    this.text = '';
    if (final) this.line(final);
  }

  private line(s: string): void {
    if (this.out.line) this.out.line(s);
    else this.out.write(`${s}\n`);
  }

  private draw(): void {
    this.shown = progressLine(this.text, this.now() - this.started);
    this.out.write(`\r\x1b[K${this.shown}`);
  }
}
