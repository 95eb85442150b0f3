/**
 * Enum rendering of the legacy console counters. The seed shows `vaC_Server_Agent`/`points`: what
 * Newtonsoft.Json's camel-case naming does to `VAC_Server_Agent`/`Points`. The `pascal` style
 * emits the enum names as the schemas define them.
 */
import type { VspcEnumStyle } from '../context.js';

/** Newtonsoft.Json `StringUtils.ToCamelCase`: lower-case the leading run of capitals. */
export function newtonsoftCamelCase(name: string): string {
  if (name === '' || !isUpper(name[0]!)) return name;
  const chars = [...name];
  for (let i = 0; i < chars.length; i++) {
    if (i === 1 && !isUpper(chars[i]!)) break;
    const hasNext = i + 1 < chars.length;
    if (i > 0 && hasNext && !isUpper(chars[i + 1]!)) {
      if (chars[i + 1] === ' ') chars[i] = chars[i]!.toLowerCase();
      break;
    }
    chars[i] = chars[i]!.toLowerCase();
  }
  return chars.join('');
}

function isUpper(c: string): boolean {
  return c !== c.toLowerCase() && c === c.toUpperCase();
}

export function renderEnum(name: string, style: VspcEnumStyle): string {
  return style === 'camel' ? newtonsoftCamelCase(name) : name;
}
