import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { DataProtectionChecks } from './data-protection-checks';

export interface DataProtectionPacksOptions {
  /**
   * Write each acknowledgement (rule id + reason) into the template metadata next to its
   * resource, so reviewers and other tools see it.
   * @default true
   */
  readonly writeSuppressionsToCloudFormation?: boolean;
  /** Print each finding's explanation. @default false */
  readonly verbose?: boolean;
}

/**
 * Adds the five packs this library is checked with: AwsSolutions, NIST 800-53 R5, HIPAA
 * Security, PCI DSS 3.2.1 and DataProtectionChecks. Errors fail `cdk synth`; findings land in
 * `cdk.out/validation-report.json`, which `cdk-data-protection report` reads.
 */
export function addDataProtectionPacks(scope: IConstruct, options: DataProtectionPacksOptions = {}): void {
  const opts = { writeSuppressionsToCloudFormation: options.writeSuppressionsToCloudFormation ?? true, verbose: options.verbose ?? false };
  Validations.of(scope).addPlugins(
    new AwsSolutionsChecks(scope, opts),
    new NIST80053R5Checks(scope, opts),
    new HIPAASecurityChecks(scope, opts),
    new PCIDSS321Checks(scope, opts),
    new DataProtectionChecks(scope, opts),
  );
}
