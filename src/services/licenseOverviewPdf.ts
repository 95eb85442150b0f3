/** The VB365 License Overview as a PDF (PDFKit, built-in Helvetica, like the VSPC month-end report). */
import { DateTime } from 'luxon';
import { pdfDocument, tableRows } from './pdf.js';
import type { LicenseOverview } from './licenseOverview.js';

// 515 points: the width of A4 between 40-point margins.
const COLUMNS = [
  { title: 'Organization', width: 215 },
  { title: 'Organization ID', width: 180 },
  { title: 'Users in use', width: 65, align: 'right' as const },
  { title: 'New users', width: 55, align: 'right' as const },
];

export async function licenseOverviewPdf(overview: LicenseOverview): Promise<Buffer> {
  const when = (at: number) => DateTime.fromMillis(at, { zone: overview.zone }).toFormat('yyyy-MM-dd HH:mm');
  const zoneName = overview.zone.name;
  const doc = await pdfDocument({
    size: 'A4',
    margin: 40,
    info: { Title: `License Overview ${when(overview.periodStart)} to ${when(overview.periodEnd)}`, Author: 'Tally' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));

  doc.font('Helvetica-Bold').fontSize(16).text('License Overview');
  doc.font('Helvetica').fontSize(9).moveDown(0.3);
  doc.text(`Period: ${when(overview.periodStart)} to ${when(overview.periodEnd)} (${zoneName})    Generated: ${when(overview.generatedAt)}`);
  doc.text(`License: ${overview.licenseType}${overview.licensedTo ? `, licensed to ${overview.licensedTo}` : ''}    Units in license: ${overview.totalUnits}`);
  doc.moveDown(0.5);
  doc.font('Helvetica-Bold').fontSize(11).text('Summary');
  doc.font('Helvetica').fontSize(9);
  doc.text(`Licenses in use (including new users): ${overview.totals.usersInUse}`);
  if (overview.licenseType === 'Rental') doc.text(`New users: ${overview.totals.newUsers}`);
  doc.text(`Organizations: ${overview.organizations.length}`);
  doc.moveDown();

  const row = tableRows(doc, COLUMNS);
  row(COLUMNS.map((c) => c.title), true);
  for (const org of overview.organizations) row([org.organizationName, org.organizationId, String(org.usersInUse), String(org.newUsers)]);
  row(['Total', '', String(overview.totals.usersInUse), String(overview.totals.newUsers)], true);
  doc.end();
  return done;
}
