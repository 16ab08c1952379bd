/** Code-unit order, not localeCompare: output (VCL, plans, lists) must be byte-stable on every machine. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
