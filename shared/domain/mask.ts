/** Keeps the last four digits only, for answers and logs (R28). */
export function maskPhone(e164: string): string {
  return `${'•'.repeat(Math.max(0, e164.length - 4))}${e164.slice(-4)}`;
}

/**
 * A provider's error text with every run that could be a phone number (five digits or more,
 * spaces, dots, dashes and brackets allowed between them) replaced, for logs (R28): providers
 * repeat the destination in their messages, in forms of their own.
 */
export function redactPhoneNumbers(text: string): string {
  return text.replace(/\+?\(?\d[\d\s().-]*\d\)?/g, (run) => (run.replace(/\D/g, '').length >= 5 ? '[number]' : run));
}
