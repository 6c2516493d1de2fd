/**
 * Step Functions state machines of synthesized templates, checked against the AWS SDK v3 models
 * (./sdk-models.ts) and the IAM data (./iam-data.ts):
 *
 * - every `arn:aws:states:::aws-sdk:<service>:<action>` task names an operation of the service's
 *   SDK client;
 * - its `Parameters` (JSONPath) or `Arguments` (JSONata) keys are members of the input shape,
 *   nested structures and lists of structures included, and every required member is given;
 * - every path read from its result — in its `ResultSelector`, `OutputPath`, JSONata `Output` /
 *   `Assign` (`$states.result...`), and in any later state that reads the `ResultPath` it wrote
 *   before something overwrites it — is in the output shape;
 * - the state machine's role allows `<iam prefix>:<Action>` and, where a role ARN is passed,
 *   `iam:PassRole` on it.
 *
 * Amazon States Language: https://states-language.net/spec.html (ResultPath, ResultSelector,
 * InputPath/OutputPath, Choice rules, Parallel and Map input); Step Functions Developer Guide,
 * "AWS SDK service integrations" (resource ARN syntax, PascalCase parameters).
 */
import { resourcesOf, SynthesizedTemplate, where } from './apps';
import { IamCatalog } from './iam-data';
import { globRegExp, hasPlaceholder, intrinsic, isObject, listOf, render, wildcard } from './intrinsics';
import { statementsOf } from './policies';
import { member, memberNames, SdkOperation, sdkOperation, Shape } from './sdk-models';

export interface FoundStateMachine {
  readonly where: string;
  readonly template: SynthesizedTemplate;
  readonly logicalId: string;
  readonly definition: Record<string, any>;
  /** The role's logical id, when the role is in the same template. */
  readonly roleLogicalId?: string;
}

export interface SdkTask {
  readonly machine: FoundStateMachine;
  readonly name: string;
  readonly state: Record<string, any>;
  /** The `States` map the task lives in (its successors are there). */
  readonly scope: Record<string, Record<string, any>>;
  readonly service: string;
  readonly action: string;
}

const SDK_RESOURCE = /^arn:[^:]+:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)(?:\.[A-Za-z]+)?$/;

/** The definition of a state machine resource, intrinsic functions rendered (./intrinsics.ts). */
export function definitionOf(resource: { Properties?: Record<string, any> }): Record<string, any> {
  const p = resource.Properties ?? {};
  if (p.Definition) return p.Definition;
  let text = render(p.DefinitionString);
  for (const [k, v] of Object.entries<unknown>(p.DefinitionSubstitutions ?? {})) text = text.split(`\${${k}}`).join(render(v));
  return JSON.parse(text);
}

/** Every state machine of the templates. */
export function findStateMachines(templates: SynthesizedTemplate[]): FoundStateMachine[] {
  const out: FoundStateMachine[] = [];
  for (const [t, id, r] of resourcesOf(templates)) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const role = intrinsic(r.Properties?.RoleArn);
    const roleLogicalId = role && role[0] === 'Fn::GetAtt' ? String(role[1][0]) : undefined;
    out.push({ where: where(t, id), template: t, logicalId: id, definition: definitionOf(r), roleLogicalId });
  }
  return out;
}

type States = Record<string, Record<string, any>>;

/** Calls `visit` for every state, nested ones (Parallel branches, Map processors) included. */
export function walkStates(definition: Record<string, any>, visit: (name: string, state: Record<string, any>, scope: States) => void): void {
  const walk = (scope: States) => {
    for (const [name, state] of Object.entries(scope ?? {})) {
      visit(name, state, scope);
      for (const b of state.Branches ?? []) walk(b.States);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) walk(processor.States);
    }
  };
  walk(definition.States);
}

/** Every `aws-sdk:` task of the state machines. */
export function findSdkTasks(machines: FoundStateMachine[]): SdkTask[] {
  const out: SdkTask[] = [];
  for (const machine of machines) {
    walkStates(machine.definition, (name, state, scope) => {
      if (state.Type !== 'Task' || typeof state.Resource !== 'string') return;
      const m = SDK_RESOURCE.exec(state.Resource);
      if (m) out.push({ machine, name, state, scope, service: m[1], action: m[2] });
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shapes and paths

/**
 * The segments of a JSONPath (`$.a.b[0].c` → a, b, [0], c), or undefined when it is not a path
 * from the root. A construct not modelled here (a function call) ends it: only the prefix before
 * it is checked.
 */
export function pathSegments(path: string): string[] | undefined {
  if (path === '$') return [];
  if (!path.startsWith('$.') && !path.startsWith('$[')) return undefined;
  const out: string[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\[([^\]]*)\]/y;
  let at = 1;
  while (at < path.length) {
    re.lastIndex = at;
    const m = re.exec(path);
    if (!m) {
      // `$.a.length()`: the name before a call is the call's, not a member.
      if (path.charAt(at) === '(') out.pop();
      break;
    }
    out.push(m[1] !== undefined ? m[1] : `[${m[2]}]`);
    at = re.lastIndex;
  }
  return out;
}

/** Why `segments` do not lead anywhere in `shape` (undefined when they do, or when the shape allows anything). */
export function pathError(shape: Shape | 'any', segments: string[]): string | undefined {
  let s: Shape | 'any' = shape;
  for (const [i, seg] of segments.entries()) {
    if (s === 'any' || s.isDocumentSchema()) return undefined;
    if (seg.startsWith('[')) {
      if (!s.isListSchema()) return `'${seg}' indexes ${s.getName() ?? 'a value'}, not a list`;
      s = s.getValueSchema();
      continue;
    }
    if (s.isMapSchema()) {
      s = s.getValueSchema();
      continue;
    }
    if (s.isListSchema()) return `'${seg}' is read from a list (${s.getName()}) without an index`;
    const m = member(s, seg);
    if (!m) return `'${segments.slice(0, i + 1).join('.')}' is not in ${s.getName() ?? 'the shape'} (members: ${memberNames(s).join(', ')})`;
    s = m;
  }
  return undefined;
}

/** JSONPaths read by a string: a plain path, or the paths inside intrinsic functions (`States.Format('{}', $.a.b)`). */
export function pathsIn(text: string): string[] {
  if (text.startsWith('$$')) return [];
  if (/^\$(\.|\[|$)/.test(text) && !text.includes('(')) return [text];
  return [...text.matchAll(/(?<![\w$.])\$((?:\.[A-Za-z0-9_-]+|\[[^\]]*\])+)/g)].map((m) => `$${m[1]}`);
}

/** JSONPaths a payload template (Parameters, ItemSelector, ResultSelector) reads: the values of its `.$` fields. */
export function payloadReads(payload: unknown): string[] {
  if (Array.isArray(payload)) return payload.flatMap(payloadReads);
  if (!isObject(payload)) return [];
  return Object.entries(payload).flatMap(([k, v]) => (k.endsWith('.$') && typeof v === 'string' ? pathsIn(v) : payloadReads(v)));
}

function choiceReads(rule: Record<string, any>): string[] {
  const out: string[] = [];
  if (typeof rule.Variable === 'string') out.push(...pathsIn(rule.Variable));
  for (const [k, v] of Object.entries(rule)) if (k.endsWith('Path') && typeof v === 'string') out.push(...pathsIn(v));
  for (const r of [...(rule.And ?? []), ...(rule.Or ?? []), ...(rule.Not ? [rule.Not] : [])]) out.push(...choiceReads(r));
  return out;
}

/** JSONPaths a state reads from its input (before its own result is applied). */
export function inputReads(state: Record<string, any>): string[] {
  const out: string[] = [];
  const direct = ['InputPath', 'ItemsPath', 'SecondsPath', 'TimestampPath', 'CausePath', 'ErrorPath', 'TimeoutSecondsPath', 'HeartbeatSecondsPath', 'MaxConcurrencyPath', 'ToleratedFailureCountPath', 'ToleratedFailurePercentagePath'];
  for (const k of direct) if (typeof state[k] === 'string') out.push(...pathsIn(state[k]));
  // With an InputPath, Parameters read from the selected part of the input: not followed here.
  if (state.InputPath === undefined || state.InputPath === '$') {
    out.push(...payloadReads(state.Parameters), ...payloadReads(state.ItemSelector), ...payloadReads(state.Credentials));
  }
  for (const c of state.Choices ?? []) out.push(...choiceReads(c));
  return out;
}

/** The paths of the result a state's `ResultPath` writes to (undefined: the result is discarded). */
function resultPath(state: Record<string, any>): string | null {
  if (!('ResultPath' in state)) return ['Task', 'Pass', 'Map', 'Parallel'].includes(state.Type) ? '$' : null;
  return state.ResultPath;
}

function isPrefixPath(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** Whether a state replaces the data at `bound` (or all of it) in its output. */
function overwrites(state: Record<string, any>, bound: string): boolean {
  if (state.OutputPath !== undefined && state.OutputPath !== '$') return true;
  if (state.Type === 'Pass' && state.Result === undefined && state.Parameters === undefined) return false; // passes its input through
  const rp = resultPath(state);
  return rp !== null && (isPrefixPath(rp, bound) || isPrefixPath(bound, rp));
}

/** The successors of a state in its scope (`withCatch`: also its Catch targets). */
function successors(state: Record<string, any>, withCatch: boolean): Array<{ next: string; catcher?: Record<string, any> }> {
  const out: Array<{ next: string; catcher?: Record<string, any> }> = [];
  if (state.Next) out.push({ next: state.Next });
  if (state.Default) out.push({ next: state.Default });
  for (const c of state.Choices ?? []) if (c.Next) out.push({ next: c.Next });
  if (withCatch) for (const c of state.Catch ?? []) out.push({ next: c.Next, catcher: c });
  return out;
}

/** The shape of what a task writes at its ResultPath: the output shape, or what its ResultSelector makes of it. */
function resultShape(task: SdkTask, op: SdkOperation, findings: string[]): Shape | 'any' | Record<string, Shape | 'any'> {
  const selector = task.state.ResultSelector;
  if (!isObject(selector)) return op.output;
  const out: Record<string, Shape | 'any'> = {};
  for (const [k, v] of Object.entries(selector)) {
    const name = k.endsWith('.$') ? k.slice(0, -2) : k;
    if (!k.endsWith('.$') || typeof v !== 'string') {
      out[name] = 'any';
      continue;
    }
    const paths = pathsIn(v);
    for (const p of paths) {
      const segs = pathSegments(p);
      const err = segs && pathError(op.output, segs);
      if (err) findings.push(`ResultSelector '${k}' reads ${p}: ${err}`);
    }
    const single = /^\$[.[]/.test(v) && !v.includes('(') ? pathSegments(v) : undefined;
    out[name] = single ? shapeAt(op.output, single) : 'any';
  }
  return out;
}

function shapeAt(shape: Shape, segments: string[]): Shape | 'any' {
  let s: Shape = shape;
  for (const seg of segments) {
    if (s.isDocumentSchema()) return 'any';
    const next = seg.startsWith('[') ? (s.isListSchema() ? s.getValueSchema() : undefined) : s.isMapSchema() ? s.getValueSchema() : member(s, seg);
    if (!next) return 'any';
    s = next;
  }
  return s;
}

function boundError(bound: Shape | 'any' | Record<string, Shape | 'any'>, segments: string[]): string | undefined {
  if (bound === 'any') return undefined;
  if (typeof (bound as Shape).isStructSchema === 'function') return pathError(bound as Shape, segments);
  const sel = bound as Record<string, Shape | 'any'>;
  if (segments.length === 0) return undefined;
  if (!(segments[0] in sel)) return `'${segments[0]}' is not a field of its ResultSelector (${Object.keys(sel).join(', ')})`;
  return pathError(sel[segments[0]], segments.slice(1));
}

/**
 * The paths later states read from what the task wrote at its ResultPath, each with the state
 * that reads it: a walk over Next/Default/Choices (and the Catch targets of later states), into
 * Parallel branches, stopping where a state overwrites that path.
 */
function laterReads(task: SdkTask, bound: string): Array<{ state: string; path: string }> {
  const out: Array<{ state: string; path: string }> = [];
  const seen = new Set<string>();
  const visitScope = (scope: States, start: Array<{ next: string; catcher?: Record<string, any> }>) => {
    const queue = [...start];
    while (queue.length > 0) {
      const { next, catcher } = queue.shift()!;
      if (catcher && catcher.ResultPath !== null && isPrefixPath(catcher.ResultPath ?? '$', bound)) continue;
      const key = `${JSON.stringify(Object.keys(scope))}/${next}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const state = scope[next];
      if (!state) continue;
      for (const p of inputReads(state)) out.push({ state: next, path: p });
      if (state.Type === 'Parallel') for (const b of state.Branches ?? []) visitScope(b.States, [{ next: b.StartAt }]);
      if (overwrites(state, bound)) continue;
      if (typeof state.OutputPath === 'string') out.push({ state: next, path: state.OutputPath });
      queue.push(...successors(state, true));
    }
  };
  visitScope(task.scope, successors(task.state, false));
  return out;
}

/**
 * The paths read from a (JSONPath) task's result: its OutputPath and the reads of later states
 * under its ResultPath, each with the state that reads it.
 */
export function resultReads(task: SdkTask): Array<{ state: string; path: string }> {
  const bound = resultPath(task.state);
  if (bound === null) return [];
  const reads = [...(typeof task.state.OutputPath === 'string' ? [{ state: task.name, path: task.state.OutputPath }] : []), ...laterReads(task, bound)];
  return reads.filter((r) => isPrefixPath(bound, r.path) && r.path !== bound);
}

/** Findings for the task's input: unknown members (nested too) and missing required members. */
function inputFindings(op: SdkOperation, payload: unknown, field: string, jsonata: boolean): string[] {
  const out: string[] = [];
  const check = (shape: Shape, value: unknown, at: string) => {
    if (shape.isDocumentSchema()) return;
    if (shape.isListSchema()) {
      if (Array.isArray(value)) value.forEach((v, i) => check(shape.getValueSchema(), v, `${at}[${i}]`));
      return;
    }
    if (shape.isMapSchema()) {
      if (isObject(value)) for (const [k, v] of Object.entries(value)) check(shape.getValueSchema(), v, `${at}.${k}`);
      return;
    }
    if (!shape.isStructSchema() || !isObject(value)) return;
    for (const [k, v] of Object.entries(value)) {
      const name = !jsonata && k.endsWith('.$') ? k.slice(0, -2) : k;
      const m = member(shape, name);
      if (!m) {
        out.push(`${field} ${at ? `${at}.` : ''}${k}: not a member of ${shape.getName()} (members: ${memberNames(shape).join(', ')})`);
        continue;
      }
      if (jsonata || !k.endsWith('.$')) check(m, v, at ? `${at}.${name}` : name);
    }
  };
  check(op.input, payload ?? {}, '');
  const given = isObject(payload) ? Object.keys(payload).map((k) => (!jsonata && k.endsWith('.$') ? k.slice(0, -2) : k)) : [];
  for (const r of op.required.map((n) => n.charAt(0).toUpperCase() + n.slice(1))) {
    if (!given.includes(r)) out.push(`${field} lacks ${r}, required by ${op.operation}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The role

interface RoleStatement {
  readonly effect: string;
  readonly actions: string[];
  readonly notActions?: string[];
  readonly resources: string[];
  readonly conditioned: boolean;
}

/** The statements of every identity policy attached to a role of the template (inline, AWS::IAM::Policy, customer managed). */
export function roleStatements(t: SynthesizedTemplate, roleLogicalId: string): RoleStatement[] {
  const resources = t.template.Resources ?? {};
  const role = resources[roleLogicalId];
  const docs: Array<Record<string, any>> = [];
  for (const p of listOf(role?.Properties?.Policies)) if (isObject(p)) docs.push(p.PolicyDocument);
  for (const arn of listOf(role?.Properties?.ManagedPolicyArns)) {
    const ref = intrinsic(arn);
    if (ref && ref[0] === 'Ref' && resources[ref[1]]?.Type === 'AWS::IAM::ManagedPolicy') docs.push(resources[ref[1]].Properties?.PolicyDocument);
  }
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    if (listOf(r.Properties?.Roles).some((x) => { const ref = intrinsic(x); return ref?.[0] === 'Ref' && ref[1] === roleLogicalId; })) docs.push(r.Properties?.PolicyDocument);
  }
  return docs.filter(isObject).flatMap(statementsOf).map((s) => ({
    effect: render(s.Effect),
    actions: listOf(s.Action).map(wildcard),
    notActions: s.NotAction === undefined ? undefined : listOf(s.NotAction).map(wildcard),
    resources: listOf(s.Resource).map(render),
    conditioned: s.Condition !== undefined,
  }));
}

function matchesAction(s: RoleStatement, action: string): boolean {
  if (s.notActions) return !s.notActions.some((a) => globRegExp(a).test(action));
  return s.actions.some((a) => globRegExp(a).test(action));
}

function matchesResource(s: RoleStatement, arn: string): boolean {
  return s.resources.some((r) => r === arn || r === '*' || (!hasPlaceholder(arn) && globRegExp(wildcard(r), false).test(arn)));
}

/** Whether the statements allow `action` (on `arn` when given) and no unconditioned Deny on every resource takes it back. */
export function allows(statements: RoleStatement[], action: string, arn?: string): boolean {
  const allowed = statements.some((s) => s.effect === 'Allow' && matchesAction(s, action) && (arn === undefined || matchesResource(s, arn)));
  const denied = statements.some((s) => s.effect === 'Deny' && !s.conditioned && matchesAction(s, action) && s.resources.includes('*'));
  return allowed && !denied;
}

/** The IAM service prefix of an SDK operation: the client's signing name when IAM knows it, else the Step Functions service name. */
async function iamActionOf(catalog: IamCatalog, task: SdkTask, op: SdkOperation): Promise<string | undefined> {
  for (const prefix of [op.signingName, task.service]) {
    const actions = await catalog.actionsOf(prefix);
    const found = actions?.find((a) => a.name.toLowerCase() === op.operation.toLowerCase());
    if (found) return `${prefix}:${found.name}`;
  }
  return undefined;
}

/** Role ARNs a payload passes: fields named `...RoleArn` (or `Role`), with their values. */
function passedRoles(payload: unknown, jsonata: boolean): Array<{ field: string; value: string; dynamic: boolean }> {
  const out: Array<{ field: string; value: string; dynamic: boolean }> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const name = !jsonata && k.endsWith('.$') ? k.slice(0, -2) : k;
      if (/(^Role|RoleArn)$/.test(name) && typeof x === 'string') {
        const dynamic = (!jsonata && k.endsWith('.$')) || (jsonata && x.includes('{%'));
        out.push({ field: name, value: x, dynamic });
      } else walk(x);
    }
  };
  walk(payload);
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Findings for one aws-sdk task: `where state: message`. */
export async function checkSdkTask(catalog: IamCatalog, task: SdkTask): Promise<string[]> {
  const out: string[] = [];
  const say = (m: string) => out.push(`${task.machine.where} '${task.name}' (aws-sdk:${task.service}:${task.action}): ${m}`);
  const op = sdkOperation(task.service, task.action);
  if (typeof op === 'string') {
    say(op);
    return out;
  }
  const jsonata = (task.state.QueryLanguage ?? task.machine.definition.QueryLanguage) === 'JSONata';
  const payload = jsonata ? task.state.Arguments : task.state.Parameters;
  inputFindings(op, payload, jsonata ? 'Arguments' : 'Parameters', jsonata).forEach(say);

  // What the task writes, and what reads it.
  const results: string[] = [];
  if (jsonata) {
    const text = JSON.stringify([task.state.Output, task.state.Assign]);
    for (const m of text.matchAll(/\$states\.result((?:\.[A-Za-z0-9_]+|\[[^\]]*\])*)/g)) {
      const err = pathError(op.output, pathSegments(`$${m[1]}`) ?? []);
      if (err) results.push(`reads $states.result${m[1]}: ${err}`);
    }
  } else {
    const shape = resultShape(task, op, results);
    const bound = resultPath(task.state);
    for (const r of resultReads(task)) {
      const rest = pathSegments(r.path)?.slice((pathSegments(bound!) ?? []).length);
      const err = rest && boundError(shape, rest);
      if (err) results.push(`'${r.state}' reads ${r.path}: ${err}`);
    }
  }
  [...new Set(results)].forEach(say);

  // The role.
  if (!task.machine.roleLogicalId) {
    say('the state machine role is not in the template: its permissions are not checked');
    return out;
  }
  const statements = roleStatements(task.machine.template, task.machine.roleLogicalId);
  const action = await iamActionOf(catalog, task, op);
  if (!action) say(`no IAM action ${op.signingName}:${op.operation} or ${task.service}:${op.operation} in the IAM data`);
  else if (!allows(statements, action)) say(`the role ${task.machine.roleLogicalId} does not allow ${action}`);
  for (const role of passedRoles(payload, jsonata)) {
    const arn = role.dynamic ? undefined : role.value;
    if (!allows(statements, 'iam:PassRole', arn)) say(`passes ${role.field} (${role.value}) but the role ${task.machine.roleLogicalId} does not allow iam:PassRole on it`);
  }
  return out;
}
