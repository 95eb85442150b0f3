/**
 * Request validation with two AJV instances: query strings and path parameters arrive as text, so
 * they are coerced to the schema's types (`extendedView=false` → false); JSON bodies are not, so
 * `{"name": 1}` is an error rather than the string "1". Neither removes unknown fields: where a
 * schema says `additionalProperties: false`, an unknown field is an error.
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { parseRfc3339 } from '../time.js';

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, ...options });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  // `date-time` means what Tally can store: RFC 3339 with an offset (ajv-formats also accepts
  // forms such as "+0100" that the rest of Tally would not read).
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => parseRfc3339(text) !== null });
  return ajv;
}

const bodies = makeAjv({ coerceTypes: false });
const textParts = makeAjv({ coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodies : textParts).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
