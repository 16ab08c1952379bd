import { describe, expect, it } from 'vitest';
import { lddPaths } from './net-helper.ts';

describe('the network helper image', () => {
  it("takes the libraries and the loader from ldd's output, once each", () => {
    const out = `/usr/sbin/ip:
\tlinux-vdso.so.1 (0x00007ffd)
\tlibmnl.so.0 => /lib/x86_64-linux-gnu/libmnl.so.0 (0x00007f5)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f5)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f5)
/usr/sbin/bridge:
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6)
\tlibmissing.so => not found
`;
    expect(lddPaths(out)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libmnl.so.0', '/lib64/ld-linux-x86-64.so.2']);
  });
});
