import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '../../lib';

// jsii exports classes, interfaces and enums to Python, Java, .NET and Go, and silently drops free
// functions and constants. The public entry point (lib/index.ts) therefore exports nothing else,
// and every name the documentation tells a user to import must be one of its exports.
const root = join(__dirname, '..', '..');
const indexSource = readFileSync(join(root, 'lib', 'index.ts'), 'utf8');
const exported = new Set([...indexSource.matchAll(/export \{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean)));

test('every runtime export of the public API is a class (no free functions, no constants)', () => {
  // Interfaces re-exported by `export { … }` appear as undefined bindings under swc: they are types only.
  const notClasses = Object.entries(api).filter(([, v]) => v !== undefined).filter(([, v]) => !(typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v))));
  expect(notClasses.map(([k]) => k)).toEqual([]);
  expect(Object.keys(api).length).toBeGreaterThan(40);
});

test('the entry points that used to be free functions are static methods of DataProtection', () => {
  for (const m of ['classify', 'addPacks', 'acknowledge', 'accountsFromContext', 'acknowledgeInlinePolicy', 'acknowledgeManagedPolicy', 'forceTls']) {
    expect(typeof (api.DataProtection as unknown as Record<string, unknown>)[m]).toBe('function');
  }
  expect(api.DataProtection.CLASSIFICATION_TAG).toBe('data-classification');
});

function docs(): Array<[string, string]> {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`), ...readdirSync(join(root, 'examples')).map((e) => `examples/${e}/README.md`)];
  return files.map((f) => [f, readFileSync(join(root, f), 'utf8')]);
}

test('every name the docs import from cdk-data-protection is exported', () => {
  const missing: string[] = [];
  for (const [file, text] of docs()) {
    for (const m of text.matchAll(/import \{([^}]*)\} from 'cdk-data-protection'/g)) {
      for (const name of m[1].split(',').map((n) => n.trim().replace(/^type /, '')).filter(Boolean)) if (!exported.has(name)) missing.push(`${file}: ${name}`);
    }
  }
  expect(missing).toEqual([]);
});

test('the docs call DataProtection.<method> only for methods that exist', () => {
  const missing: string[] = [];
  for (const [file, text] of docs()) {
    for (const m of text.matchAll(/\bDataProtection\.([A-Za-z_]+)/g)) if (!(m[1] in api.DataProtection)) missing.push(`${file}: DataProtection.${m[1]}`);
  }
  expect(missing).toEqual([]);
});

test('the docs show no free function that the public API no longer has', () => {
  const internalOnly = /(?<![.\w])(classify|addDataProtectionPacks|accountsFromContext|acknowledgeInlinePolicy|acknowledgeManagedPolicy)\(/;
  const offending = docs().filter(([, text]) => [...text.matchAll(/```ts\n([\s\S]*?)```/g)].some((b) => internalOnly.test(b[1])));
  expect(offending.map(([f]) => f)).toEqual([]);
});
