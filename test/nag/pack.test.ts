import { readdirSync, readFileSync } from 'node:fs';
import { join, parse } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DATA_PROTECTION_RULES, DataProtectionChecks, VALIDATION_METADATA } from '../../lib/nag';
import * as cdkJson from '../../cdk.json';
import { findingsOf } from './helpers';

const RULES_DIR = join(__dirname, '..', '..', 'lib', 'nag', 'rules');

test('every rule id is its file name, every rule file is in the pack, RULES.md lists each', () => {
  const files = readdirSync(RULES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(RULES_DIR, d.name)).map((f) => parse(f).name));
  expect(DATA_PROTECTION_RULES.map((r) => r.id).sort()).toEqual(files.sort());
  const rulesMd = readFileSync(join(__dirname, '..', '..', 'lib', 'nag', 'RULES.md'), 'utf8');
  for (const r of DATA_PROTECTION_RULES) {
    expect(r.info.length).toBeGreaterThan(20);
    expect(r.explanation.length).toBeGreaterThan(40);
    expect(r.rule.name).toBe(r.id);
    expect(rulesMd).toContain(`DataProtection-${r.id}`);
  }
});

function appWithUnlockedVault(): { app: App; stack: Stack } {
  const app = new App({ context: cdkJson.context, outdir: undefined });
  const stack = new Stack(app, 'S', { env: { account: '222222222222', region: 'eu-west-1' } });
  new backup.CfnBackupVault(stack, 'Vault', { backupVaultName: 'v' });
  return { app, stack };
}

test('registered with Validations, an unlocked vault fails synth with the rule id and its info', () => {
  const { app } = appWithUnlockedVault();
  Validations.of(app).addPlugins(new DataProtectionChecks(app, { verbose: true }));
  expect(() => app.synth()).toThrow(/no Vault Lock in compliance mode[\s\S]*DataProtection-BackupVaultLocked/);
});

test('acknowledgements are honoured and, with writeSuppressionsToCloudFormation, written into the template', () => {
  const { app, stack } = appWithUnlockedVault();
  const vault = stack.node.findChild('Vault');
  Validations.of(vault).acknowledge(
    { id: 'DataProtection-BackupVaultLocked', reason: 'test vault, locked in the backup account instead' },
    { id: 'DataProtection-BackupVaultCmk', reason: 'test vault' },
  );
  Validations.of(app).addPlugins(new DataProtectionChecks(app, { writeSuppressionsToCloudFormation: true }));
  const assembly = app.synth();
  const template = assembly.getStackByName('S').template;
  expect(template.Resources.Vault.Metadata.cdk_nag.rules_to_suppress).toEqual([
    { id: 'DataProtection-BackupVaultLocked', reason: 'test vault, locked in the backup account instead' },
    { id: 'DataProtection-BackupVaultCmk', reason: 'test vault' },
  ]);
  expect(assembly.getStackByName('S').findMetadataByType(VALIDATION_METADATA).map((m) => m.data)).toEqual([{ plugins: ['DataProtection'] }]);
});

test('validateScope honours acknowledgements on an ancestor', () => {
  const app = new App({ context: cdkJson.context });
  const stack = new Stack(app, 'S', { env: { account: '222222222222', region: 'eu-west-1' } });
  new s3.Bucket(stack, 'Unclassified');
  expect(findingsOf(stack)).toContain('DataProtection-DataStoreClassified S/Unclassified/Resource');
  Validations.of(stack).acknowledge({ id: 'DataProtection-DataStoreClassified', reason: 'scratch stack' });
  expect(findingsOf(stack)).not.toContain('DataProtection-DataStoreClassified S/Unclassified/Resource');
});
