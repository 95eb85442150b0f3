import assert from 'node:assert/strict';
import { test } from 'node:test';
import Type from 'typebox';
import { newtonsoftCamelCase, renderEnum } from '../../src/http/vspc/enums.js';
import { formatDouble, renderJson } from '../../src/http/vspc/serializer.js';

test('doubles always carry a decimal point, integers never', () => {
  assert.equal(formatDouble(22), '22.0');
  assert.equal(formatDouble(0), '0.0');
  assert.equal(formatDouble(-3), '-3.0');
  assert.equal(formatDouble(1.5), '1.5');
  assert.equal(formatDouble(0.1 + 0.2), '0.30000000000000004');
  assert.equal(formatDouble(Number.NaN), 'null');
  const schema = Type.Object({ d: Type.Number(), i: Type.Integer(), s: Type.String() });
  assert.equal(renderJson({ d: 8, i: 2, s: 'x' }, schema), '{"d":8.0,"i":2,"s":"x"}');
});

test('objects render in schema order, skipping undefined, keeping null', () => {
  const schema = Type.Object({
    b: Type.Integer(),
    a: Type.Union([Type.Number(), Type.Null()]),
    c: Type.Optional(Type.String()),
    list: Type.Array(Type.Object({ y: Type.Number(), x: Type.String() })),
  });
  const value = { list: [{ x: 'p', y: 1 }], c: undefined, a: null, b: 7 };
  assert.equal(renderJson(value, schema), '{"b":7,"a":null,"list":[{"y":1.0,"x":"p"}]}');
  assert.equal(renderJson({ a: 4, b: 1 }, schema), '{"b":1,"a":4.0}');
});

test('strings are escaped as JSON', () => {
  assert.equal(renderJson({ s: 'a"b\\c\n' }, Type.Object({ s: Type.String() })), '{"s":"a\\"b\\\\c\\n"}');
});

test('Newtonsoft camel case gives the seed spellings', () => {
  const cases: [string, string][] = [
    ['VAC_Server_Agent', 'vaC_Server_Agent'],
    ['VAC_Workstation_Agent', 'vaC_Workstation_Agent'],
    ['Points', 'points'],
    ['Instances', 'instances'],
    ['CC_VM_Backup', 'cC_VM_Backup'],
    ['VBR_vSphere_VM', 'vbR_vSphere_VM'],
    ['Unknown', 'unknown'],
    ['URL', 'url'],
    ['already', 'already'],
    ['', ''],
  ];
  for (const [input, expected] of cases) assert.equal(newtonsoftCamelCase(input), expected, input);
  assert.equal(renderEnum('VAC_Server_Agent', 'pascal'), 'VAC_Server_Agent');
  assert.equal(renderEnum('VAC_Server_Agent', 'camel'), 'vaC_Server_Agent');
});
