/**
 * CSV cells for the reports Tally writes (the VSPC month-end report, the VB365 license overview).
 *
 * Names in a report are chosen by tenants (a company, an organization), and a spreadsheet opens
 * the file: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be
 * read as a formula (`=HYPERLINK(…)`, `=cmd|…`: CSV injection). Such a cell is written with a
 * leading apostrophe inside quotes (`"'=HYPERLINK(…)"`), which spreadsheets show as text and
 * which keeps the name readable; OWASP's recommendation. Numbers are written as numbers (a
 * negative count stays `-1`); only text is escaped. Cells holding `"`, `,`, CR or LF are quoted
 * with `"` doubled (RFC 4180).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return text !== value || /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows joined with CRLF, ending with one (RFC 4180). */
export function csvRows(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
