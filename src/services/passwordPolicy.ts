/**
 * The password policy of every path that sets a password: the admin API (`PUT
 * /tally/v1/users/{username}`), `tally user add`, and the first-start admin password
 * (`--admin-password`). docs/security.md, "Password policy", says why:
 *
 * - at least 8 characters (Unicode code points) and at most 1024; NIST SP 800-63B's floor for
 *   passwords a person chooses, with a check against common ones instead of composition rules;
 * - not only white space (eight spaces are no password);
 * - not one of the most common passwords (services/commonPasswords.ts, compared case-insensitively
 *   and with surrounding white space removed);
 * - not the account's own name.
 */
import { COMMON_PASSWORDS_TEXT } from './commonPasswords.js';
import { usernameKey } from './usernames.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(COMMON_PASSWORDS_TEXT.split('\n').filter((line) => line !== ''));
  return common;
}

/** Why a password is refused, in words for the person who chose it; undefined when it is acceptable. */
export function passwordProblem(password: string, username?: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `the password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.trim() === '') return 'the password may not be only white space';
  const folded = password.trim().toLowerCase();
  if (commonPasswords().has(folded)) return 'the password is one of the most common passwords; choose another';
  if (username !== undefined && usernameKey(password.trim()) === usernameKey(username)) return 'the password may not be the user name';
  return undefined;
}
