import { keyPolicyFindings } from '../lib';

const allow = (extra: Record<string, unknown>) => ({ Effect: 'Allow', Resource: '*', ...extra });

describe('keyPolicyFindings', () => {
  test('a sound policy has no findings', () => {
    expect(
      keyPolicyFindings({
        Statement: [
          allow({ Sid: 'Admin', Principal: { AWS: 'arn:aws:iam::1:role/admin' }, Action: ['kms:PutKeyPolicy', 'kms:DescribeKey'] }),
          allow({ Sid: 'Use', Principal: { AWS: 'arn:aws:iam::1:role/app' }, Action: ['kms:Decrypt', 'kms:DescribeKey'] }),
          allow({ Sid: 'Org', Principal: '*', Action: 'kms:Decrypt', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } }),
          { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' },
        ],
      }),
    ).toEqual([]);
  });

  test.each([
    [allow({ Sid: 'All', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 'kms:*' }), "statement 'All' allows the wildcard action 'kms:*'"],
    [allow({ Principal: { AWS: 'arn:aws:iam::1:root' }, Action: '*' }), "statement 0 allows the wildcard action '*'"],
    [allow({ Sid: 'Open', Principal: { AWS: '*' }, Action: 'kms:Decrypt' }), "statement 'Open' allows principal '*' without conditions"],
    [allow({ Sid: 'Not', Principal: { AWS: 'arn:aws:iam::1:root' }, NotAction: 'kms:Decrypt' }), "statement 'Not' uses NotAction in an Allow, which grants every other action"],
  ])('%j is a finding', (statement, finding) => {
    expect(keyPolicyFindings({ Statement: [statement as never] })).toContain(finding);
  });

  test('a principal with management and cryptographic actions, even through patterns, is a finding', () => {
    expect(
      keyPolicyFindings({
        Statement: [
          allow({ Principal: { AWS: 'arn:aws:iam::1:role/ops' }, Action: ['kms:Disable*'] }),
          allow({ Principal: { AWS: ['arn:aws:iam::1:role/ops'] }, Action: ['kms:GenerateDataKey*'] }),
        ],
      }),
    ).toEqual(['principal AWS:arn:aws:iam::1:role/ops both administers and uses the key']);
  });
});
