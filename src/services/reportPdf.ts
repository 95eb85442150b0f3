/** The month-end report as a PDF (PDFKit, built-in Helvetica: no font files to ship). */
import { pdfDocument, tableRows } from './pdf.js';
import type { CorrectionReason, MonthlyReport } from './monthlyReport.js';

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

export async function reportPdf(report: MonthlyReport): Promise<Buffer> {
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

  if (report.corrections && report.corrections.companies.length > 0) {
    doc.moveDown();
    doc.font('Helvetica-Bold').fontSize(11).text(`Corrections to ${report.corrections.month}`, doc.page.margins.left);
    doc.moveDown(0.3);
    for (const change of report.corrections.companies) {
      const why = (change.reasons ?? ['lateEvents']).map((reason) => REASON[reason]).join('; ');
      doc.font('Helvetica').fontSize(9).text(`${change.companyUid}: ${why}`, doc.page.margins.left);
      for (const [i, counter] of change.actual.entries()) {
        const before = change.reported[i];
        row([change.companyUid, 'was -> is', LABEL[counter.type] ?? counter.type, `${before?.reportedCount ?? 0} -> ${counter.reportedCount}`, `${before?.reportedUnits ?? 0} -> ${counter.reportedUnits}`, '', '']);
      }
    }
  }
  doc.end();
  return done;
}
