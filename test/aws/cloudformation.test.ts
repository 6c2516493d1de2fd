/**
 * Every resource of the reference app and the examples against the CloudFormation registry
 * schemas of its stack's region (names, types, enums, patterns, bounds, required properties,
 * resource types available in the region), with AWS's offline validator. See ./cfn-schema.ts.
 */
import { APP_NAMES, CfnResourceJson, SynthesizedTemplate, synthesizeAll } from './apps';
import { CfnSchemaValidator } from './cfn-schema';

const templates = synthesizeAll();
const validator = new CfnSchemaValidator();
afterAll(() => validator.free());

describe('CloudFormation templates against the registry schemas', () => {
  test('every app and every stack is validated, with the schema, resource and deprecation rules', () => {
    expect([...new Set(templates.map((t) => t.app))].sort()).toEqual([...APP_NAMES].sort());
    expect(templates.length).toBeGreaterThan(30);
    expect(validator.categories()).toEqual(expect.arrayContaining(['Deprecation', 'Resource', 'Schema']));
  });

  test('no template has a schema violation, an unknown or unavailable resource type, or a deprecated runtime', () => {
    expect(validator.findings(templates)).toEqual([]);
  });
});

describe('the CloudFormation check catches', () => {
  const fixture = (Resources: Record<string, CfnResourceJson>, region = 'eu-west-1'): SynthesizedTemplate => ({ app: 'fixture', stack: 'F', account: '222222222222', region, template: { Resources } });
  const findings = (Resources: Record<string, CfnResourceJson>, region?: string) => validator.findings([fixture(Resources, region)]).map((f) => f.replace(/^fixture F /, ''));

  test('nothing in a sound resource', () => {
    expect(findings({ B: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'a-bucket', VersioningConfiguration: { Status: 'Enabled' } } } })).toEqual([]);
  });

  test('an unknown property name', () => {
    expect(findings({ B: { Type: 'AWS::S3::Bucket', Properties: { BucketNam: 'x' } } })).toEqual([expect.stringMatching(/^B \(AWS::S3::Bucket\) Properties\.BucketNam: \[F3002 FATAL\] .*'BucketNam' was unexpected/)]);
  });

  test('a wrong type', () => {
    expect(findings({ V: { Type: 'AWS::Backup::BackupVault', Properties: { BackupVaultName: 'central', LockConfiguration: { MinRetentionDays: 'seven' } } } })).toEqual([
      expect.stringMatching(/^V \(AWS::Backup::BackupVault\) Properties\.LockConfiguration\.MinRetentionDays: \[F3012 FATAL\] 'seven' is not of type 'integer'/),
    ]);
  });

  test('a value outside the enum', () => {
    expect(findings({ B: { Type: 'AWS::S3::Bucket', Properties: { VersioningConfiguration: { Status: 'On' } } } })).toEqual([
      expect.stringMatching(/^B \(AWS::S3::Bucket\) Properties\.VersioningConfiguration\.Status: \[W3030 WARN\] 'On' is not one of \['Enabled', 'Suspended'\]/),
    ]);
  });

  test('a value that does not match the pattern, and a missing required property', () => {
    expect(findings({ A: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'data-protection/audit' } } })).toEqual([
      expect.stringMatching(/^A \(AWS::KMS::Alias\) Properties: \[F3003 FATAL\] 'TargetKeyId' is a required property/),
      expect.stringMatching(/^A \(AWS::KMS::Alias\) Properties\.AliasName: \[F3031 FATAL\] 'data-protection\/audit' does not match pattern/),
    ]);
  });

  test('a number out of bounds', () => {
    expect(findings({ K: { Type: 'AWS::KMS::Key', Properties: { PendingWindowInDays: 3 } } })).toEqual([expect.stringMatching(/^K \(AWS::KMS::Key\) Properties\.PendingWindowInDays: \[F3034 FATAL\] 3 is less than the minimum of 7/)]);
  });

  test('an unknown resource type', () => {
    expect(findings({ B: { Type: 'AWS::S3::Buckett', Properties: {} } })).toEqual([expect.stringMatching(/^B \(AWS::S3::Buckett\) .*\[F3006 FATAL\] Unknown resource type 'AWS::S3::Buckett'/)]);
  });
});
