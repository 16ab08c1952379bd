/** Single-quoted for sh and fish alike: nothing inside is expanded. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}
