/**
 * Account names: what a name may be, the key under which names are unique, and the look-alike
 * check (docs/security.md, "Account names").
 *
 * - A name is stored in Unicode NFC (the admin API, `tally user add` and the login normalise what
 *   they are given), 1 to 200 characters, with no white space, no `/`, and no character of the
 *   categories Cc (control), Cf (format: zero-width space/joiners, bidi embeddings, overrides and
 *   isolates, the BOM, soft hyphen), Zl/Zp/Zs, Co (private use), Cn (unassigned) or Cs, nor the
 *   invisible fillers that are letters to Unicode (Hangul fillers, braille blank).
 * - Uniqueness is case-insensitive: `usernameKey` (NFC, then full-ish case folding by upper- then
 *   lower-casing, so `ß` and `SS` fold together) is the same for `ADMIN` and `admin`, and a new
 *   name whose key is taken is refused. Logins still use the exact stored name.
 * - A new name whose **skeleton** equals that of an existing name (another key) is refused as a
 *   look-alike: `аdmin` (Cyrillic а) beside `admin`, `adm1n`, `admín`. The skeleton is NFKD with
 *   combining marks removed, case-folded, then a small table of common confusables mapped to
 *   Latin (Cyrillic and Greek letters that look Latin, digits 0/1/5 and `|`, fullwidth forms via
 *   NFKD, `rn` → `m`, `vv` → `w`). Limits: the table is a small subset of Unicode's
 *   confusables.txt (UTS #39), covering Latin, Cyrillic and Greek look-alikes only; scripts such as
 *   Armenian or Cherokee and rarer symbols are not mapped, and two names that are both new at the
 *   same moment on two nodes are not compared with each other.
 */

/** Letters that render as blank space although Unicode calls them letters. */
const INVISIBLE_LETTERS = /[\u115F\u1160\u3164\uFFA0\u2800\u034F\u17B4\u17B5]/u;
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}\p{Co}\p{Cn}\p{Cs}\s\/]/u;

export type UsernameProblem = 'length' | 'characters';

/** The name in NFC, or why it cannot be an account name. */
export function normaliseUsername(raw: string): { ok: true; name: string } | { ok: false; problem: UsernameProblem; message: string } {
  const name = raw.normalize('NFC');
  const length = [...name].length;
  if (length < 1 || length > 200) return { ok: false, problem: 'length', message: 'a user name has 1 to 200 characters' };
  if (FORBIDDEN.test(name) || INVISIBLE_LETTERS.test(name)) {
    return {
      ok: false,
      problem: 'characters',
      message: 'a user name may not hold white space, "/", control, format (zero-width, bidi), private-use or unassigned characters',
    };
  }
  return { ok: true, name };
}

/** The key under which names are unique: NFC, case-folded. */
export function usernameKey(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/** Confusables mapped to the Latin letter they look like (after NFKD, marks removed, lower case). */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'з': '3', 'і': 'i', 'ї': 'i', 'ј': 'j', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p',
  'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'ԁ': 'd', 'һ': 'h', 'ӏ': 'l', 'ԛ': 'q', 'ԝ': 'w', 'ь': 'b', 'г': 'r',
  // Greek
  'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
  'γ': 'y', 'ω': 'w', 'μ': 'u', 'ϲ': 'c', 'ϳ': 'j',
  // Latin look-alikes
  'ı': 'i', 'ɩ': 'i', 'ǀ': 'l', 'ɡ': 'g', 'ɑ': 'a', 'ʏ': 'y', 'ᴠ': 'v', 'ꞵ': 'b',
  // Digits and symbols
  '0': 'o', '1': 'l', 'i': 'l', '|': 'l', '5': 's', '$': 's', '@': 'a',
};

/** The look-alike skeleton of a name: two names with the same skeleton are too easy to mistake. */
export function usernameSkeleton(name: string): string {
  const folded = name.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase().toLowerCase();
  let mapped = '';
  for (const char of folded) {
    // Twice: a Cyrillic і maps to i, which maps on to l like the Latin i.
    const once = CONFUSABLES[char] ?? char;
    mapped += CONFUSABLES[once] ?? once;
  }
  return mapped.replace(/rn/g, 'm').replace(/vv/g, 'w');
}

export type NameConflict = { kind: 'same-key' | 'look-alike'; existing: string };

/**
 * Whether a new name collides with one of `existing`: the same key (`ADMIN` beside `admin`) or
 * the same skeleton (`аdmin` beside `admin`). An existing name equal to `name` itself is the
 * account being updated and no conflict.
 */
export function nameConflict(name: string, existing: Iterable<string>): NameConflict | undefined {
  const key = usernameKey(name);
  const skeleton = usernameSkeleton(name);
  let lookAlike: string | undefined;
  for (const other of existing) {
    if (other === name) return undefined;
    if (usernameKey(other) === key) return { kind: 'same-key', existing: other };
    if (lookAlike === undefined && usernameSkeleton(other) === skeleton) lookAlike = other;
  }
  return lookAlike === undefined ? undefined : { kind: 'look-alike', existing: lookAlike };
}
