/**
 * Bytes in binary units, as `docker stats` writes them: one decimal under 10 (3.5 GiB), none
 * from 10 on or when the decimal is 0 (4 GiB, 10 MiB). Shared by the CLI and the dashboard
 * (web/ may import this file's values: it is pure and small).
 */
export function binaryBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? Math.round(v * 10) / 10 : Math.round(v)} ${units[u]}`;
}
