/**
 * The month-end report as a PDF (PDFKit, built-in Helvetica: no font files to ship). Helvetica's
 * WinAnsi encoding has no arrow (an arrow came out as `!'`): a change is written `was -> is`.
 */
import { pdfDocument, tableRows } from './pdf.js';
import type { CorrectionReason, MonthlyReport } from './monthlyReport.js';
import { COUNTER_FIELDS, correctionRows } from './reportCorrections.js';

// 510 points: the width of A4 between 40-point margins, with room to spare.
const COLUMNS = [
  { title: 'Company', width: 170 },
  { title: 'Tenant', width: 60 },
  { title: 'Agent type', width: 100 },
  { title: 'Reported', width: 50, align: 'right' as const },
  { title: 'Units', width: 45, align: 'right' as const },
  { title: 'New', width: 35, align: 'right' as const },
  { title: 'New units', width: 50, align: 'right' as const },
];

/** The tenant's first eight characters identify it on paper; JSON and CSV carry the whole uid. */
const shortUid = (uid: string | null) => (uid ? `${uid.slice(0, 8)}…` : '');

const LABEL: Record<string, string> = { VAC_Server_Agent: 'Server agents', VAC_Workstation_Agent: 'Workstation agents' };

const REASON: Record<CorrectionReason, string> = {
  lateEvents: 'events about the month arrived after it was frozen',
  unmanagedAgents: 'the frozen report counted agents the console did not manage (Unlicensed or past the expiry grace)',
};

/** Before and after of one number: the value alone when it did not change. */
const change = (was: number, is: number) => (was === is ? String(is) : `${was} -> ${is}`);

/** `names`: company names for corrections of companies the report's own month does not list. */
export async function reportPdf(report: MonthlyReport, names?: ReadonlyMap<string, string>): Promise<Buffer> {
  const doc = await pdfDocument({ size: 'A4', margin: 40, info: { Title: `Tally VSPC report ${report.month}`, Author: 'Tally' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));

  doc.font('Helvetica-Bold').fontSize(16).text(`VSPC month-end report ${report.month}`);
  doc.font('Helvetica').fontSize(9).moveDown(0.3);
  doc.text(`Status: ${report.status}    Period: ${report.periodStart} to ${report.periodEnd} (${report.timeZone})`);
  doc.text(`Generated: ${report.generatedAt}    License: ${report.licenseType}    Companies: ${report.companies.length}`);
  doc.moveDown();

  const row = tableRows(doc, COLUMNS);

  row(COLUMNS.map((c) => c.title), true);
  const totals = new Map<string, number[]>();
  for (const company of report.companies) {
    for (const counter of company.counters) {
      row([company.companyName, shortUid(company.tenantUid), LABEL[counter.type] ?? counter.type, String(counter.reportedCount), String(counter.reportedUnits), String(counter.newCount), String(counter.newUnits)]);
      const t = totals.get(counter.type) ?? [0, 0, 0, 0];
      totals.set(counter.type, [t[0]! + counter.reportedCount, t[1]! + counter.reportedUnits, t[2]! + counter.newCount, t[3]! + counter.newUnits]);
    }
  }
  for (const [type, t] of totals) row(['Total', '', LABEL[type] ?? type, ...t.map(String)], true);

  const corrections = correctionRows(report, names);
  if (corrections.length > 0) {
    doc.moveDown();
    doc.font('Helvetica-Bold').fontSize(11).text(`Corrections to ${corrections[0]!.month}`, doc.page.margins.left);
    doc.font('Helvetica').fontSize(8).text('Numbers that changed after that month was frozen, written "as reported -> as it is now".', doc.page.margins.left);
    doc.moveDown(0.3);
    row(COLUMNS.map((c) => c.title), true);
    for (const company of report.corrections!.companies) {
      const rows = corrections.filter((r) => r.companyUid === company.companyUid);
      if (rows.length === 0) continue;
      const why = (company.reasons ?? ['lateEvents']).map((reason) => REASON[reason]).join('; ');
      doc.font('Helvetica-Oblique').fontSize(7).text(`${rows[0]!.companyName} (${company.companyUid}): ${why}`, doc.page.margins.left);
      for (const r of rows) {
        row([r.companyName, shortUid(r.tenantUid), LABEL[r.type] ?? r.type, ...COUNTER_FIELDS.map((f) => change(r.was[f], r.is[f]))]);
      }
    }
  }
  doc.end();
  return done;
}
