/**
 * The ingress process: one varnishd per manager. Routing changes are applied hitless with
 * `vcl.inline` + `vcl.use` over the admin port (never a restart), and old VCLs are
 * discarded so they go cold. A varnishd left running by a killed manager is adopted, so
 * the ingress keeps serving across manager restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MatrixError } from '../../core/errors.ts';
import { run } from '../../util/exec.ts';
import { VARNISH_PID_FILE } from '../../shared/home.ts';
import { livePid } from '../../util/pidfile.ts';
import { Serial } from '../../util/serial.ts';
import * as vc from './varnish-commands.ts';
import { heredocCommand, VarnishCli } from './varnish-cli.ts';

/** Tiny C Compiler, when installed: VCLs compile in 0.01 s instead of 0.2-0.5 s (varnish-commands.ts). */
const TCC =
  (process.env.PATH ?? '')
    .split(':')
    .filter((d) => d.startsWith('/'))
    .map((d) => join(d, 'tcc'))
    .find((f) => existsSync(f)) ?? null;

export class Varnish {
  private seq = 0;
  private current = '';
  /** The VCL this manager made active, and when; null for an adopted varnishd until the first apply. */
  private active: { name: string; at: number } | null = null;
  /** Backends of the active VCL this manager switched off (true) or back on (false); the others follow their probe. */
  private forced = new Map<string, boolean>();
  private cli: VarnishCli | null = null;
  private readonly serial = new Serial();

  constructor(
    private readonly workDir: string,
    private readonly listen: string,
    private readonly admin: string,
  ) {}

  private get files(): vc.VarnishFiles {
    return {
      workDir: this.workDir,
      pidFile: join(this.workDir, VARNISH_PID_FILE),
      secretFile: join(this.workDir, 'secret'),
    };
  }

  pid(): number | null {
    return livePid(this.files.pidFile, 'varnishd');
  }

  /**
   * Starts varnishd unless one is already running for this work dir. A varnishd it starts
   * boots with `initialVcl` (its first request is served with it); one it adopts (left
   * running by a manager that stopped or died) keeps serving its active config until the
   * next apply: a restarted manager never blanks the ingress while it looks at the nodes again.
   */
  async start(initialVcl: string): Promise<void> {
    mkdirSync(this.workDir, { recursive: true });
    if (!existsSync(this.files.secretFile)) writeFileSync(this.files.secretFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    if (this.pid() !== null) return;
    this.release(); // a new varnishd: a new admin connection
    // varnishd reads -f as its unprivileged user, which cannot enter the 0700 home: the boot
    // VCL (routes, no secrets) goes to a readable temporary directory, gone once it is compiled
    const boot = mkdtempSync(join(tmpdir(), 'mx-varnish-boot-'));
    let r: Awaited<ReturnType<typeof run>>;
    try {
      chmodSync(boot, 0o755);
      writeFileSync(join(boot, 'boot.vcl'), initialVcl, { mode: 0o644 });
      // varnishd daemonizes: the command returns once its child is up, or with the reason it is not
      r = await run(vc.varnishdCommand(this.listen, this.admin, this.files, join(boot, 'boot.vcl')), { timeoutMs: 60_000 });
    } finally {
      rmSync(boot, { recursive: true, force: true });
    }
    if (r.code !== 0) {
      throw new MatrixError('E_INGRESS', `varnishd failed to start on ${this.listen}: ${(r.stderr || r.stdout).trim()}`);
    }
    this.current = initialVcl;
    this.active = { name: 'boot', at: Date.now() };
    this.forced = new Map();
  }

  private async connection(): Promise<VarnishCli> {
    if (!this.cli) {
      const at = this.admin.lastIndexOf(':');
      const cli = await VarnishCli.connect(this.admin.slice(0, at), Number(this.admin.slice(at + 1)), readFileSync(this.files.secretFile));
      try {
        // every later VCL compiles quickly: routing changes go live sooner (an optimisation only: a refusal changes nothing)
        const quick = vc.quickCompileCommand((await cli.send('param.show cc_command\n')).body, TCC);
        if (quick !== null) await cli.send(heredocCommand(['param.set', 'cc_command'], quick));
      } catch (e) {
        cli.close();
        throw e;
      }
      this.cli = cli;
    }
    return this.cli;
  }

  /**
   * Loads and activates `vcl` if it differs from the active one, with the backends named in
   * `sick` switched off before it takes traffic. With the same text, only switches: `sick`
   * ones off, and the ones it switched off before and `sick` no longer names on. Returns
   * whether a new VCL was loaded.
   */
  apply(vcl: string, sick: readonly string[] = []): Promise<boolean> {
    // one admin connection answers one command at a time: concurrent callers take turns
    return this.serial.run(() => this.applyNow(vcl, sick));
  }

  private async applyNow(vcl: string, sick: readonly string[]): Promise<boolean> {
    const switches = vcl === this.current ? vc.healthChanges(this.forced, sick) : null;
    if (switches?.length === 0) return false;
    try {
      const cli = await this.connection();
      if (switches) {
        for (const [b, on] of switches) {
          // on: `healthy`, not `auto`: its probe may have seen it refuse while it started, and
          // would keep it out for `threshold` more probes; the manager has just seen it healthy
          await cli.ok(`backend.set_health ${b} ${on ? 'healthy' : 'sick'}\n`);
          this.forced.set(b, !on);
        }
        return false;
      }
      const name = `mx${Date.now().toString(36)}${(this.seq++).toString(36)}`;
      await cli.ok(heredocCommand(['vcl.inline', name], vcl));
      for (const b of sick) await cli.ok(`backend.set_health ${name}.${b} sick\n`);
      await cli.ok(`vcl.use ${name}\n`);
      this.current = vcl;
      this.active = { name, at: Date.now() };
      this.forced = new Map(sick.map((b) => [b, true]));
      for (const old of vc.vclsToDiscard(vc.parseVclList(await cli.ok('vcl.list\n')))) {
        await cli.send(`vcl.discard ${old}\n`);
      }
    } catch (e) {
      this.release(); // reconnect next time: varnishd may have been restarted
      throw e;
    }
    return true;
  }

  /**
   * A node stopped answering: its backends are marked sick at once (ahead of the VCL that
   * drops them, which waits for the loop's plan and a compile), and the fetches in flight to
   * it are aborted so Varnish retries those GETs on another replica now. Returns how many
   * connections were aborted.
   */
  async cutNode(address: string, backends: readonly string[], ports: readonly number[]): Promise<number> {
    if (ports.length === 0) return 0;
    // fetches under older VCLs may be in flight to endpoints the active one no longer has: ports cover those
    const sick = this.serial
      .run(async () => {
        if (backends.length === 0) return;
        try {
          const cli = await this.connection();
          // a backend the active VCL no longer has is not routed anyway: its answer is ignored
          for (const b of backends) await cli.send(`backend.set_health ${b} sick\n`, 2_000);
          // the active VCL now differs from its text (forced sick backends): the next apply
          // loads a fresh one even with the same text, so a node that comes back is not left sick
          this.current = '';
        } catch (e) {
          this.release(); // reconnect next time
          throw e;
        }
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    // aborted whether or not the admin port answers: the retries need no admin port
    const r = await run(vc.abortConnectionsCommand(address, ports), { timeoutMs: 5_000 });
    const sickError = await sick;
    if (r.code !== 0) throw new MatrixError('E_INGRESS', `could not abort the ingress's connections to ${address}: ${(r.stderr || r.stdout).trim()}`);
    if (sickError) throw sickError;
    return vc.countAborted(r.stdout);
  }

  /** Every loaded VCL's backend counters (`<vcl>.<backend>` -> fetches, failed connects). */
  async backendCounters(): Promise<Map<string, { req: number; fail: number }>> {
    const r = await run(vc.backendCountersCommand(this.workDir), { timeoutMs: 5_000 });
    if (r.code !== 0) throw new MatrixError('E_INGRESS', `varnishstat: ${(r.stderr || r.stdout).trim()}`);
    return vc.parseBackendCounters(r.stdout);
  }

  activeVcl(): string {
    return this.current;
  }

  /** The name of the active VCL and when it became active, for status. */
  activeVclName(): { name: string; at: number } | null {
    return this.active;
  }

  /** Lets go of varnishd without stopping it: it serves on, for the next manager to adopt. */
  release(): void {
    this.cli?.close();
    this.cli = null;
  }

  stop(): void {
    this.release();
    const pid = this.pid();
    if (pid !== null) process.kill(pid, 'SIGTERM');
  }
}
