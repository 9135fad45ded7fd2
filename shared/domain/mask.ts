/** Keeps the last four digits only, for answers and logs (R28). */
export function maskPhone(e164: string): string {
  return `${'•'.repeat(Math.max(0, e164.length - 4))}${e164.slice(-4)}`;
}
