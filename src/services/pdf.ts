/** What the PDF reports share: PDFKit loaded on first use, and a one-line-per-row table. */

/** PDFKit, loaded on the first PDF: its import costs start-up time that every server would pay for a rare request. */
export async function pdfDocument(options: PDFKit.PDFDocumentOptions): Promise<PDFKit.PDFDocument> {
  const { default: PDFDocument } = await import('pdfkit');
  return new PDFDocument(options);
}

export interface PdfColumn {
  title: string;
  width: number;
  align?: 'left' | 'right';
}

/**
 * A function that writes one table row (8-point type, bold for headings) and starts a new page
 * when the next row would not fit.
 */
export function tableRows(doc: PDFKit.PDFDocument, columns: readonly PdfColumn[]): (cells: string[], bold?: boolean) => void {
  const bottom = doc.page.height - doc.page.margins.bottom - 12;
  return (cells, bold = false) => {
    if (doc.y > bottom) doc.addPage();
    const y = doc.y;
    let x = doc.page.margins.left;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
    columns.forEach((column, i) => {
      // One line per cell: a height of one line with an ellipsis cuts what does not fit.
      doc.text(cells[i] ?? '', x, y, { width: column.width - 4, height: 10, align: column.align ?? 'left', ellipsis: true });
      x += column.width;
    });
    doc.x = doc.page.margins.left;
    doc.y = y + 12;
  };
}
