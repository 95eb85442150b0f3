/**
 * The month-end report as people read it (issue 18): the PDF's corrections name the company, show
 * every changed column (New included) as "was -> is" in glyphs Helvetica has, and the CSV carries
 * the corrections as rows of their own.
 */
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { test } from 'node:test';
import type { MonthlyReport } from '../../src/services/monthlyReport.js';
import { reportCsv } from '../../src/services/monthlyReport.js';
import { reportPdf } from '../../src/services/reportPdf.js';

const ALPINE = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
const GONE = '0c000000-0000-4000-8000-00000000000c';

const counter = (type: 'VAC_Server_Agent' | 'VAC_Workstation_Agent', reportedCount: number, newCount: number) => ({
  type, unitType: 'Points' as const, reportedCount, reportedUnits: reportedCount * 11, newCount, newUnits: newCount * 11,
});

const report = {
  product: 'vspc',
  month: '2026-11',
  timeZone: 'UTC',
  status: 'Draft',
  periodStart: '2026-11-01T00:00:00.000Z',
  periodEnd: '2026-12-01T00:00:00.000Z',
  generatedAt: '2026-11-23T12:00:00.000Z',
  licenseType: 'Rental',
  companies: [{ companyUid: ALPINE, companyName: 'Alpine Dental Group', resellerUid: null, tenantUid: 'b4971992-84ac-4dee-b837-95c8db275f28', counters: [counter('VAC_Server_Agent', 2, 0)] }],
  corrections: {
    month: '2026-10',
    companies: [
      // Only New changed (a late activation): the old rendering showed nothing of it.
      { companyUid: ALPINE, reported: [counter('VAC_Server_Agent', 2, 0)], actual: [counter('VAC_Server_Agent', 2, 3), counter('VAC_Workstation_Agent', 0, 1)] },
      // A company the November report no longer lists: its name comes from the caller.
      { companyUid: GONE, reported: [counter('VAC_Workstation_Agent', 4, 0)], actual: [] },
    ],
  },
} as unknown as MonthlyReport;

/** The text a PDFKit document shows: its compressed content streams' hex strings, decoded as WinAnsi (Latin-1 here). */
function pdfText(pdf: Buffer): string {
  const text: string[] = [];
  const source = pdf.toString('latin1');
  for (const match of source.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(match[1]!, 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const array of content.matchAll(/\[(.*?)\] TJ/g)) {
      text.push([...array[1]!.matchAll(/<([0-9a-f]*)>/g)].map((hex) => Buffer.from(hex[1]!, 'hex').toString('latin1')).join(''));
    }
  }
  return text.join('\n');
}

test('the PDF lists each correction with the company name and every changed column as "was -> is"', async () => {
  const text = pdfText(await reportPdf(report, new Map([[GONE, 'Gone Gardening Ltd']])));
  const lines = text.split('\n');
  const section = lines.slice(lines.indexOf('Corrections to 2026-10'));
  assert.ok(section.length > 1, text);
  // The row cells follow one another: company, tenant (none for an unknown one), type, then the
  // four numbers: reported, units, new, new units.
  const numbers = (company: string, type: string) => {
    const i = section.findIndex((line, k) => line === company && section.slice(k + 1, k + 3).includes(type));
    assert.notEqual(i, -1, `${company} / ${type} in:\n${section.join(' | ')}`);
    const t = section.indexOf(type, i);
    return section.slice(t + 1, t + 5);
  };
  assert.deepEqual(numbers('Alpine Dental Group', 'Server agents'), ['2', '22', '0 -> 3', '0 -> 33']);
  assert.deepEqual(numbers('Alpine Dental Group', 'Workstation agents'), ['0', '0', '0 -> 1', '0 -> 11']);
  assert.deepEqual(numbers('Gone Gardening Ltd', 'Workstation agents'), ['4 -> 0', '44 -> 0', '0', '0']);
  assert.doesNotMatch(text, /!'|\u2192/, 'no arrow glyph that Helvetica lacks');
});

test('the CSV carries the corrections: status Correction, the corrected month, now and was columns', () => {
  const rows = reportCsv(report, new Map([[GONE, 'Gone Gardening Ltd']])).trimEnd().split('\r\n');
  assert.equal(rows[0], 'month,status,companyUid,companyName,tenantUid,type,unitType,reportedCount,reportedUnits,newCount,newUnits,wasReportedCount,wasReportedUnits,wasNewCount,wasNewUnits');
  assert.equal(rows[1], `2026-11,Draft,${ALPINE},Alpine Dental Group,b4971992-84ac-4dee-b837-95c8db275f28,VAC_Server_Agent,Points,2,22,0,0,,,,`);
  assert.deepEqual(rows.slice(2), [
    `2026-10,Correction,${ALPINE},Alpine Dental Group,b4971992-84ac-4dee-b837-95c8db275f28,VAC_Server_Agent,Points,2,22,3,33,2,22,0,0`,
    `2026-10,Correction,${ALPINE},Alpine Dental Group,b4971992-84ac-4dee-b837-95c8db275f28,VAC_Workstation_Agent,Points,0,0,1,11,0,0,0,0`,
    `2026-10,Correction,${GONE},Gone Gardening Ltd,,VAC_Workstation_Agent,Points,0,0,0,0,4,44,0,0`,
  ]);
});
