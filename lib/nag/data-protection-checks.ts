import { Aspects, CfnResource, IAspect, PolicyValidationPluginReport, Stack, Stage } from 'aws-cdk-lib';
import { NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { inheritAcrossStages } from '../core/stage-aspects';
import { withInspectionCache } from './inspect';
import { DataProtectionRule } from './rule';
import * as rules from './rules';

/** Prefix of every rule id of the pack, e.g. `DataProtection-BackupVaultLocked`. */
export const DATA_PROTECTION_PACK = 'DataProtection';

/** Metadata on each stack naming the validation plugins registered for it; the report reads it to tell "passed" from "not checked". */
export const VALIDATION_METADATA = 'cdk-data-protection:validation';

/** Every rule of the pack, in the order they are applied. */
export const DATA_PROTECTION_RULES: DataProtectionRule[] = [
  rules.DataStoreClassified,
  rules.ClassifiedEncryptedWithCmk,
  rules.ClassifiedInTransitTls,
  rules.ClassifiedBackupCoverage,
  rules.ClassifiedCrossAccountCopy,
  rules.ClassifiedRestoreDrill,
  rules.ClassifiedDataEvents,
  rules.BackupVaultLocked,
  rules.BackupVaultCmk,
  rules.BackupRetentionWithinLock,
  rules.KMSKeyPolicyNoWildcards,
  rules.KMSKeyAdminUserSeparated,
  rules.KMSKeyRotation,
  rules.KMSKeyDeletionProtected,
  rules.TrailLogFileValidation,
  rules.ProtectionBucketTls,
  rules.ProtectionBucketObjectLock,
  rules.LambdaNoPlainSecrets,
  rules.ECSNoPlainSecrets,
];

/**
 * The data-protection checklist as a cdk-nag v3 pack: what the stock packs miss (vault lock,
 * backup/copy/drill/data-event coverage of classified data, key-policy separation, protection
 * buckets, secrets in environment variables). Rules read resolved CloudFormation and the
 * library's control metadata, so they work on resources this library did not build.
 *
 * @example
 * Validations.of(app).addPlugins(new DataProtectionChecks(app, { writeSuppressionsToCloudFormation: true }));
 */
export class DataProtectionChecks extends NagPack {
  public readonly name = DATA_PROTECTION_PACK;
  public readonly ruleIds?: string[] = DATA_PROTECTION_RULES.map((r) => `${DATA_PROTECTION_PACK}-${r.id}`);

  /**
   * @param scope the app (or stage) the pack is registered on; needed for
   *   `writeSuppressionsToCloudFormation` and to record, for the report, which packs ran
   */
  public constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = DATA_PROTECTION_PACK;
    // Inheritable: nested stages run it too (aspects do not cross Stage boundaries).
    if (scope) Aspects.of(scope).add(inheritAcrossStages(new RecordValidationPlugins()));
  }

  /** Validates the tree under `scope`; coverage rules see the whole app. Only errors make the report fail. */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return errorsDecideSuccess(withInspectionCache(() => super.validateScope(scope)));
  }

  protected checkResource(node: CfnResource): void {
    for (const r of DATA_PROTECTION_RULES) {
      this.applyRule({ ruleSuffixOverride: r.id, info: r.info, explanation: r.explanation, level: r.level, rule: r.rule, node });
    }
  }
}

/** Writes the names of the validation plugins registered on a stack's stages into its metadata. */
class RecordValidationPlugins implements IAspect {
  public visit(node: IConstruct): void {
    if (!Stack.isStack(node) || node.node.metadata.some((m) => m.type === VALIDATION_METADATA)) return;
    const plugins = new Set<string>();
    for (let scope: IConstruct | undefined = node; scope; scope = scope.node.scope) {
      // Stage keeps its plugins in a private field; read defensively, it is only used for the report.
      if (Stage.isStage(scope)) for (const p of ((scope as any)._validationPlugins ?? []) as Array<{ name?: string }>) if (p?.name) plugins.add(p.name);
    }
    node.node.addMetadata(VALIDATION_METADATA, { plugins: [...plugins].sort() });
  }
}

/**
 * A report whose `success` says whether it has errors, not whether it has findings.
 *
 * cdk-nag 3.0.2 reports `success: this.violations.length === 0` (`NagPack.validateScope`,
 * nag-pack.js), warnings included, and aws-cdk-lib fails synth on any report without success
 * (`validationFails = reports.some((r) => !r.success)`, core/lib/private/synthesis-validation.js;
 * the CLI likewise fails on a report whose conclusion is failure). aws-cdk-lib recomputes success
 * from errors only for a report in which it suppressed an acknowledged finding itself
 * (`collectSuppressions`), which cdk-nag's own acknowledgement check makes rare: a warning failed
 * synth or not depending on unrelated acknowledgements.
 */
export function errorsDecideSuccess(report: PolicyValidationPluginReport): PolicyValidationPluginReport {
  return { ...report, success: report.violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal') };
}
