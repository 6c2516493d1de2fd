#!/usr/bin/env node
/**
 * Existing resources: protecting data stores created outside this app (by hand, by another
 * team's stack, before the library was adopted), imported by ARN:
 *
 * - backups: `protect({ existingResources })` selects them by ARN in the ProtectedBackupPlan,
 *   with the rules, copies and vault lock of their classification;
 * - data events: `dataAccessTrail.addExistingResources(...)` puts the bucket and the table
 *   under the account's data-access trail (by exact ARN);
 * - restore drills: a `RestoreDrill` of `DrillTarget.of({ resourceArn })` targets, with RTO, RPO
 *   and interval from each level's `ProtectionPolicy` and custom validation parameters.
 *
 * Nothing here creates or changes the existing resources themselves.
 *
 *   cd examples/existing-resources && npx cdk synth '**'
 *
 * In your own app, import from 'cdk-data-protection' instead of '../../lib'.
 */
import { App, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  DataProtection,
  DataAccountStack,
  DataAccountStackProps,
  DataClassification,
  DataProtectionStage,
  DrillResourceType,
  DrillTarget,
  ExistingBackupResource,
  ProtectionPolicy,
  RestoreDrill,
} from '../../lib';

/** One resource created outside this app: what it is, how it is classified, how its restore is validated. */
export interface ExistingDataStore {
  /** Literal ARN (the trail and the backup selection use it as is). */
  readonly resourceArn: string;
  readonly classification: DataClassification;
  readonly drill: { readonly name: string; readonly resourceType: DrillResourceType; readonly validation: { [key: string]: string } };
}

/** The resources of the legacy billing system in the data account (placeholders: replace them with yours). */
export function legacyBillingStores(account: string, region: string): ExistingDataStore[] {
  return [
    {
      resourceArn: `arn:aws:dynamodb:${region}:${account}:table/billing-orders`,
      classification: DataClassification.CONFIDENTIAL,
      drill: { name: 'billing-orders', resourceType: DrillResourceType.DYNAMODB, validation: { minItems: '1000' } },
    },
    {
      resourceArn: `arn:aws:s3:::billing-ledger-${account}`,
      classification: DataClassification.HIGHLY_SENSITIVE,
      drill: { name: 'billing-ledger', resourceType: DrillResourceType.S3, validation: { minObjects: '100', sampleObjects: '10' } },
    },
    {
      resourceArn: `arn:aws:rds:${region}:${account}:cluster:billing-invoices`,
      classification: DataClassification.HIGHLY_SENSITIVE,
      drill: {
        name: 'billing-invoices',
        resourceType: DrillResourceType.AURORA,
        // AWS Backup restores the cluster without DB instances, so no query can run (a sqlQuery is a
        // synth error): the default check compares engine and storage with the source, within 5%.
        validation: { tolerancePercent: '5' },
      },
    },
  ];
}

/** The data account of the legacy billing system: everything it protects was created elsewhere. */
export class LegacyBillingStack extends DataAccountStack {
  public readonly stores: ExistingDataStore[];
  public readonly existingDrill: RestoreDrill;

  public constructor(scope: Construct, id: string, props: DataAccountStackProps) {
    super(scope, id, props);
    this.stores = legacyBillingStores(this.account, this.region);
    const existing: ExistingBackupResource[] = this.stores.map(({ resourceArn, classification }) => ({ resourceArn, classification }));

    // Backups by ARN: rules, copies to the backup account (and DR region) per classification.
    this.protect({ existingResources: existing });

    // Data events: the trail protect() created records the existing bucket and table too.
    if (!this.dataAccessTrail) throw new Error(`${this.node.path}: expected the account-wide data-access trail (accountWide: true)`);
    this.dataAccessTrail.addExistingResources(...existing);

    // Drills: restore each resource's latest recovery point from this stack's locked vault.
    const vault = this.backupVault;
    if (!vault) throw new Error(`${this.node.path}: protect() creates the backup vault`);
    this.existingDrill = new RestoreDrill(this, 'ExistingResourcesDrill', {
      targets: this.stores.map((s) => {
        const policy = ProtectionPolicy.forClassification(s.classification);
        return DrillTarget.of({
          ...s.drill,
          resourceArn: s.resourceArn,
          backupVaultName: vault.backupVaultName,
          rto: Duration.hours(policy.rtoHours),
          rpo: Duration.hours(policy.rpoHours),
          interval: Duration.days(policy.drillIntervalDays),
          // Restored S3 and DynamoDB copies are encrypted like new data of the level; Aurora keeps the snapshot's key.
          restoreKey:
            s.drill.resourceType === DrillResourceType.S3 ? this.keyFor(s.classification)
              : s.drill.resourceType === DrillResourceType.DYNAMODB ? this.dynamoDbKeyFor(s.classification)
                : undefined,
        });
      }),
      evidenceKey: this.evidenceKey,
      alarmTopic: this.alarmTopic.topic,
    });
  }
}

export interface ExistingResourcesApp {
  readonly stage: DataProtectionStage;
  readonly billing: LegacyBillingStack;
}

/** Builds the existing-resources example into `app` (accounts and regions from cdk.json context). */
export function buildExistingResourcesApp(app: App): ExistingResourcesApp {
  const stage = new DataProtectionStage(app, 'Legacy', { accounts: DataProtection.accountsFromContext(app), alarmEmails: ['platform-oncall@example.com'] });
  const billing = new LegacyBillingStack(stage, 'Billing', stage.dataStackProps());
  return { stage, billing };
}

if (require.main === module) {
  const app = new App();
  // Every finding of the five packs fails `cdk synth '**'` unless acknowledged with a reason.
  DataProtection.addPacks(app);
  buildExistingResourcesApp(app);
}
