import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { buildReferenceApp } from '../../bin/app';
import { DataProtectionChecks } from '../../lib/nag';
import * as cdkJson from '../../cdk.json';
import { findingsOf } from './helpers';

/**
 * The reference app under the four stock packs and DataProtectionChecks. Acknowledgements
 * (rule id + reason, on the narrowest construct) belong in bin/app.ts and the constructs;
 * this test only lists what is left.
 */
function unacknowledgedFindings(): string[] {
  const app = new App({ context: cdkJson.context });
  buildReferenceApp(app);
  const packs: NagPack[] = [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks(), new PCIDSS321Checks(), new DataProtectionChecks()];
  app.synth();
  return [...new Set(packs.flatMap((p) => findingsOf(app, p)))].sort();
}

const findings = unacknowledgedFindings();

// Visible list of what is still open: review the snapshot diff when the app changes.
test('current unacknowledged findings of the reference app', () => {
  expect(findings).toMatchSnapshot();
});

// Done when: no unacknowledged finding under any pack. Marked failing until the reference app
// carries its acknowledgements; turn into `test(...)` once this starts to "fail" (i.e. passes).
test.failing('the reference app has no unacknowledged findings under all five packs', () => {
  expect(findings).toEqual([]);
});
