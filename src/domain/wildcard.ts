/**
 * The product's name filter (`GET /v6/LicensedUsers?name=`): `*` matches any run of characters,
 * `?` exactly one, every other character itself, case-insensitively; the whole name must match.
 *
 * Matched without a regular expression and without backtracking (issue 19: `******#` turned
 * into `.*.*.*.*.*.*#` took minutes per request). Runs of `*` collapse into one; the pattern is
 * then literal segments separated by stars: the first must start the name, the last must end it,
 * and each one between is taken at its leftmost place after the previous one (taking it further
 * right never helps a later segment). Work per name is at most (name length × pattern length),
 * whatever the pattern; nothing is ever retried.
 *
 * Case folding is the one of a regular expression with the `i` flag and no `u` flag (what the
 * filter used before), per UTF-16 code unit, so answers are unchanged.
 */

/** ECMAScript's Canonicalize for ignoreCase without the unicode flag, as a code unit. */
function fold(unit: number): number {
  const upper = String.fromCharCode(unit).toUpperCase();
  if (upper.length !== 1) return unit;
  const folded = upper.charCodeAt(0);
  return unit >= 128 && folded < 128 ? unit : folded;
}

const ANY_ONE = -1;

/** A segment as folded code units, `?` as ANY_ONE. */
function compile(segment: string): Int32Array {
  const units = new Int32Array(segment.length);
  for (let i = 0; i < segment.length; i++) units[i] = segment[i] === '?' ? ANY_ONE : fold(segment.charCodeAt(i));
  return units;
}

/** A name as folded code units (a `?` or `*` in a name is just a character). */
function foldName(name: string): Int32Array {
  const units = new Int32Array(name.length);
  for (let i = 0; i < name.length; i++) units[i] = fold(name.charCodeAt(i));
  return units;
}

/** Whether `segment` matches `name` at `at` (the caller checks that it fits). */
function matchesAt(segment: Int32Array, name: Int32Array, at: number): boolean {
  for (let i = 0; i < segment.length; i++) {
    const unit = segment[i]!;
    if (unit !== ANY_ONE && unit !== name[at + i]) return false;
  }
  return true;
}

export function wildcardMatcher(pattern: string): (name: string) => boolean {
  const parts = pattern.split(/\*+/);
  const head = compile(parts[0]!);
  if (parts.length === 1) {
    return (text) => text.length === head.length && matchesAt(head, foldName(text), 0);
  }
  const tail = compile(parts[parts.length - 1]!);
  const middle = parts.slice(1, -1).filter((part) => part.length > 0).map(compile);
  return (text) => {
    if (text.length < head.length + tail.length) return false;
    const name = foldName(text);
    if (!matchesAt(head, name, 0)) return false;
    const end = name.length - tail.length;
    if (!matchesAt(tail, name, end)) return false;
    let at = head.length;
    for (const segment of middle) {
      let found = -1;
      for (let start = at; start + segment.length <= end; start++) {
        if (matchesAt(segment, name, start)) {
          found = start;
          break;
        }
      }
      if (found < 0) return false;
      at = found + segment.length;
    }
    return true;
  };
}
