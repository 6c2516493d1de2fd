import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildReferenceApp } from '../../bin/app';
import { CLASSIFICATION_TAG, keyPolicyFindings } from '../lib';
import { referenceContext } from '../helpers';

const app = new App({ context: referenceContext() });
const stacks = buildReferenceApp(app);
const assembly = app.synth();

function allStacks(): Stack[] {
  return app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

describe('reference app', () => {
  test('synthesizes every stack into its own placeholder account', () => {
    const envs = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.environment.account]));
    expect(envs).toMatchObject({ KeyAccount: '111111111111', DataAccount: '222222222222' });
  });

  test('every KMS key rotates, keeps a deletion window, and has a sound policy', () => {
    let keys = 0;
    for (const stack of allStacks()) {
      for (const [id, key] of Object.entries(Template.fromStack(stack).findResources('AWS::KMS::Key'))) {
        keys++;
        expect({ id, rotation: key.Properties.EnableKeyRotation }).toEqual({ id, rotation: true });
        expect(key.Properties.PendingWindowInDays).toBeGreaterThanOrEqual(7);
        expect(key.DeletionPolicy).toBe('Retain');
        expect({ id, findings: keyPolicyFindings(stack.resolve(key.Properties.KeyPolicy)) }).toEqual({ id, findings: [] });
        const denied = key.Properties.KeyPolicy.Statement.filter((s: any) => s.Effect === 'Deny').flatMap((s: any) => [s.Action].flat());
        expect(denied).toEqual(expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy']));
      }
    }
    expect(keys).toBeGreaterThanOrEqual(5);
  });

  test('the data account holds no key for its S3 data: the bucket key is resolved from the key account', () => {
    const template = Template.fromStack(stacks.data);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('CONFIDENTIALKey(DescribeKey|SharedLookup)'), 'KeyMetadata.Arn'] } } },
        ],
      },
      Tags: Match.arrayWith([{ Key: CLASSIFICATION_TAG, Value: 'CONFIDENTIAL' }]),
    });
    // The only keys in the data account besides its alarm topic's are fallbacks administered from the key account:
    // DynamoDB's (classified data) and the Backup Audit Manager reports' (its role can use no other account's key).
    const dataKeys = Object.values(template.findResources('AWS::KMS::Key')).filter((k: any) => k.Properties.Description.includes('fallback'));
    expect(dataKeys.map((k: any) => k.Properties.Description.split(':')[0]).sort()).toEqual([
      'cdk-data-protection fallback key alias/data-protection/backup-reports/DataAccount',
      'cdk-data-protection fallback key alias/data-protection/data-highly-sensitive-dynamodb/DataAccount',
    ]);
    for (const key of dataKeys) expect(JSON.stringify(key)).toContain(':iam::111111111111:role/data-protection-key-admin');
  });

  test('the key account grants data keys to the data and backup accounts only through services', () => {
    const policy = Template.fromStack(stacks.keys).findResources('AWS::KMS::Key');
    const confidential = Object.entries(policy).find(([id]) => id.startsWith('DataKeyCONFIDENTIAL'))![1];
    const use = confidential.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'ConsumerAccountsUseKeyViaServices');
    expect(use.Condition.StringEquals['kms:CallerAccount']).toEqual(['222222222222', '333333333333']);
    expect(use.Condition.StringEquals['kms:ViaService']).toContain('s3.eu-west-1.amazonaws.com');
  });

  test.each(['KeyAccount', 'DataAccount'])('%s snapshot', (name) => {
    const stack = allStacks().find((s) => s.stackName === name)!;
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});
