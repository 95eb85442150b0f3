/**
 * The text a PDF written by PDFKit shows, in the order it is drawn: each content stream inflated,
 * each text-showing operator (`TJ`, `Tj`) read as one string. PDFKit writes text with the
 * built-in Helvetica as hex strings in WinAnsi, which latin1 reads except the few characters
 * mapped below; enough for tests to check what a report prints, not a general PDF reader.
 */
import { inflateSync } from 'node:zlib';

const WIN_ANSI: Record<number, string> = { 0x85: '…', 0x96: '–', 0x97: '—', 0x93: '“', 0x94: '”' };

export function pdfText(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const shown: string[] = [];
  for (const match of raw.matchAll(/stream\r?\n/g)) {
    const from = match.index! + match[0].length;
    const to = raw.indexOf('endstream', from);
    let content: string;
    try {
      content = inflateSync(pdf.subarray(from, to)).toString('latin1');
    } catch {
      continue; // not a deflated stream (or not a content stream)
    }
    for (const op of content.matchAll(/\[((?:<[0-9a-fA-F]*>|[^\]<])*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hexes = op[1] !== undefined ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]!) : [op[2]!];
      shown.push(hexes.map(decode).join(''));
    }
  }
  return shown;
}

function decode(hex: string): string {
  let text = '';
  for (let i = 0; i < hex.length; i += 2) {
    const code = parseInt(hex.slice(i, i + 2), 16);
    text += WIN_ANSI[code] ?? String.fromCharCode(code);
  }
  return text;
}
