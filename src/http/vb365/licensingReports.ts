/**
 * The monthly license usage report of the v6 face: `GET /v6/licensing/reports/latest`
 * (`RESTMonthlyReport`) and `POST /v6/licensing/reports/{reportId}/approve`. Parse, call one
 * operation (services/vb365/reports.ts), render.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { renderMonthlyReport } from '../../services/vb365MonthlyReport.js';
import { approveMonthlyReport, latestMonthlyReport } from '../../services/vb365/reports.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { vb365Refusals } from './errors.js';
import { callerOf } from './caller.js';
import { ApproveReportOptions, MonthlyReport, ReportIdParams } from './schemas.js';

export function licensingReportRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);

    app.get('/licensing/reports/latest', { onRequest: guard, schema: { response: { 200: MonthlyReport } } }, async (request) => {
      const { report, now } = await latestMonthlyReport(ctx, callerOf(request));
      return renderMonthlyReport(report, now);
    });

    app.post(
      '/licensing/reports/:reportId/approve',
      { onRequest: guard, schema: { params: ReportIdParams, body: ApproveReportOptions } },
      async (request, reply) => {
        const removals = (request.body.removedUsers ?? []).map((r) => ({
          organizationId: r.organizationId,
          removedUsersCount: r.removedUsersCount,
          removalReason: r.removalReason ?? '',
        }));
        await approveMonthlyReport(ctx, callerOf(request), { reportId: request.params.reportId, removals });
        // v6 documents a 200 without a body.
        return reply.code(200).send();
      },
    );
  };
}
