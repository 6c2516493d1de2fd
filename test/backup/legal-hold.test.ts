import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BackupLegalHold } from '../lib';
import { DATA_ACCOUNT, testStack } from '../helpers';

describe('BackupLegalHold', () => {
  test('holds recovery points of resources and vaults in a date range; retained when removed from the app', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupLegalHold(stack, 'Case42', {
      title: 'CASE-42',
      description: 'Payroll investigation requested by legal',
      resourceArns: ['arn:aws:dynamodb:eu-west-1:222222222222:table/hr-employees'],
      backupVaultNames: ['hr-backups'],
      fromDate: '2024-01-01T00:00:00Z',
      toDate: '2024-06-30T23:59:59Z',
    });
    Template.fromStack(stack).hasResource('AWS::Backup::LegalHold', {
      Properties: {
        Title: 'CASE-42',
        Description: 'Payroll investigation requested by legal',
        RecoveryPointSelection: {
          ResourceIdentifiers: ['arn:aws:dynamodb:eu-west-1:222222222222:table/hr-employees'],
          VaultNames: ['hr-backups'],
          DateRange: { FromDate: '2024-01-01T00:00:00Z', ToDate: '2024-06-30T23:59:59Z' },
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('removal policy DESTROY lifts the hold on removal', () => {
    const stack = testStack(DATA_ACCOUNT);
    new BackupLegalHold(stack, 'H', { title: 't', description: 'd', backupVaultNames: ['v'], removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource('AWS::Backup::LegalHold', { DeletionPolicy: 'Delete' });
  });

  describe('bad input', () => {
    test.each([
      [{ title: '', description: 'd', backupVaultNames: ['v'] }, /BackupLegalHoldProps.title must be a non-empty string/],
      [{ title: 't', description: ' ', backupVaultNames: ['v'] }, /BackupLegalHoldProps.description must say why/],
      [{ title: 't', description: 'd' }, /BackupLegalHold needs a selection/],
      [{ title: 't', description: 'd', fromDate: '2024-01-01T00:00:00Z' }, /fromDate and toDate go together/],
      [{ title: 't', description: 'd', fromDate: '2024-02-01T00:00:00Z', toDate: '2024-01-01T00:00:00Z' }, /fromDate \(2024-02-01T00:00:00Z\) must be before toDate \(2024-01-01T00:00:00Z\)/],
      [{ title: 't', description: 'd', fromDate: 'yesterday', toDate: '2024-01-01T00:00:00Z' }, /fromDate must be an ISO 8601 date such as 2024-01-01T00:00:00Z, got 'yesterday'/],
    ])('%o', (props, error) => {
      expect(() => new BackupLegalHold(testStack(DATA_ACCOUNT), 'H', props as any)).toThrow(error);
    });
  });
});
