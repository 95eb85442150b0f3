/** Loads the demo scenario into an empty database through the regular store and ingestion paths. */
import { MAX_EVENTS_PER_BATCH } from '../ingest/events.js';
import type { AppContext } from '../http/context.js';
import { countRows, putLicenseTerms, upsertCompany, upsertOrganization, upsertReseller } from '../store/entities.js';
import type { Instant } from '../time.js';
import { claimSetting } from '../store/settings.js';
import { companyFromBody, organizationFromBody } from '../services/entities.js';
import { buildDemoScenario } from './scenario.js';

async function isEmpty(ctx: AppContext): Promise<boolean> {
  for (const table of ['events', 'companies', 'organizations', 'resellers', 'licenses'] as const) {
    if ((await countRows(ctx.store.db, table)) > 0) return false;
  }
  return true;
}

/** Returns what was loaded, or null when the database already holds data. */
export async function loadDemo(ctx: AppContext, now: Instant): Promise<{ events: number } | null> {
  if (!(await isEmpty(ctx))) return null;
  // Several nodes starting at once on an empty PostgreSQL: only the first loads the demo.
  if (!(await claimSetting(ctx.store.db, 'demo.loadedAt', new Date(now).toISOString()))) return null;
  const scenario = buildDemoScenario(now, ctx.timeZone);
  const db = ctx.store.db;
  for (const r of scenario.resellers) await upsertReseller(db, r);
  for (const { uid, ...body } of scenario.companies) await upsertCompany(db, companyFromBody(uid, body));
  for (const { id, ...body } of scenario.organizations) await upsertOrganization(db, organizationFromBody(id, body));
  await putLicenseTerms(db, 'vb365', scenario.vb365License);
  await putLicenseTerms(db, 'vspc', scenario.vspcLicense);
  let events = 0;
  for (let i = 0; i < scenario.events.length; i += MAX_EVENTS_PER_BATCH) {
    const result = await ctx.ingestion.ingest(scenario.events.slice(i, i + MAX_EVENTS_PER_BATCH));
    events += result.accepted;
  }
  return { events };
}
