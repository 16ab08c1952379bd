/** One way to build a tar archive in memory (image layers, secret files sent to a node). */
import { type Header, pack as tarPack } from 'tar-stream';

export type TarHeader = Partial<Header> & Pick<Header, 'name'>;

export interface TarEntry {
  header: TarHeader;
  body?: Buffer;
}

/** The entries, in the order given, as an uncompressed tar. */
export async function tarBuffer(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => {
      chunks.push(c as Buffer); // streamx types data as unknown; a tar pack only emits Buffers
    });
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.body) pack.entry(e.header, e.body, cb);
      else pack.entry(e.header, cb);
    });
  }
  pack.finalize();
  return done;
}
