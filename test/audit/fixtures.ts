import { App, Stack } from 'aws-cdk-lib';
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

export interface FieldSelector {
  Field: string;
  Equals?: unknown[];
  StartsWith?: unknown[];
  NotStartsWith?: unknown[];
}

/** The trail's advanced event selectors, values made plain. */
export function selectorsOf(template: { findResources(type: string): Record<string, any> }): Array<{ Name: string; FieldSelectors: Array<{ Field: string; Equals?: string[]; StartsWith?: string[]; NotStartsWith?: string[] }> }> {
  const trails = Object.values(template.findResources('AWS::CloudTrail::Trail'));
  expect(trails).toHaveLength(1);
  return trails[0].Properties.AdvancedEventSelectors.map((s: any) => ({
    Name: s.Name,
    FieldSelectors: s.FieldSelectors.map((f: any) => ({
      Field: f.Field,
      ...(f.Equals ? { Equals: f.Equals.map(plain) } : {}),
      ...(f.StartsWith ? { StartsWith: f.StartsWith.map(plain) } : {}),
      ...(f.NotStartsWith ? { NotStartsWith: f.NotStartsWith.map(plain) } : {}),
    })),
  }));
}

/** Total values across all selectors, as CloudTrail counts them. */
export function valueCount(selectors: ReturnType<typeof selectorsOf>): number {
  return selectors.flatMap((s) => s.FieldSelectors).reduce((n, f) => n + (f.Equals?.length ?? 0) + (f.StartsWith?.length ?? 0) + (f.NotStartsWith?.length ?? 0), 0);
}
