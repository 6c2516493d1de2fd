import { App, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AuditNames } from '../../lib/audit/audit-names';
import { CrossAccountKey } from '../../lib/keys/cross-account-key';
import { KeyAliases } from '../../lib/keys/key-aliases';
import { ACCOUNTS as BASE_ACCOUNTS, AUDIT_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, REGION } from '../helpers';

export { AUDIT_ACCOUNT, BACKUP_ACCOUNT, DATA_ACCOUNT, KEY_ACCOUNT, REGION } from '../helpers';
export const OTHER_DATA_ACCOUNT = '555555555555';
export const ARCHIVE = AuditNames.archiveBucketName(AUDIT_ACCOUNT, REGION);

/** The test accounts in an organization, without a DR region. */
const { drRegion: _noDrRegion, ...SINGLE_REGION } = BASE_ACCOUNTS;
export const ACCOUNTS = { ...SINGLE_REGION, organizationId: 'o-exampleorg1' };

export function dataStack(app = new App(), id = 'Data', account = DATA_ACCOUNT): Stack {
  return new Stack(app, id, { env: { account, region: REGION } });
}

/** The key-account audit key as a data account sees it (key ARN resolved at deploy time). */
export function auditKey(stack: Stack): kms.IKey {
  return new CrossAccountKey(stack, 'AuditKey', { keyAccount: KEY_ACCOUNT, aliasName: KeyAliases.AUDIT }).key;
}

/**
 * Resolves `arn:${AWS::Partition}...` joins to plain strings ('aws'), so selector values can
 * be compared with names. Other intrinsics (GetAtt of a bucket) become `{GetAtt:Logical}`.
 */
export function plain(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(plain).join(v['Fn::Join'][0]);
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref) return `{Ref:${v.Ref}}`;
  if (v['Fn::GetAtt']) return `{GetAtt:${v['Fn::GetAtt'][0]}}`;
  return JSON.stringify(value);
}

/** The six operators of an advanced field selector, as CloudFormation names them. */
const OPERATORS = ['Equals', 'StartsWith', 'EndsWith', 'NotEquals', 'NotStartsWith', 'NotEndsWith'] as const;
type Operator = (typeof OPERATORS)[number];
/** CDK's property names for them (`CfnTrail.AdvancedFieldSelectorProperty`). */
const CDK_OPERATORS: Record<Operator, string> = {
  Equals: 'equalTo', StartsWith: 'startsWith', EndsWith: 'endsWith', NotEquals: 'notEquals', NotStartsWith: 'notStartsWith', NotEndsWith: 'notEndsWith',
};

export type FieldSelector = { Field: string } & { [op in Operator]?: string[] };
export type EventSelector = { Name: string; FieldSelectors: FieldSelector[] };

function plainSelector(name: string, fields: any[], field: (f: any) => string, values: (f: any, op: Operator) => unknown[] | undefined): EventSelector {
  return {
    Name: name,
    FieldSelectors: fields.map((f) => {
      const out: FieldSelector = { Field: field(f) };
      for (const op of OPERATORS) {
        const v = values(f, op);
        if (v) out[op] = v.map(plain);
      }
      return out;
    }),
  };
}

/** The trail's advanced event selectors, values made plain. */
export function selectorsOf(template: { findResources(type: string): Record<string, any> }): EventSelector[] {
  const trails = Object.values(template.findResources('AWS::CloudTrail::Trail'));
  expect(trails).toHaveLength(1);
  return trails[0].Properties.AdvancedEventSelectors.map((s: any) => plainSelector(s.Name, s.FieldSelectors, (f) => f.Field, (f, op) => f[op]));
}

/** A plan's selectors (CDK property names, tokens), resolved in the trail's stack and made plain like `selectorsOf`. */
export function planSelectors(stack: Stack, selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[]): EventSelector[] {
  return selectors.map((s) => plainSelector(s.name!, stack.resolve(s.fieldSelectors), (f) => f.field, (f, op) => f[CDK_OPERATORS[op]]));
}

/** Total values across all selectors, as CloudTrail counts them (every value of every operator of every field). */
export function valueCount(selectors: EventSelector[]): number {
  return selectors.flatMap((s) => s.FieldSelectors).reduce((n, f) => n + OPERATORS.reduce((m, op) => m + (f[op]?.length ?? 0), 0), 0);
}

/**
 * Whether a trail with these selectors records a data event on `arn` (S3: an object ARN,
 * `arn:aws:s3:::bucket/key`), as CloudTrail evaluates them ("Filtering data events by using
 * advanced event selectors", "How CloudTrail evaluates multiple conditions for a field"): an event
 * is logged when it matches any selector; a selector matches when every field selector does; in
 * a field selector the SELECT operators (Equals, StartsWith, EndsWith) are ORed, the DESELECT
 * operators (NotEquals, NotStartsWith, NotEndsWith) are ANDed — any one met drops the event —
 * and both groups are ANDed.
 */
export function recordsDataEvent(selectors: EventSelector[], resourceType: string, arn: string): boolean {
  const event: Record<string, string> = { 'eventCategory': 'Data', 'resources.type': resourceType, 'resources.ARN': arn };
  return selectors.some((s) => s.FieldSelectors.every((f) => {
    const v = event[f.Field];
    if (v === undefined) return false;
    const selects = [...(f.Equals ?? []).map((x) => v === x), ...(f.StartsWith ?? []).map((x) => v.startsWith(x)), ...(f.EndsWith ?? []).map((x) => v.endsWith(x))];
    if ((f.Equals || f.StartsWith || f.EndsWith) && !selects.some(Boolean)) return false;
    const deselected = (f.NotEquals ?? []).some((x) => v === x) || (f.NotStartsWith ?? []).some((x) => v.startsWith(x)) || (f.NotEndsWith ?? []).some((x) => v.endsWith(x));
    return !deselected;
  }));
}
