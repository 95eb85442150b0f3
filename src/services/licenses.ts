/** Converts the stored license terms (admin API bodies) to the engine's license values. */
import { defaultAgentWeights, type Vb365License, type VspcLicense } from '../domain/licenses.js';
import type { Vb365LicenseBody, VspcLicenseBody } from '../schemas/admin.js';
import { parseRfc3339 } from '../time.js';

function instantOrNull(text: string | undefined | null): number | null {
  return text ? parseRfc3339(text) : null;
}

export function toVb365License(body: Vb365LicenseBody): Vb365License {
  return {
    type: body.type,
    totalNumber: body.totalNumber,
    expirationDate: instantOrNull(body.expirationDate),
    autoUpdate: body.autoUpdate ?? false,
    lastReportSentAt: instantOrNull(body.lastReportSentAt),
  };
}

export function toVspcLicense(body: VspcLicenseBody): VspcLicense {
  return {
    type: body.type,
    edition: body.edition ?? null,
    units: body.units,
    expirationDate: instantOrNull(body.expirationDate),
    weights: { ...defaultAgentWeights(body.type), ...body.weights },
    autoUpdate: body.autoUpdate ?? false,
    lastReportSentAt: instantOrNull(body.lastReportSentAt),
  };
}
