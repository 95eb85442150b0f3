/**
 * Parses a JSON answer the way a client generated from an OpenAPI 3.0 document does
 * (openapi-python-client, oapi-codegen, NSwag): each model is built from its declared properties,
 * and the first value the model cannot hold is an error.
 *
 * - an object-typed property must be a JSON object, never null, unless the document marks it
 *   `nullable` (a generated client calls `Model.from_dict(value)` on it);
 * - a string must be a string (a `date-time` one an instant the client can parse, a `uuid` one a
 *   UUID), an integer an integer (int32 within its range), a number a number, a boolean a boolean;
 * - an enum value must be one of the enum's values (generated enums raise on unknown values);
 * - arrays hold items of their item model; `allOf` parts all apply, `oneOf`/`anyOf` take the
 *   first branch that parses, `$ref`s are followed;
 * - a required property must be present. Properties the model does not declare are kept aside as
 *   generated models do (`additional_properties`), so they are not errors here (the conformance
 *   suites check those).
 */

export type OpenApiSchema = Record<string, any>;

export class ModelError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 3339 date-time as dateutil's isoparse and .NET read it (fraction and offset optional). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export class StrictModels {
  constructor(private readonly components: Record<string, OpenApiSchema> = {}) {}

  private resolve(schema: OpenApiSchema): OpenApiSchema {
    let s = schema;
    for (let depth = 0; s.$ref && depth < 32; depth++) {
      const name = String(s.$ref).split('/').pop()!;
      const target = this.components[name];
      if (!target) throw new Error(`unknown model ${s.$ref}`);
      s = target;
    }
    return s;
  }

  /** Throws a ModelError naming the first path a generated model cannot parse. */
  parse(value: unknown, schema: OpenApiSchema, where = '$'): void {
    const s = this.resolve(schema);
    if (value === null) {
      if (s.nullable === true || (Array.isArray(s.type) && s.type.includes('null'))) return;
      // `allOf: [$ref]` with `nullable` beside it is how 3.0 documents make a reference nullable.
      throw new ModelError(`${where}: null where the model expects ${describe(s)}`);
    }
    if (s.allOf) {
      for (const part of s.allOf) this.parse(value, part, where);
    }
    for (const key of ['oneOf', 'anyOf'] as const) {
      if (!s[key]) continue;
      const errors: string[] = [];
      for (const branch of s[key] as OpenApiSchema[]) {
        try {
          this.parse(value, branch, where);
          errors.length = 0;
          break;
        } catch (error) {
          if (!(error instanceof ModelError)) throw error;
          errors.push(error.message);
        }
      }
      if (errors.length > 0) throw new ModelError(`${where}: no ${key} branch parses (${errors.join('; ')})`);
    }
    const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
    if (s.enum && !s.enum.includes(value)) throw new ModelError(`${where}: ${JSON.stringify(value)} is not one of ${s.enum.join(', ')}`);
    switch (type ?? (s.properties ? 'object' : undefined)) {
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) throw new ModelError(`${where}: ${JSON.stringify(value)} where the model expects an object`);
        const record = value as Record<string, unknown>;
        for (const name of (s.required ?? []) as string[]) {
          if (!(name in record)) throw new ModelError(`${where}: the required property ${name} is missing`);
        }
        for (const [name, child] of Object.entries<OpenApiSchema>(s.properties ?? {})) {
          if (record[name] !== undefined) this.parse(record[name], child, `${where}.${name}`);
        }
        if (s.additionalProperties && typeof s.additionalProperties === 'object') {
          for (const [name, child] of Object.entries(record)) {
            if (!(name in (s.properties ?? {}))) this.parse(child, s.additionalProperties, `${where}.${name}`);
          }
        }
        return;
      }
      case 'array':
        if (!Array.isArray(value)) throw new ModelError(`${where}: ${JSON.stringify(value)} where the model expects an array`);
        if (s.items) value.forEach((item, i) => this.parse(item, s.items, `${where}[${i}]`));
        return;
      case 'string':
        if (typeof value !== 'string') throw new ModelError(`${where}: ${JSON.stringify(value)} where the model expects a string`);
        if (s.format === 'uuid' && !UUID.test(value)) throw new ModelError(`${where}: ${JSON.stringify(value)} is not a uuid`);
        if (s.format === 'date-time' && (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))) {
          throw new ModelError(`${where}: ${JSON.stringify(value)} is not a date-time`);
        }
        return;
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw new ModelError(`${where}: ${JSON.stringify(value)} where the model expects an integer`);
        if (s.format === 'int32' && (value < -2147483648 || value > 2147483647)) throw new ModelError(`${where}: ${value} is beyond int32`);
        return;
      case 'number':
        if (typeof value !== 'number') throw new ModelError(`${where}: ${JSON.stringify(value)} where the model expects a number`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') throw new ModelError(`${where}: ${JSON.stringify(value)} where the model expects a boolean`);
        return;
      default:
        return;
    }
  }
}

function describe(s: OpenApiSchema): string {
  if (s.enum) return `one of ${s.enum.join(', ')}`;
  return String((Array.isArray(s.type) ? s.type.join('|') : s.type) ?? (s.properties ? 'object' : s.allOf ? 'a model' : 'a value'));
}
