/**
 * Request validation, the way Fastify documents for different AJV settings per part of a request
 * (Validation-and-Serialization, "Validator Compiler": one AJV instance per `httpPart`, chosen in
 * `setValidatorCompiler`). Query strings and path parameters arrive as text, so they are coerced to
 * the schema's types (`extendedView=false` → false); JSON bodies are not, so `{"name": 1}` is an
 * error rather than the string "1". Neither removes unknown fields: where a schema says
 * `additionalProperties: false`, an unknown field is an error.
 *
 * Validators are compiled when a route is registered, as Fastify does by default: a schema AJV
 * refuses stops the build of the app (and `tally serve`) at once. The two AJV instances are shared
 * by both listeners, and AJV keeps what it compiled per schema object, so the admin API's schemas,
 * carried by both listeners, are compiled once.
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { parseRfc3339 } from '../time.js';

function makeAjv(options: Options): Ajv {
  // `strict: false` would also turn off strictNumbers, and then NaN and Infinity pass as numbers
  // and integers: `?offset=1e309` coerces to Infinity, which no serializer can write (a 500).
  // `code.optimize: false` skips AJV's pass that removes redundant generated code (the validators
  // check the same things): it takes about 40 % of the compile time every start pays, against a
  // difference per request too small to measure.
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, strictNumbers: true, code: { optimize: false }, ...options });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  // `date-time` means what Tally can store: RFC 3339 with an offset (ajv-formats also accepts
  // forms such as "+0100" that the rest of Tally would not read).
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => parseRfc3339(text) !== null });
  return ajv;
}

const bodies = makeAjv({ coerceTypes: false });
const textParts = makeAjv({ coerceTypes: 'array' });

/** Where `data` holds a number that is not finite (as a JSON pointer), if anywhere. */
function nonFiniteAt(data: unknown, pointer = ''): string | undefined {
  if (typeof data === 'number') return Number.isFinite(data) ? undefined : pointer;
  if (data !== null && typeof data === 'object') {
    for (const [key, value] of Object.entries(data)) {
      const found = nonFiniteAt(value, `${pointer}/${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Text parts are checked once more after coercion: AJV turns `?offset=1e309` into Infinity after
 * its type check passed (strictNumbers does not see coerced values), and Infinity would reach the
 * handlers and the serializers (a 500 instead of a 400). Text parts are always objects (query,
 * params, headers), which AJV coerces in place, so the wrapper needs no parent object from Fastify.
 */
function compileTextPart(schema: object) {
  const validate = textParts.compile(schema);
  const checked = (data: unknown): boolean => {
    if (!validate(data)) {
      checked.errors = validate.errors;
      return false;
    }
    const pointer = nonFiniteAt(data);
    checked.errors = pointer === undefined ? null : [{ keyword: 'type', instancePath: pointer, schemaPath: '', params: { type: 'number' }, message: 'must be a finite number' }];
    return pointer === undefined;
  };
  checked.errors = null as typeof validate.errors | undefined;
  return checked;
}

/** For `app.setValidatorCompiler`: bodies by the strict instance, everything else coerced. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodies.compile(schema as object) : compileTextPart(schema as object)) as ReturnType<FastifySchemaCompiler<unknown>>;
