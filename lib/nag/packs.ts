import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NagPackProps, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { DataProtectionChecks, errorsDecideSuccess } from './data-protection-checks';
import { withFrozenTree } from './frozen-tree';

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
 * Security, PCI DSS 3.2.1 and DataProtectionChecks. Unacknowledged errors fail `cdk synth`;
 * warnings are printed and recorded but do not fail it (`cdk synth --strict` fails on them too).
 * Findings land in `cdk.out/validation-report.json`, which `cdk-data-protection report` reads.
 */
export function addDataProtectionPacks(scope: IConstruct, options: DataProtectionPacksOptions = {}): void {
  const opts = { writeSuppressionsToCloudFormation: options.writeSuppressionsToCloudFormation ?? true, verbose: options.verbose ?? false };
  Validations.of(scope).addPlugins(...dataProtectionPacks(scope, opts));
}

/**
 * The five packs, defined once for the app (`addDataProtectionPacks`) and for the report's
 * template mode (no scope: nothing is written into a construct tree). Errors decide success.
 */
export function dataProtectionPacks(scope?: IConstruct, props?: NagPackProps): NagPack[] {
  return [
    failOnErrorsOnly(new AwsSolutionsChecks(scope, props)),
    failOnErrorsOnly(new NIST80053R5Checks(scope, props)),
    failOnErrorsOnly(new HIPAASecurityChecks(scope, props)),
    failOnErrorsOnly(new PCIDSS321Checks(scope, props)),
    frozen(new DataProtectionChecks(scope, props)),
  ];
}

/** `pack`, validating with tree walks and token resolution memoized (the app is synthesized). */
function frozen<T extends NagPack>(pack: T): T {
  const validateScope = pack.validateScope.bind(pack);
  pack.validateScope = (s: IConstruct) => withFrozenTree(() => validateScope(s));
  return pack;
}

/** `pack`, reporting success unless it finds an error (see `errorsDecideSuccess`). */
function failOnErrorsOnly<T extends NagPack>(pack: T): T {
  const validateScope = pack.validateScope.bind(pack);
  pack.validateScope = (s: IConstruct) => errorsDecideSuccess(withFrozenTree(() => validateScope(s)));
  return pack;
}
