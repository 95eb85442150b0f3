/**
 * The rules every path that creates an account or sets a password applies (the admin API's
 * `PUT /tally/v1/users/{username}`, `tally user add`; the first-start `--admin-password` checks the
 * password in config.ts): the name normalised and checked (services/usernames.ts), not taken by
 * another case or a look-alike, and the password policy (services/passwordPolicy.ts).
 */
import type { Kysely } from 'kysely';
import { listAccounts } from '../store/accounts.js';
import type { Database } from '../store/schema.js';
import { passwordProblem } from './passwordPolicy.js';
import { nameConflict, normaliseUsername } from './usernames.js';

export type AccountPolicyOutcome =
  | { ok: true; name: string }
  | { ok: false; status: 400 | 409; field: 'username' | 'password'; message: string };

/** Checks a name (and a new password, when one is set) before an account is created or changed. */
export async function checkAccountChange(db: Kysely<Database>, rawName: string, password: string | undefined): Promise<AccountPolicyOutcome> {
  const existing = (await listAccounts(db)).map((account) => account.username);
  // An account stored before these rules (a name they would refuse) can still be changed or disabled.
  const normal = existing.includes(rawName) ? { ok: true as const, name: rawName } : normaliseUsername(rawName);
  if (!normal.ok) return { ok: false, status: 400, field: 'username', message: normal.message };
  const name = normal.name;
  if (password !== undefined) {
    const problem = passwordProblem(password, name);
    if (problem) return { ok: false, status: 400, field: 'password', message: problem };
  }
  const conflict = nameConflict(name, existing);
  if (conflict?.kind === 'same-key') {
    return { ok: false, status: 409, field: 'username', message: `the account ${conflict.existing} exists; user names are unique whatever their case` };
  }
  if (conflict?.kind === 'look-alike') {
    return { ok: false, status: 409, field: 'username', message: `the name looks like the existing account ${conflict.existing}; choose a name that cannot be mistaken for it` };
  }
  return { ok: true, name };
}
