/** First-start set-up: the `admin` account (contract §2). */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { upsertAccount } from '../store/accounts.js';
import { countRows } from '../store/entities.js';
import type { Database } from '../store/schema.js';
import { hashPassword } from './passwords.js';

/**
 * Creates `admin` (PortalAdministrator + Vb365Administrator) when no account exists yet. Returns
 * the generated password when none was given, so the caller can print it once.
 */
export async function ensureAdminAccount(
  db: Kysely<Database>,
  password: string | undefined,
): Promise<{ created: boolean; generatedPassword?: string }> {
  if ((await countRows(db, 'accounts')) > 0) return { created: false };
  const chosen = password ?? randomBytes(12).toString('base64url');
  await upsertAccount(
    db,
    {
      username: 'admin',
      passwordHash: await hashPassword(chosen),
      roles: ['PortalAdministrator', 'Vb365Administrator'],
      scopeUid: null,
      disabled: false,
    },
    Date.now(),
  );
  return password === undefined ? { created: true, generatedPassword: chosen } : { created: true };
}
