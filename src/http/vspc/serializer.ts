/**
 * VSPC is a .NET service whose JSON writes doubles with a decimal point (`22.0`, `0.0`) and
 * integers without. The response schemas say which is which (`number` vs `integer`), so this
 * serializer walks the schema: one schema drives validation, types, documentation and the bytes.
 * Properties come out in schema order.
 */

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
};

export function formatDouble(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(1) : String(value);
}

function schemaFor(value: unknown, schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema?.anyOf) return schema;
  // Nullable unions: pick the branch matching the value.
  if (value === null) return schema.anyOf.find((s) => s.type === 'null') ?? schema.anyOf[0];
  return schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0];
}

export function renderJson(value: unknown, rawSchema: JsonSchema | undefined): string {
  const schema = schemaFor(value, rawSchema);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (schema?.type === 'integer' || !Number.isFinite(value)) return Number.isFinite(value) ? String(Math.trunc(value)) : 'null';
    return schema?.type === 'number' ? formatDouble(value) : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => renderJson(item, schema?.items)).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    const known = schema?.properties ?? {};
    for (const key of Object.keys(known)) {
      if (record[key] === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${renderJson(record[key], known[key])}`);
    }
    if (!schema?.properties || schema.additionalProperties === true || typeof schema.additionalProperties === 'object') {
      const extra = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      for (const key of Object.keys(record)) {
        if (key in known || record[key] === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${renderJson(record[key], extra)}`);
      }
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A Fastify serializer compiler for the VSPC face. */
export function vspcSerializerCompiler({ schema }: { schema: unknown }): (data: unknown) => string {
  return (data) => renderJson(data, schema as JsonSchema);
}
