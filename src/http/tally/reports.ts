/**
 * `GET /tally/v1/reports/vspc/{month}`: the VSPC month-end report, JSON, CSV or PDF. Portal
 * Administrators read the whole report; the invoice-minded roles of a reseller or a company read
 * their own companies' part (services/admin/reports.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { reportCsv } from '../../services/monthlyReport.js';
import { reportPdf } from '../../services/reportPdf.js';
import { REPORT_READERS, vspcReport } from '../../services/admin/reports.js';
import { errorAnswers } from '../../schemas/admin.js';
import { callerOf, requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { tallyRefusals } from './errors.js';

const Params = Type.Object({ month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }) });
const Query = Type.Object({ format: Type.Optional(Type.Enum(['json', 'csv', 'pdf'])) });

const Counter = Type.Object({}, { additionalProperties: true, description: 'type, unitType, reportedCount, reportedUnits, newCount, newUnits' });
const CompanyReport = Type.Object({
  companyUid: Type.String(),
  companyName: Type.String(),
  resellerUid: Type.Union([Type.String(), Type.Null()]),
  tenantUid: Type.Union([Type.String(), Type.Null()]),
  counters: Type.Array(Counter),
}, { additionalProperties: true });
/** The JSON report (documentation: the answer is written as the service made it). */
const MonthlyReport = Type.Object({
  product: Type.Literal('vspc'),
  month: Type.String(),
  timeZone: Type.String(),
  status: Type.Enum(['Final', 'Draft']),
  periodStart: Type.String({ format: 'date-time' }),
  periodEnd: Type.String({ format: 'date-time' }),
  generatedAt: Type.String({ format: 'date-time' }),
  licenseType: Type.String(),
  companies: Type.Array(CompanyReport),
  corrections: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
}, { additionalProperties: true });

export function reportRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireRoles(ctx.auth, REPORT_READERS, tallyRefusals));

    app.get(
      '/reports/vspc/:month',
      {
        schema: {
          params: Params,
          querystring: Query,
          response: {
            200: {
              description: 'The report: JSON, or CSV (format=csv) or PDF (format=pdf) as an attachment.',
              content: {
                'application/json': { schema: MonthlyReport },
                'text/csv': { schema: Type.String() },
                'application/pdf': { schema: Type.String({ format: 'binary' }) },
              },
            },
            ...errorAnswers(400, 409),
          },
        },
      },
      async (request, reply) => {
        const report = await vspcReport(ctx, callerOf(request), request.params.month);
        if (request.query.format === 'pdf') {
          return reply
            .type('application/pdf')
            .header('Content-Disposition', `attachment; filename="tally-vspc-${report.month}.pdf"`)
            .serializer((x: unknown) => x as string)
            .send((await reportPdf(report)) as never);
        }
        if (request.query.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .header('Content-Disposition', `attachment; filename="tally-vspc-${report.month}.csv"`)
            .serializer((x: unknown) => String(x))
            .send(reportCsv(report));
        }
        return reply.type('application/json; charset=utf-8').serializer(JSON.stringify).send(report);
      },
    );
  };
}
