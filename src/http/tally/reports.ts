/** `GET /tally/v1/reports/vspc/{month}`: the VSPC month-end report, JSON, CSV or PDF. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ReportMonthError, reportCsv, vspcMonthlyReport } from '../../services/monthlyReport.js';
import { reportPdf } from '../../services/reportPdf.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { sendError, tallyRefusals } from './errors.js';

const Params = Type.Object({ month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }) });
const Query = Type.Object({ format: Type.Optional(Type.Enum(['json', 'csv', 'pdf'])) });

export function reportRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onRequest', requireRoles(ctx.auth, ['PortalAdministrator'], tallyRefusals));

    app.get('/reports/vspc/:month', { schema: { params: Params, querystring: Query } }, async (request, reply) => {
      try {
        const report = await vspcMonthlyReport(ctx.store.db, request.params.month, await ctx.clock.now(), ctx.timeZone, await ctx.licensing.vspcLicense());
        if (request.query.format === 'pdf') {
          return reply
            .type('application/pdf')
            .header('Content-Disposition', `attachment; filename="tally-vspc-${report.month}.pdf"`)
            .send(await reportPdf(report));
        }
        if (request.query.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .header('Content-Disposition', `attachment; filename="tally-vspc-${report.month}.csv"`)
            .serializer((x: unknown) => String(x))
            .send(reportCsv(report));
        }
        return reply.serializer(JSON.stringify).send(report);
      } catch (error) {
        if (error instanceof ReportMonthError) return sendError(reply, 409, error.message);
        throw error;
      }
    });
  };
}
