import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { NIST80053R5Checks } from 'cdk-nag';
import { errorsDecideSuccess } from '../../lib/nag/data-protection-checks';
import { addDataProtectionPacks } from '../../lib/nag/packs';

/**
 * Warnings are reported and do not fail synth; errors do (README, "Checklist enforcement").
 * One app with a warning-level finding only, synthesized once as `cdk synth` would.
 */

process.env.CDK_VALIDATION = 'false';

const app = new App();
const stack = new Stack(app, 'Net', { env: { account: '222222222222', region: 'eu-west-1' } });
const vpc = new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.0.0.0/16' });
// Every error-level finding on it acknowledged: what remains is VPCDefaultSecurityGroupClosed (a warning).
for (const id of ['AwsSolutions-VPC7', 'NIST.800.53.R5-VPCFlowLogsEnabled', 'HIPAA.Security-VPCFlowLogsEnabled', 'PCI.DSS.321-VPCFlowLogsEnabled']) {
  Validations.of(vpc).acknowledge({ id, reason: 'A scratch VPC with no workload: it carries no traffic to log.' });
}
addDataProtectionPacks(app);

// In Jest, aws-cdk-lib throws on a failed validation (app mode "inmemory"): synth itself is the first assertion.
const assembly = app.synth();
const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
const packReports: any[] = report.pluginReports.filter((r: any) => r.pluginName !== 'Annotation');

test('a warning-level finding does not fail synth, and is reported as a warning', () => {
  const warnings = packReports.flatMap((r) => r.violations.filter((v: any) => v.severity === 'warning').map((v: any) => v.ruleName)).sort();
  expect(warnings).toEqual(['HIPAA.Security-VPCDefaultSecurityGroupClosed', 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'PCI.DSS.321-VPCDefaultSecurityGroupClosed']);
  expect(packReports.map((r) => r.conclusion)).toEqual(packReports.map(() => 'success'));
});

test('cdk-nag 3.0.2 alone would fail it: its report has success false for a warning', () => {
  expect(new NIST80053R5Checks().validateScope(stack)).toMatchObject({ success: false, violations: [{ severity: 'warning' }] });
});

test('errors still decide: a report with an error fails, one with warnings only succeeds', () => {
  const violation = (severity: 'error' | 'warning') => ({ ruleName: 'R', description: 'd', severity, violatingResources: [] });
  const of = (...severities: Array<'error' | 'warning'>): PolicyValidationPluginReport => ({ success: false, violations: severities.map(violation) });
  expect([of('warning'), of('warning', 'error'), of()].map((r) => errorsDecideSuccess(r).success)).toEqual([true, false, true]);
});
