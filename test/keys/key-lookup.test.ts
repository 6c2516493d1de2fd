import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { CrossAccountKey } from '../lib';
import { handleEvent, KeyLookupEvent, lookupKeyArn, RETRY_DELAYS_SECONDS } from '../../lib/keys/handlers/key-lookup.lambda';
import { DATA_ACCOUNT, KEY_ACCOUNT, testStack } from '../helpers';

const ALIAS_ARN = `arn:aws:kms:eu-west-1:${KEY_ACCOUNT}:alias/data-protection/data-confidential`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${KEY_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

function kmsError(name: string): Error {
  return Object.assign(new Error(`${name} from KMS`), { name, $metadata: {} });
}

describe('Custom::DataProtectionKeyLookup template (defect 3: no dependency on alias authorization)', () => {
  // One app for the file: three lookups in two regions share one provider.
  const stack = testStack(DATA_ACCOUNT);
  new CrossAccountKey(stack, 'Confidential', { keyAccount: KEY_ACCOUNT, aliasName: 'alias/data-protection/data-confidential' });
  new CrossAccountKey(stack, 'Audit', { keyAccount: KEY_ACCOUNT, aliasName: 'alias/data-protection/audit' });
  new CrossAccountKey(stack, 'Primary', { keyAccount: KEY_ACCOUNT, aliasName: 'alias/data-protection/backup', region: 'eu-central-1' });
  const template = Template.fromStack(stack);
  const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('DataProtectionKeyLookupProvider'))!;
  const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId)) as any;
  const statements: any[] = policy.Properties.PolicyDocument.Statement;

  test('one provider function per stack, no AwsCustomResource, one custom resource per key', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('Custom::AWS', 0);
    template.resourceCountIs('Custom::DataProtectionKeyLookup', 3);
    template.hasResource('Custom::DataProtectionKeyLookup', { Properties: { ServiceTimeout: String(Duration.minutes(15).toSeconds()), Region: 'eu-central-1' } });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Timeout: 600 });
  });

  test('the role may describe keys of the key account only, with no kms:ResourceAliases (or any) condition, and write only its log group', () => {
    const describe = statements.find((s) => s.Sid === 'DescribeKeyAccountKeys');
    expect(describe).toEqual({
      Sid: 'DescribeKeyAccountKeys',
      Effect: 'Allow',
      Action: 'kms:DescribeKey',
      Resource: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-west-1:${KEY_ACCOUNT}:key/*`]] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:eu-central-1:${KEY_ACCOUNT}:key/*`]] },
      ],
    });
    expect(JSON.stringify(statements)).not.toContain('kms:ResourceAliases');
    expect(statements.map((s) => s.Sid).sort()).toEqual(['DescribeKeyAccountKeys', 'WriteOwnLogsOnly']);
    expect(statements.find((s) => s.Sid === 'WriteOwnLogsOnly').Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});

describe('key-lookup handler: bounded retry with backoff', () => {
  const kms = mockClient(KMSClient);
  beforeEach(() => kms.reset());

  test('retries NotFound and AccessDenied (propagation), then returns the key ARN', async () => {
    kms.on(DescribeKeyCommand, { KeyId: ALIAS_ARN })
      .rejectsOnce(kmsError('NotFoundException'))
      .rejectsOnce(kmsError('AccessDeniedException'))
      .resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN } });
    const waits: number[] = [];
    const arn = await lookupKeyArn(ALIAS_ARN, 'eu-west-1', { client: new KMSClient({ region: 'eu-west-1' }), sleep: async (ms) => void waits.push(ms), log: () => undefined });
    expect(arn).toBe(KEY_ARN);
    expect(waits).toEqual([5000, 10000]);
  });

  test('gives up after the documented schedule (more than the five minutes KMS gives alias and tag changes)', async () => {
    kms.on(DescribeKeyCommand).rejects(kmsError('NotFoundException'));
    const waits: number[] = [];
    await expect(lookupKeyArn(ALIAS_ARN, 'eu-west-1', { client: new KMSClient({ region: 'eu-west-1' }), sleep: async (ms) => void waits.push(ms), log: () => undefined })).rejects.toThrow(
      `DescribeKey(${ALIAS_ARN}) still failed after 10 attempts over 375 s: NotFoundException: NotFoundException from KMS. Deploy the key account stack first`,
    );
    expect(waits).toEqual(RETRY_DELAYS_SECONDS.map((s) => s * 1000));
    expect(RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0)).toBeGreaterThan(300);
    expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(RETRY_DELAYS_SECONDS.length + 1);
  });

  test('other errors fail at once', async () => {
    kms.on(DescribeKeyCommand).rejects(kmsError('InvalidArnException'));
    const sleep = jest.fn(async () => undefined);
    await expect(lookupKeyArn(ALIAS_ARN, 'eu-west-1', { client: new KMSClient({ region: 'eu-west-1' }), sleep, log: () => undefined })).rejects.toThrow('InvalidArnException from KMS');
    expect(sleep).not.toHaveBeenCalled();
  });

  describe('answers CloudFormation on every path', () => {
    let server: http.Server;
    let url: string;
    const bodies: any[] = [];
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        let data = '';
        req.on('data', (c) => (data += c));
        req.on('end', () => {
          bodies.push({ method: req.method, ...JSON.parse(data) });
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => (bodies.length = 0));

    const event = (RequestType: KeyLookupEvent['RequestType']): KeyLookupEvent => ({
      RequestType,
      ResponseURL: url,
      StackId: 'stack',
      RequestId: 'req',
      LogicalResourceId: 'KeyDescribeKey',
      ResourceProperties: { AliasArn: ALIAS_ARN, Region: 'eu-west-1' },
    });
    const deps = () => ({ client: new KMSClient({ region: 'eu-west-1' }), sleep: async () => undefined, log: () => undefined });

    test('Create: SUCCESS with KeyMetadata.Arn, physical id the alias ARN', async () => {
      kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN } });
      await handleEvent(event('Create'), deps());
      expect(bodies).toEqual([
        { method: 'PUT', Status: 'SUCCESS', StackId: 'stack', RequestId: 'req', LogicalResourceId: 'KeyDescribeKey', PhysicalResourceId: ALIAS_ARN, Data: { 'KeyMetadata.Arn': KEY_ARN } },
      ]);
    });

    test('a lookup that fails answers FAILED with the error name and message (the deployment fails instead of hanging)', async () => {
      kms.on(DescribeKeyCommand).rejects(kmsError('AccessDeniedException'));
      await handleEvent(event('Update'), { ...deps(), delaysSeconds: [1] });
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: ALIAS_ARN });
      expect(bodies[0].Reason).toMatch(/^Error: DescribeKey\(.+\) still failed after 2 attempts over 1 s: AccessDeniedException/);
    });

    test('Delete: SUCCESS without calling KMS', async () => {
      await handleEvent({ ...event('Delete'), PhysicalResourceId: ALIAS_ARN }, deps());
      expect(bodies).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: ALIAS_ARN })]);
      expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(0);
    });
  });
});
