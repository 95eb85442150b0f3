/** Helpers of the security tests: logins through either face, requests with a token, the audit log. */
import type { TestApp } from '../support/harness.js';

export type FaceName = 'vb365' | 'vspc';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token request through a face's token endpoint (form-encoded, as real clients send it). */
export function grant(app: TestApp, face: FaceName, fields: Record<string, string>, remoteAddress = '127.0.0.1') {
  return app[face].inject({
    method: 'POST',
    url: face === 'vb365' ? '/v6/token' : '/api/v3/token',
    payload: new URLSearchParams(fields).toString(),
    headers: FORM,
    remoteAddress,
  });
}

export interface Pair {
  access: string;
  refresh: string;
}

export async function login(app: TestApp, username: string, password: string, face: FaceName = 'vspc'): Promise<Pair> {
  const res = await grant(app, face, { grant_type: 'password', username, password });
  if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
  return { access: res.json().access_token, refresh: res.json().refresh_token };
}

/** Whether a bearer token authenticates: 401 means rejected; 200, or 403 for roles the route refuses, means accepted. */
export async function accepted(app: TestApp, token: string): Promise<boolean> {
  const res = await app.vspc.inject({ url: '/tally/v1/clock', headers: bearer(token) });
  return res.statusCode !== 401;
}

/** The account's uid (VSPC `userUid`) as the admin API shows it. */
export async function uidOf(app: TestApp, username: string): Promise<string> {
  const res = await app.vspc.inject({ url: `/tally/v1/users/${username}`, headers: bearer(app.adminToken) });
  if (res.statusCode !== 200) throw new Error(`user ${username}: ${res.statusCode} ${res.body}`);
  return res.json().uid;
}

export interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  actorUid: string | null;
  clientAddress: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export async function auditEntries(app: TestApp, query = ''): Promise<AuditEntryView[]> {
  const res = await app.vspc.inject({ url: `/tally/v1/audit?limit=1000${query ? `&${query}` : ''}`, headers: bearer(app.adminToken) });
  if (res.statusCode !== 200) throw new Error(`audit: ${res.statusCode} ${res.body}`);
  return res.json().entries;
}
