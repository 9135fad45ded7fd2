// CSV cells of the users export, safe to open in a spreadsheet and to import back unchanged.

/** A cell a spreadsheet would run as a formula: it starts with one of these (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A cell written by `spreadsheetCell`: quotes added before a formula start, one of which is ours. */
const DEFUSED = /^'+[=+\-@\t\r]/;

/**
 * Defuses a cell that Excel, Sheets or LibreOffice would read as a formula (`=HYPERLINK(…)`,
 * `+1…`, `@SUM(…)`, a leading tab or carriage return), as OWASP advises: one single quote before
 * it, which spreadsheets show as text. A value that already starts with quotes before such a
 * character gets one more, so `importCell` can always take exactly one away.
 */
export function spreadsheetCell(value: string): string {
  return FORMULA_START.test(value) || DEFUSED.test(value) ? `'${value}` : value;
}

/** The inverse of `spreadsheetCell`, applied to every cell of a user import: `'=x` is `=x`, `'Neill` stays. */
export function importCell(value: string): string {
  return DEFUSED.test(value) ? value.slice(1) : value;
}

/** RFC 4180: quoted when it holds a quote, comma or line break, or edge whitespace (csv-parse trims unquoted edges). */
export const quotedField = (value: string): string => (/[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value);

/** An export cell: defused (`spreadsheetCell`) and then always quoted when defused, as OWASP shows it. */
export function exportField(value: string): string {
  const cell = spreadsheetCell(value);
  return cell === value ? quotedField(cell) : `"${cell.replace(/"/g, '""')}"`;
}
