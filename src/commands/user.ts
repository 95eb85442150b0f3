/**
 * `tally user add NAME --role ROLE [--role ROLE…] [--scope UID]`: creates an operator account (or
 * replaces its roles and password), `tally user list|remove|passwd`; a password is read from standard input, never from the
 * command line, so it does not end up in shell history or process lists.
 */
import { ROLES, type Role } from '../services/auth.js';
import { hashPassword } from '../services/passwords.js';
import { deleteAccount, deleteTokensOf, getAccount, listAccounts, upsertAccount } from '../store/accounts.js';
import type { Store } from '../store/database.js';
import { ConfigError } from '../config.js';
import { checkAccountChange } from '../services/accountPolicy.js';
import { checkScope } from '../services/admin/accounts.js';
import { isDomainError } from '../services/errors.js';
import { SYSTEM } from '../services/audit.js';
import { LoginThrottle } from '../services/throttle.js';
import { passwordProblem } from '../services/passwordPolicy.js';
import { unlockAccount } from '../services/unlock.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRoles(roles: readonly string[]): Role[] {
  if (roles.length === 0) throw new ConfigError(`give at least one --role (${ROLES.join(', ')})`);
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new ConfigError(`unknown role ${JSON.stringify(role)}; roles: ${ROLES.join(', ')}`);
  }
  return [...new Set(roles)] as Role[];
}

/** Reads the password: the first line of standard input (a terminal, a pipe or a file). */
export async function readPassword(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password.length < 8) throw new ConfigError('the password (read from standard input) must have at least 8 characters');
  return password;
}

export async function addUser(
  store: Store,
  rawUsername: string,
  roles: Role[],
  scope: string | undefined,
  password: string,
): Promise<{ created: boolean }> {
  if (scope !== undefined && !UUID.test(scope)) throw new ConfigError('--scope must be the uid of a reseller or company');
  // The admin API's rules: the name normalised and free of look-alikes, the password policy.
  const policy = await checkAccountChange(store.db, rawUsername, password);
  if (!policy.ok) throw new ConfigError(`the ${policy.field} is refused: ${policy.message}`);
  const username = policy.name;
  // The admin API's scope rules: roles that need a scope have one naming a reseller or company
  // that exists, and roles that cannot honour one refuse it.
  try {
    await checkScope(store.db, roles, scope?.toLowerCase() ?? null);
  } catch (error) {
    if (isDomainError(error)) throw new ConfigError(`--scope: ${error.message}`);
    throw error;
  }
  const existing = await getAccount(store.db, username);
  await upsertAccount(
    store.db,
    { username, passwordHash: await hashPassword(password), roles, scopeUid: scope?.toLowerCase() ?? null, disabled: false },
    Date.now(),
  );
  if (existing) await deleteTokensOf(store.db, username);
  return { created: !existing };
}

/** `tally user list`: one account a line, aligned, for people (no hashes, no tokens). */
export async function listUsers(store: Store): Promise<string> {
  const accounts = await listAccounts(store.db);
  const rows = [['NAME', 'ROLES', 'SCOPE', 'STATE'], ...accounts.map((a) => [a.username, a.roles.join(','), a.scopeUid ?? '-', a.disabled ? 'disabled' : 'active'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/**
 * `tally user remove NAME`: the account, its sessions and its API keys. The last active Portal
 * Administrator is kept: without one nobody could manage the installation over the API.
 */
export async function removeUser(store: Store, username: string): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    const account = await getAccount(trx, username);
    if (!account) throw new ConfigError(`no account named ${username} (tally user list shows them)`);
    if (account.roles.includes('PortalAdministrator') && !account.disabled) {
      const others = (await listAccounts(trx)).filter((a) => a.username !== username && !a.disabled && a.roles.includes('PortalAdministrator'));
      if (others.length === 0) throw new ConfigError(`${username} is the last active PortalAdministrator; add another one before removing it`);
    }
    await deleteAccount(trx, username);
  });
}

/** `tally user passwd NAME`: a new password; every session of the account ends. */
export async function changePassword(store: Store, username: string, password: string): Promise<void> {
  const account = await getAccount(store.db, username);
  if (!account) throw new ConfigError(`no account named ${username} (tally user list shows them)`);
  // The password policy of every path that sets a password (services/passwordPolicy.ts).
  const problem = passwordProblem(password, account.username);
  if (problem) throw new ConfigError(`the password is refused: ${problem}`);
  await upsertAccount(store.db, { ...account, passwordHash: await hashPassword(password) }, Date.now());
  await deleteTokensOf(store.db, username);
}

/**
 * `tally user unlock NAME`: lifts the account's login locks from the server's machine, with no
 * login needed (services/unlock.ts); recorded as `account.unlock` by `system`.
 */
export async function unlockUser(store: Store, username: string): Promise<{ username: string; cleared: number }> {
  const outcome = await unlockAccount(store.db, new LoginThrottle(store.db), SYSTEM, username);
  if (!outcome.ok) throw new ConfigError(`no account is named ${JSON.stringify(username)}`);
  return outcome;
}
