// RFC 4180 CSV, with spreadsheet formula injection neutralised: a cell a tenant wrote ("=HYPERLINK(...)") opens as
// text in Excel or Sheets, never as a formula.

export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header line and a line per row, CRLF-terminated as the RFC has it. */
export function toCsv(head: string[], rows: unknown[][]): string {
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
