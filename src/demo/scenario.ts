/**
 * The demo scenario (contract §3): resellers, dozens of companies with hundreds of agents, several
 * Microsoft 365 organizations with thousands of users, dated relative to `now` so that at `now`
 * the two seed answers hold. It is ordinary data: entities, licenses and events, built here and
 * loaded through the same paths as users' data. Nothing else in Tally knows these identifiers.
 */
import { DAY_MS, formatInstant, startOfMonth, type Instant } from '../time.js';
import type { CompanyBody, OrganizationBody, ResellerBody, Vb365LicenseBody, VspcLicenseBody } from '../schemas/admin.js';
import { DemoRandom } from './random.js';

export const SEED_COMPANY_UID = 'f886afdf-af2b-4e31-9f1e-7c0e96a0ee5e';
export const SEED_TENANT_UID = 'b4971992-84ac-4dee-b837-95c8db275f28';
export const SEED_ORGANIZATION_ID = '92460656-7a85-4a04-b1af-1ea903c0bc2e';

export interface DemoScenario {
  resellers: (ResellerBody & { uid: string })[];
  companies: (CompanyBody & { uid: string })[];
  organizations: (OrganizationBody & { id: string })[];
  vb365License: Vb365LicenseBody;
  vspcLicense: VspcLicenseBody;
  events: Record<string, unknown>[];
}

const HOUR_MS = 3_600_000;

const FIRST_NAMES = ['Anna', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Keiko', 'Liam', 'Maya', 'Noah', 'Olga', 'Pedro', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Wim', 'Xenia', 'Yusuf', 'Zoe'];
const LAST_NAMES = ['Adams', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jansen', 'Kowalski', 'Larsen', 'Moreau', 'Novak', 'Okafor', 'Petrov', 'Quist', 'Rossi', 'Schmidt', 'Tanaka', 'Ueda', 'Varga', 'Weber', 'Yilmaz', 'Zeller'];
const COMPANY_WORDS = ['Alpine', 'Harbor', 'Summit', 'Cedar', 'Granite', 'Maple', 'Beacon', 'Riverside', 'Northstar', 'Bluewater', 'Ironwood', 'Lakeside', 'Meridian', 'Oakridge', 'Pinecrest', 'Redstone', 'Silverline', 'Sterling', 'Westfield', 'Evergreen'];
const COMPANY_KINDS = ['Dental Group', 'Logistics', 'Law Partners', 'Engineering', 'Health Clinic', 'Accounting', 'Retail', 'Architects', 'Manufacturing', 'Insurance'];

/** A moment in the current month, at fraction `f` (0 < f ≤ 1) of the way from its start to `now`. */
function thisMonth(now: Instant, monthStart: Instant, f: number): Instant {
  return Math.floor(monthStart + (now - monthStart) * f);
}

export function buildDemoScenario(now: Instant, timeZone: string): DemoScenario {
  const rnd = new DemoRandom(20_261_123);
  const monthStart = startOfMonth(now, timeZone);
  const events: Record<string, unknown>[] = [];
  const iso = formatInstant;

  const resellers = [
    { uid: rnd.uuid(), name: 'Northwind Cloud Services' },
    { uid: rnd.uuid(), name: 'Contoso Managed IT' },
    { uid: rnd.uuid(), name: 'Fabrikam Backup Partners' },
  ];

  // --- VSPC: companies and their agents -------------------------------------------------------
  const companies: DemoScenario['companies'] = [
    { uid: SEED_COMPANY_UID, name: 'Alpine Dental Group', resellerUid: resellers[0]!.uid, tenantUid: SEED_TENANT_UID },
  ];
  const usedNames = new Set(['Alpine Dental Group']);
  while (companies.length < 36) {
    const name = `${rnd.pick(COMPANY_WORDS)} ${rnd.pick(COMPANY_KINDS)}`;
    if (usedNames.has(name)) continue;
    usedNames.add(name);
    const direct = rnd.chance(0.15);
    companies.push({
      uid: rnd.uuid(),
      name,
      ...(direct ? {} : { resellerUid: rnd.pick(resellers).uid }),
      ...(rnd.chance(0.9) ? { tenantUid: rnd.uuid() } : {}),
    });
  }

  let agentSerial = 0;
  const activate = (companyUid: string, mode: 'server' | 'workstation', at: Instant, companyName: string) => {
    const uid = rnd.uuid();
    const host = mode === 'server' ? `SRV-${String(++agentSerial).padStart(3, '0')}` : `WS-${String(++agentSerial).padStart(3, '0')}`;
    events.push({
      id: `demo:vspc:activate:${uid}`,
      type: 'vspc.agentActivated',
      at: iso(at),
      companyUid,
      agent: { uid, name: `${host}.${companyName.split(' ')[0]!.toLowerCase()}.local`, mode },
    });
    return uid;
  };

  // The seed company: two server and two workstation agents, all activated this month.
  for (const [mode, f] of [['server', 0.2], ['server', 0.45], ['workstation', 0.6], ['workstation', 0.85]] as const) {
    activate(SEED_COMPANY_UID, mode, thisMonth(now, monthStart, f), 'Alpine Dental Group');
  }

  // Everyone else: a history of older agents, some new this month, some gone, some changed.
  const others = companies.slice(1);
  for (const company of others) {
    const size = rnd.int(3, 18);
    for (let i = 0; i < size; i++) {
      const mode = rnd.chance(0.35) ? 'server' : 'workstation';
      const isNew = rnd.chance(0.12);
      const at = isNew ? thisMonth(now, monthStart, 0.05 + rnd.next() * 0.95) : now - rnd.int(35, 540) * DAY_MS - rnd.int(0, 23) * HOUR_MS;
      const uid = activate(company.uid, mode, at, company.name);
      if (!isNew && rnd.chance(0.08)) {
        // Revoked some time after activation (still in the past).
        events.push({ id: `demo:vspc:deactivate:${uid}`, type: 'vspc.agentDeactivated', at: iso(at + rnd.int(1, 30) * DAY_MS), agentUid: uid });
      } else if (!isNew && rnd.chance(0.06)) {
        const newMode = mode === 'server' ? 'workstation' : 'server';
        events.push({ id: `demo:vspc:mode:${uid}`, type: 'vspc.agentModeChanged', at: iso(at + rnd.int(1, 30) * DAY_MS), agentUid: uid, mode: newMode });
      } else if (!isNew && rnd.chance(0.03)) {
        // Moved to another company: re-activation keeps the original activation time.
        const target = rnd.pick(others.filter((c) => c.uid !== company.uid));
        events.push({
          id: `demo:vspc:move:${uid}`,
          type: 'vspc.agentActivated',
          at: iso(at + rnd.int(1, 30) * DAY_MS),
          companyUid: target.uid,
          agent: { uid, name: `moved-${uid.slice(0, 8)}.${target.name.split(' ')[0]!.toLowerCase()}.local`, mode },
        });
      }
    }
  }

  // --- VB365: organizations and their users ----------------------------------------------------
  const orgSpecs = [
    { id: SEED_ORGANIZATION_ID, name: 'alpinedental.onmicrosoft.com', users: 100, firstDays: [720, 760] as const },
    { id: rnd.uuid(), name: 'harborlogistics.onmicrosoft.com', users: 1200, firstDays: [90, 700] as const },
    { id: rnd.uuid(), name: 'summitlaw.onmicrosoft.com', users: 850, firstDays: [60, 650] as const },
    { id: rnd.uuid(), name: 'cedarengineering.onmicrosoft.com', users: 640, firstDays: [45, 600] as const },
    { id: rnd.uuid(), name: 'granitehealth.onmicrosoft.com', users: 420, firstDays: [40, 500] as const },
    { id: rnd.uuid(), name: 'mapleaccounting.onmicrosoft.com', users: 300, firstDays: [35, 400] as const },
  ];
  const organizations = orgSpecs.map((spec, i) => ({
    id: spec.id,
    name: spec.name,
    officeName: spec.name.split('.')[0]!,
    type: 'Office365' as const,
    region: 'Worldwide' as const,
    companyUid: companies[i]!.uid,
  }));

  const backup = (orgId: string, user: Record<string, unknown>, at: Instant, n: number) => {
    events.push({ id: `demo:vb365:${orgId}:${String(user.id)}:${n}`, type: 'vb365.backup', at: iso(at), organizationId: orgId, user });
  };
  for (const spec of orgSpecs) {
    const domain = spec.name;
    for (let i = 0; i < spec.users; i++) {
      const first = rnd.pick(FIRST_NAMES);
      const last = rnd.pick(LAST_NAMES);
      const user = { id: rnd.uuid(), name: `${first.toLowerCase()}.${last.toLowerCase()}${i}@${domain}` };
      const firstAt = now - rnd.int(spec.firstDays[0], spec.firstDays[1]) * DAY_MS;
      backup(spec.id, user, firstAt, 1);
      backup(spec.id, user, now - rnd.int(8, 25) * DAY_MS, 2);
      backup(spec.id, user, now - rnd.int(1, 72) * HOUR_MS, 3);
    }
    // Objects that do not consume a unit, and users whose unit was released after 31 days.
    for (let i = 0; i < 3; i++) {
      const teams = { id: rnd.uuid(), name: `Team ${i + 1} (${domain})`, kind: 'teams' };
      backup(spec.id, teams, now - rnd.int(1, 48) * HOUR_MS, 1);
      const shared = { id: rnd.uuid(), name: `shared${i + 1}@${domain}`, kind: 'sharedMailbox', m365Licensed: false };
      backup(spec.id, shared, now - rnd.int(1, 48) * HOUR_MS, 1);
    }
    for (let i = 0; i < 4; i++) {
      const leaver = { id: rnd.uuid(), name: `former.employee${i + 1}@${domain}` };
      backup(spec.id, leaver, now - rnd.int(200, 400) * DAY_MS, 1);
      backup(spec.id, leaver, now - rnd.int(32, 90) * DAY_MS, 2);
    }
  }
  // A licensed shared mailbox consumes a unit like a user (rule 2).
  backup(orgSpecs[1]!.id, { id: rnd.uuid(), name: `reception@${orgSpecs[1]!.name}`, kind: 'sharedMailbox', m365Licensed: true }, now - 5 * HOUR_MS, 1);

  // 3,511 users consume; 3,200 are licensed and the rest ride on the 10 % exceed allowance.
  const vb365License: Vb365LicenseBody = {
    type: 'Subscription',
    totalNumber: 3200,
    expirationDate: iso(startOfMonth(now + 400 * DAY_MS, timeZone)),
    licensedTo: 'Northwind Cloud Services',
    contactPerson: 'Jane Doe',
    email: 'licensing@northwind.example',
    supportId: '01234567',
    supportExpirationDate: iso(startOfMonth(now + 400 * DAY_MS, timeZone)),
    autoUpdate: false,
  };
  const vspcLicense: VspcLicenseBody = {
    type: 'Rental',
    edition: 'Enterprise Plus',
    units: 5000,
    expirationDate: iso(startOfMonth(now + 40 * DAY_MS, timeZone) - 1000),
    weights: { server: 11, workstation: 4 },
  };

  return { resellers, companies, organizations, vb365License, vspcLicense, events };
}
