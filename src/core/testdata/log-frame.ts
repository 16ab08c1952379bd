/** A multiplexed log frame as the Engine API sends it: stream byte (1 stdout, 2 stderr), three zeros, big-endian length, payload. */
export function logFrame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}
