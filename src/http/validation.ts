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

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiles the request validators no request has needed yet (see lazyValidators). */
    compilePendingValidators(): Promise<number>;
  }
}

function makeAjv(options: Options): Ajv {
  // `strict: false` would also turn off strictNumbers, and then NaN and Infinity pass as numbers
  // and integers: `?offset=1e309` coerces to Infinity, which no serializer can write (a 500).
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, strictNumbers: true, ...options });
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
 * handlers and the serializers (a 500 instead of a 400).
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

/**
 * The validators a route would need, compiled on first use. AJV compiles each schema to a function
 * by generating and evaluating code, about 0.15 s for all of Tally's routes, which every start
 * would pay before the first answer. A start compiles nothing; the first request of a route
 * compiles that route's validators (a few ms), and `compilePending` compiles the rest once the
 * server is listening, so later requests do not pay either and a broken schema still shows itself
 * at start (serve stops), not on a rare route weeks later.
 *
 * One set per app (`app.ts` makes it and clears it when the app closes), so that closed apps'
 * schemas are not kept or compiled.
 */
type Validator = ((data: unknown, context?: unknown) => boolean) & { errors?: unknown; schemaEnv?: unknown };

export interface LazyValidators {
  /** For `app.setValidatorCompiler`. */
  compiler: FastifySchemaCompiler<unknown>;
  /**
   * Compiles the validators no request has needed yet, a few at a time between the event loop's
   * other work so that requests arriving meanwhile are not held up. Resolves with how many it
   * compiled; rejects with the first schema AJV refuses (which stays pending, and refuses again).
   */
  compilePending(perTurn?: number): Promise<number>;
  /** Forgets the validators not compiled yet (the app closed). */
  clear(): void;
}

export function lazyValidators(): LazyValidators {
  const pending = new Set<() => Validator>();

  function lazily(compile: () => Validator): Validator {
    let validate: Validator | undefined;
    let refused: Error | undefined;
    const compileOnce = (): Validator => {
      if (validate) return validate;
      // A schema AJV refused is not compiled again on every request: the same error each time.
      if (refused) throw refused;
      try {
        validate = compile();
      } catch (error) {
        refused = error as Error;
        throw error;
      }
      pending.delete(compileOnce);
      return validate;
    };
    pending.add(compileOnce);
    const lazy: Validator = (data, context) => {
      const compiled = validate ?? compileOnce();
      const valid = compiled(data, context);
      lazy.errors = compiled.errors;
      return valid;
    };
    lazy.errors = null;
    // Fastify passes the parent object (which lets AJV replace a root value, for coercion or
    // defaults) only to validators that carry AJV's schemaEnv, as compiled ones do.
    lazy.schemaEnv = true;
    return lazy;
  }

  return {
    compiler: ({ schema, httpPart }) =>
      lazily(() => (httpPart === 'body' ? bodies.compile(schema as object) : compileTextPart(schema as object)) as Validator) as ReturnType<FastifySchemaCompiler<unknown>>,
    async compilePending(perTurn = 8) {
      let compiled = 0;
      while (pending.size > 0) {
        for (const compile of [...pending].slice(0, perTurn)) {
          compile();
          compiled++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      return compiled;
    },
    clear() {
      pending.clear();
    },
  };
}
