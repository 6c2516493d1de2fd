/**
 * CloudFormation intrinsic functions, resolved "sensibly" for offline checks: what a template
 * value reads as once deployed, with the parts only CloudFormation knows (references, attributes,
 * imports) kept as `{{...}}` placeholders. `wildcard()` turns those placeholders into `*`, so a
 * rendered ARN or action can be matched like an IAM wildcard.
 */

const NO_VALUE = 'AWS::NoValue';

/** Pseudo parameters whose value does not depend on the account (the commercial partition). */
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };

/** True for `{ "Ref": "AWS::NoValue" }`, which removes the property or list item it stands in. */
export function isNoValue(v: unknown): boolean {
  return isObject(v) && v.Ref === NO_VALUE;
}

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The single intrinsic function of `v`, if `v` is `{ "Fn::X": ... }` or `{ "Ref": ... }`. */
export function intrinsic(v: unknown): [string, any] | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1 || !(keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return undefined;
  return [keys[0], v[keys[0]]];
}

/**
 * The alternatives a value can take: `Fn::If` yields both branches (recursively), `AWS::NoValue`
 * yields nothing, anything else is itself.
 */
export function alternatives(v: unknown): unknown[] {
  if (isNoValue(v)) return [];
  const fn = intrinsic(v);
  if (fn && fn[0] === 'Fn::If' && Array.isArray(fn[1])) return [...alternatives(fn[1][1]), ...alternatives(fn[1][2])];
  return [v];
}

/**
 * A value that IAM reads as "one or a list" (Action, Resource, condition values): the items, each
 * branch of `Fn::If` included, `AWS::NoValue` dropped.
 */
export function listOf(v: unknown): unknown[] {
  return alternatives(v).flatMap((x) => (Array.isArray(x) ? x.flatMap(alternatives) : [x]));
}

/** A template value as a string, with `{{...}}` placeholders for what only CloudFormation resolves. */
export function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const fn = intrinsic(v);
  if (!fn) return `{{${JSON.stringify(v)}}}`;
  const [name, arg] = fn;
  switch (name) {
    case 'Ref':
      return PSEUDO[arg] ?? `{{Ref:${arg}}}`;
    case 'Fn::GetAtt':
      return `{{GetAtt:${Array.isArray(arg) ? arg.map(render).join('.') : render(arg)}}}`;
    case 'Fn::Join':
      return Array.isArray(arg) && Array.isArray(arg[1]) ? arg[1].flatMap(alternatives).map(render).join(render(arg[0])) : '{{Join}}';
    case 'Fn::Sub': {
      const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1] ?? {}] : [arg, {}];
      return String(text).replace(/\$\{([^}!][^}]*)\}/g, (_m, k: string) => (k in vars ? render(vars[k]) : k.includes('.') ? `{{GetAtt:${k}}}` : PSEUDO[k] ?? `{{Ref:${k}}}`));
    }
    case 'Fn::ImportValue':
      return `{{ImportValue:${render(arg)}}}`;
    default:
      return `{{${name}}}`;
  }
}

/** `render` with every placeholder as `*`, for matching against IAM wildcards. */
export function wildcard(v: unknown): string {
  return render(v).replace(/\{\{.*?\}\}/g, '*');
}

/** True when the rendered value holds a placeholder. */
export function hasPlaceholder(s: string): boolean {
  return /\{\{.*?\}\}/.test(s);
}

/**
 * An IAM-style glob (`*` any run, `?` one character) as a case-insensitive or case-sensitive
 * regular expression.
 */
export function globRegExp(glob: string, caseInsensitive = true): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseInsensitive ? 'i' : '');
}
