/** PDFKit, loaded on the first PDF: its import costs start-up time that every server would pay for a rare request. */
import type PDFKit from 'pdfkit';

export async function pdfDocument(options: PDFKit.PDFDocumentOptions): Promise<PDFKit.PDFDocument> {
  const { default: PDFDocument } = await import('pdfkit');
  return new PDFDocument(options);
}
