/**
 * License reports of the v6 face: `GET /v6/licensing/reports/latest` (`RESTMonthlyReport`),
 * `POST /v6/licensing/reports/{reportId}/approve` and `POST /v6/Reports/GenerateLicenseOverview`
 * (a CSV or PDF file).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RemovalError } from '../../domain/vb365MonthlyReport.js';
import type { Vb365LicenseBody } from '../../schemas/admin.js';
import { licenseOverview, OverviewRequestError, overviewCsv, overviewFileName, overviewInstant, overviewZone } from '../../services/licenseOverview.js';
import { licenseOverviewPdf } from '../../services/licenseOverviewPdf.js';
import * as audit from '../../services/audit.js';
import {
  approveVb365Report, latestVb365Report, NoReportError, renderMonthlyReport, ReportApprovedError,
} from '../../services/vb365MonthlyReport.js';
import { getLicenseTerms } from '../../store/entities.js';
import { requireRoles } from '../auth/guard.js';
import type { AppContext } from '../context.js';
import { sendMessage, vb365Refusals } from './errors.js';
import { ApproveReportOptions, LicenseOverviewOptions, MonthlyReport, ReportIdParams } from './schemas.js';

export function reportRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (root) => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const guard = requireRoles(ctx.auth, ['Vb365Administrator'], vb365Refusals);
    const db = ctx.store.db;
    const licenseTerms = async () => (await getLicenseTerms(db, 'vb365')) as Vb365LicenseBody | undefined;

    app.get('/licensing/reports/latest', { preHandler: guard, schema: { response: { 200: MonthlyReport } } }, async (_request, reply) => {
      const now = await ctx.clock.now();
      try {
        return renderMonthlyReport(await latestVb365Report(db, now, ctx.timeZone, await licenseTerms()), now);
      } catch (error) {
        if (error instanceof NoReportError) return sendMessage(reply, 404, error.message);
        throw error;
      }
    });

    app.post(
      '/licensing/reports/:reportId/approve',
      { preHandler: guard, schema: { params: ReportIdParams, body: ApproveReportOptions } },
      async (request, reply) => {
        const now = await ctx.clock.now();
        const removals = (request.body.removedUsers ?? []).map((r) => ({
          organizationId: r.organizationId,
          removedUsersCount: r.removedUsersCount,
          removalReason: r.removalReason ?? '',
        }));
        try {
          const approved = await approveVb365Report(db, request.params.reportId, removals, now, ctx.timeZone, await licenseTerms());
          await audit.recordCommitted(db, request, {
            action: 'report.approve',
            target: `vb365-report/${approved.reportId}`,
            details: { month: approved.month, removals: approved.approval?.removals ?? [] },
          });
        } catch (error) {
          if (error instanceof NoReportError) return sendMessage(reply, 404, error.message);
          if (error instanceof ReportApprovedError) return sendMessage(reply, 409, error.message);
          if (error instanceof RemovalError) return sendMessage(reply, 400, error.message);
          throw error;
        }
        // v6 documents a 200 without a body.
        return reply.code(200).send();
      },
    );

    app.post('/Reports/GenerateLicenseOverview', { preHandler: guard, schema: { body: LicenseOverviewOptions } }, async (request, reply) => {
      const now = await ctx.clock.now();
      const terms = await licenseTerms();
      try {
        const zone = overviewZone(request.body.timezone, ctx.timeZone);
        const start = overviewInstant('startTime', request.body.startTime, zone);
        const end = overviewInstant('endTime', request.body.endTime, zone);
        const overview = await licenseOverview(db, { start, end, zone }, now, ctx.timeZone, await ctx.licensing.vb365License(now), terms?.licensedTo ?? '');
        const pdf = request.body.format === 'PDF';
        const file = pdf ? await licenseOverviewPdf(overview) : Buffer.from(overviewCsv(overview), 'utf8');
        return reply
          .type('application/octet-stream')
          .header('Content-Disposition', `attachment; filename="${overviewFileName(overview, pdf ? 'pdf' : 'csv')}"`)
          .send(file);
      } catch (error) {
        if (error instanceof OverviewRequestError) return sendMessage(reply, 400, error.message);
        throw error;
      }
    });
  };
}
